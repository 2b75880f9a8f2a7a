import type { DType, FloatCheck, SameDType } from '../dtype.js';
import { shapeError } from '../errors.js';
import { add, cast, div, exp, ge, log, maximum, mul, neg, sub, where } from '../ops/elementwise.js';
import { takeAlongAxis } from '../ops/indexing.js';
import { sum } from '../ops/reduce.js';
import { type BroadcastTo, type Check, type Norm, type Shape, type TargetsCheck, sameShape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { logSoftmax } from './softmax.js';

type Targets<L extends Shape, T extends Shape> = Tensor<T, 'int32'> & TargetsCheck<L, T>;

/** `-log p(target)` for each position: logits `[..., V]`, targets `[...]` (int32) -> `[...]`. */
export function tokenNll<L extends Shape, T extends Shape, D extends DType>(logits: Tensor<L, D> & FloatCheck<'crossEntropy', D>, targets: Targets<L, T>): Tensor<Norm<T>, D> {
  const [x, tg]: [Tensor, Tensor<Shape, 'int32'>] = [logits, targets];
  if (!sameShape(x.shape.slice(0, -1), tg.shape)) throw shapeError('crossEntropy', 'targets must have the logits shape without the last (class) dim', x.shape, tg.shape);
  return neg(takeAlongAxis(logSoftmax(x, -1), tg, -1)) as Tensor<Norm<T>, D>;
}

/**
 * Mean next-token cross-entropy over the positions where `mask` is true (all positions when omitted).
 * No position (an empty batch, or a mask with no true entry) gives 0, not NaN.
 */
export function crossEntropy<L extends Shape, T extends Shape, D extends DType>(logits: Tensor<L, D> & FloatCheck<'crossEntropy', D>, targets: Targets<L, T>,
  mask?: Tensor<Shape, 'bool'>): Tensor<[], D> {
  const nll: Tensor = tokenNll(logits as Tensor, targets as Tensor<Shape, 'int32'>);
  if (!mask) return div(sum(nll), Math.max(nll.size, 1)) as Tensor<[], D>;
  if (!sameShape(mask.shape, nll.shape)) throw shapeError('crossEntropy', 'mask must have the targets shape', mask.shape, nll.shape);
  const m = cast(mask, nll.dtype);
  return div(sum(mul(nll, m)), maximum(sum(m), 1)) as Tensor<[], D>;
}

/**
 * Binary cross-entropy with logits, element-wise, stable: `softplus(z) - z*y` with `softplus(z) = max(z, 0) +
 * log(1 + exp(-|z|))`. The max and `-|z|` are written with `where` on `z >= 0`, each side a smooth formula, so
 * that the second derivative at z = 0 is sigmoid'(0) = 1/4 (through `maximum` and `abs` it would be 0).
 */
export function bceWithLogits<S extends Shape, Y extends Shape, D extends DType, DY extends DType>(logits: Tensor<S, D> & FloatCheck<'bceWithLogits', D>,
  labels: Tensor<Y, DY> & SameDType<'bceWithLogits', D, DY> & Check<BroadcastTo<Y, S, 'bceWithLogits'>>): Tensor<S, D> {
  const [z, y]: Tensor[] = [logits, labels];
  const nonNeg = ge(z, 0);
  const softplus = add(where(nonNeg, z, 0), log(add(exp(where(nonNeg, neg(z), z)), 1)));
  return sub(softplus, mul(z, y)) as Tensor<S, D>;
}
