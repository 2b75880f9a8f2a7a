import { arange } from '../creation.js';
import type { DType } from '../dtype.js';
import { ge, where } from '../ops/elementwise.js';
import { reshape } from '../ops/movement.js';
import type { Shape } from '../shape.js';
import type { Tensor } from '../tensor.js';

/** `[t, t]` bool, true where query i may attend to key j (j <= i). */
export function causalMask(t: number): Tensor<Shape, 'bool'> {
  const i = arange(t);
  return ge(reshape(i, [t, 1]), reshape(i, [1, t]));
}

/**
 * Sets the scores where `allowed` is false to a large finite negative value, so that softmax gives them
 * (almost) zero weight and a row with nothing allowed stays finite (uniform) instead of NaN.
 */
export function maskScores<D extends DType>(scores: Tensor<Shape, D>, allowed: Tensor<Shape, 'bool'>, fill = -1e9): Tensor<Shape, D> {
  return where(allowed, scores, fill) as Tensor<Shape, D>;
}
