import { arange } from '../creation.js';
import type { DType } from '../dtype.js';
import { ge, where } from '../ops/elementwise.js';
import { reshape } from '../ops/movement.js';
import { MASK_FILL } from '../primitives.js';
import type { Shape } from '../shape.js';
import { type Tensor, bind } from '../tensor.js';

/** `[t, t]` bool, true where query i may attend to key j (j <= i). */
export function causalMask(t: number): Tensor<Shape, 'bool'> {
  const i = arange(t);
  return ge(reshape(i, [t, 1]), reshape(i, [1, t]));
}

/**
 * Sets the scores where `allowed` is false to a large finite negative value, so that softmax gives them
 * (almost) zero weight and a row with nothing allowed stays finite (uniform) instead of NaN.
 */
export function maskScores<D extends DType>(scores: Tensor<Shape, D>, allowed: Tensor<Shape, 'bool'>, fill = MASK_FILL): Tensor<Shape, D> {
  return where(allowed, scores, fill) as Tensor<Shape, D>;
}

/**
 * Scaled dot-product attention, `softmax(maskScores(scale * q k^T, allowed)) v`, as one primitive (so a backend
 * can run it as one kernel that never stores the `[T, S]` weights, and its gradient likewise).
 * q `[...batch, T, d]`; k `[...bk, S, d]` and v `[...bk, S, dv]` with bk broadcasting to batch (grouped KV
 * heads); allowed bool, broadcastable to `[...batch, T, S]`. Returns `[...batch, T, dv]`.
 */
export function dotProductAttention<D extends DType>(q: Tensor<Shape, D>, k: Tensor<Shape, D>, v: Tensor<Shape, D>,
  allowed: Tensor<Shape, 'bool'>, scale: number): Tensor<Shape, D> {
  return bind('attention', [q, k, v, allowed], { scale }) as Tensor<Shape, D>;
}
