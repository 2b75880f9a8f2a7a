import type { DType } from '../dtype.js';
import { add, exp, log, sub, div } from '../ops/elementwise.js';
import { max, sum } from '../ops/reduce.js';
import { squeeze } from '../ops/movement.js';
import { type Shape, normAxis } from '../shape.js';
import type { Tensor } from '../tensor.js';

/** log(sum(exp(x))) along `axis`, stable for large |x| (the max is subtracted first). */
export function logsumexp<D extends DType>(x: Tensor<Shape, D>, axis = -1, keepdims = false): Tensor<Shape, D> {
  const ax = normAxis('logsumexp', axis, x.rank);
  const m: Tensor = max(x, ax, true);
  const r = add(log(sum(exp(sub(x, m)), ax, true)), m) as Tensor<Shape, D>;
  return keepdims ? r : squeeze(r, [ax]);
}

export function logSoftmax<S extends Shape, D extends DType>(x: Tensor<S, D>, axis = -1): Tensor<S, D> {
  const t: Tensor<Shape, D> = x;
  return sub(t, logsumexp(t, axis, true)) as Tensor<S, D>;
}

export function softmax<S extends Shape, D extends DType>(x: Tensor<S, D>, axis = -1): Tensor<S, D> {
  const t: Tensor = x;
  const ax = normAxis('softmax', axis, t.rank);
  const e = exp(sub(t, max(t, ax, true)));
  return div(e, sum(e, ax, true)) as Tensor<S, D>;
}
