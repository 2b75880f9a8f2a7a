import type { DType } from '../dtype.js';
import { shapeError } from '../errors.js';
import { cast, div, maximum, mul, neg, sub, abs, log, exp, add } from '../ops/elementwise.js';
import { takeAlongAxis } from '../ops/indexing.js';
import { sum } from '../ops/reduce.js';
import { type Shape, sameShape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { logSoftmax } from './softmax.js';

/** `-log p(target)` for each position: logits `[..., V]`, targets `[...]` (int32) -> `[...]`. */
export function tokenNll<D extends DType>(logits: Tensor<Shape, D>, targets: Tensor<Shape, 'int32'>): Tensor<Shape, D> {
  if (!sameShape(logits.shape.slice(0, -1), targets.shape)) throw shapeError('crossEntropy', 'targets must have the logits shape without the last (class) dim', logits.shape, targets.shape);
  return neg(takeAlongAxis(logSoftmax(logits, -1), targets, -1)) as Tensor<Shape, D>;
}

/**
 * Mean next-token cross-entropy over the positions where `mask` is true (all positions when omitted).
 * A mask with no true entry gives 0, not NaN.
 */
export function crossEntropy<D extends DType>(logits: Tensor<Shape, D>, targets: Tensor<Shape, 'int32'>, mask?: Tensor<Shape, 'bool'>): Tensor<[], D> {
  const nll = tokenNll(logits, targets);
  if (!mask) return div(sum(nll), nll.size) as unknown as Tensor<[], D>;
  if (!sameShape(mask.shape, targets.shape)) throw shapeError('crossEntropy', 'mask must have the targets shape', mask.shape, targets.shape);
  const m = cast(mask, logits.dtype);
  return div(sum(mul(nll, m)), maximum(sum(m), 1)) as unknown as Tensor<[], D>;
}

/** Binary cross-entropy with logits, element-wise, stable: `max(z,0) - z*y + log(1 + exp(-|z|))`. */
export function bceWithLogits<S extends Shape, D extends DType>(logits: Tensor<S, D>, labels: Tensor<Shape, D>): Tensor<S, D> {
  const z: Tensor = logits;
  return add(sub(maximum(z, 0), mul(z, labels)), log(add(exp(neg(abs(z))), 1))) as Tensor<S, D>;
}
