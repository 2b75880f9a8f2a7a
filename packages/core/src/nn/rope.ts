import { type DType, type FloatDType, allocArray } from '../dtype.js';
import { argError } from '../errors.js';
import { fromArray } from '../creation.js';
import { hasKernel } from '../backend.js';
import { add, cast, cos, mul, neg, sin } from '../ops/elementwise.js';
import { primitives } from '../primitives.js';
import { concat, narrow, reshape } from '../ops/movement.js';
import type { Shape } from '../shape.js';
import { type Tensor } from '../tensor.js';
import { bind } from '../bind.js';

export interface RopeTables<D extends DType> { readonly cos: Tensor<Shape, D>; readonly sin: Tensor<Shape, D> }

/**
 * cos/sin tables `[..., T, headDim]` for rotary embeddings at the given positions (any shape), Hugging Face
 * convention: `inv_freq[i] = theta^(-2i/headDim)`, angles repeated for both halves.
 */
export function ropeTables<D extends FloatDType = 'float32'>(positions: Tensor<Shape, 'int32' | 'float32' | 'float64'>, headDim: number, theta = 10000, dtype?: D): RopeTables<NoInfer<D>> {
  if (headDim % 2 !== 0) throw argError('ropeTables', `head dim must be even, got ${headDim}`);
  const d = dtype ?? ('float32' as D);
  const half = headDim / 2;
  // built on the host in the target dtype, so a backend without float64 never receives a float64 upload
  const inv = allocArray(d, headDim);
  for (let i = 0; i < half; i++) inv[i] = inv[i + half] = 1 / Math.pow(theta, (2 * i) / headDim);
  const invT = fromArray(inv, [headDim], d);
  const angles: Tensor = mul(reshape(cast(positions, d), [...positions.shape, 1]), invT);
  return { cos: cos(angles) as Tensor<Shape, D>, sin: sin(angles) as Tensor<Shape, D> };
}

/**
 * Rotate-half RoPE: `x * cos + rotate_half(x) * sin` with `rotate_half([a, b]) = [-b, a]` on the last dim. One
 * primitive on a backend with a rope kernel (one pass over x, no stored rotated copy); elsewhere composed.
 */
export function applyRope<S extends Shape, D extends DType>(x: Tensor<S, D>, t: RopeTables<D>): Tensor<S, D> {
  if (hasKernel(x.backend, 'rope')) return bind('rope', [x, t.cos, t.sin], {}) as Tensor<S, D>;
  const v: Tensor<Shape, D> = x;
  primitives.rope.infer([v.info, t.cos.info, t.sin.info], {}); // checks the shapes
  return add(mul(v, t.cos), mul(rotateHalf(v), t.sin)) as Tensor<S, D>;
}

/** `rotate_half([a, b]) = [-b, a]` on the last dim (even length). */
export function rotateHalf<S extends Shape, D extends DType>(x: Tensor<S, D>): Tensor<S, D> {
  const v: Tensor<Shape, D> = x;
  const half = v.shape[v.rank - 1] / 2;
  return concat([neg(narrow(v, -1, half, half)), narrow(v, -1, 0, half)], -1) as Tensor<S, D>;
}
