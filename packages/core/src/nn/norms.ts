import type { DType, FloatCheck, SameDType } from '../dtype.js';
import { add, mul, rsqrt, sub } from '../ops/elementwise.js';
import { mean } from '../ops/reduce.js';
import type { BroadcastTo, Check, Shape } from '../shape.js';
import type { Tensor } from '../tensor.js';

/** A weight or bias of a norm over x `S`: it must broadcast to S (typically `[S[-1]]`) and have x's dtype. */
type Affine<W extends Shape, S extends Shape, D extends DType, DW extends DType, Op extends string> = Tensor<W, DW> & SameDType<Op, D, DW> & Check<BroadcastTo<W, S, Op>>;

/** RMSNorm over the last dim: `x / sqrt(mean(x^2) + eps) * weight` (Llama). */
export function rmsNorm<S extends Shape, W extends Shape, D extends DType, DW extends DType>(x: Tensor<S, D> & FloatCheck<'rmsNorm', D>, weight: Affine<W, S, D, DW, 'rmsNorm'>,
  eps = 1e-5): Tensor<S, D> {
  const [t, w]: Tensor[] = [x, weight];
  const ms = mean(mul(t, t), -1, true);
  return mul(mul(t, rsqrt(add(ms, eps))), w) as Tensor<S, D>;
}

/** LayerNorm over the last dim: `(x - mean) / sqrt(var + eps) * weight + bias` (biased variance). */
export function layerNorm<S extends Shape, W extends Shape, B extends Shape, D extends DType, DW extends DType, DB extends DType>(
  x: Tensor<S, D> & FloatCheck<'layerNorm', D>, weight: Affine<W, S, D, DW, 'layerNorm'>, bias: Affine<B, S, D, DB, 'layerNorm'>, eps = 1e-5): Tensor<S, D> {
  const [t, w, b]: Tensor[] = [x, weight, bias];
  const centered = sub(t, mean(t, -1, true));
  const variance = mean(mul(centered, centered), -1, true);
  return add(mul(mul(centered, rsqrt(add(variance, eps))), w), b) as Tensor<S, D>;
}
