import type { DType, FloatCheck } from '../dtype.js';
import { abs, add, div, eq, exp, log, sub, where } from '../ops/elementwise.js';
import { max, sum } from '../ops/reduce.js';
import { squeeze } from '../ops/movement.js';
import { type AxisCheck, type Check, type ReduceShape, type Result, type Shape, normAxis } from '../shape.js';
import { type Tensor, untraced } from '../tensor.js';

// Each form subtracts the max along the axis and its value does not depend on what is subtracted, so the max
// is taken unseen by autograd (a constant): the gradients are exactly the softmax's, with nothing through the
// max's tie rule. jit still records it.
const rowMax = (x: Tensor, ax: number): Tensor => untraced(() => max(x, ax, true));

/**
 * log(sum(exp(x))) along `axis`, stable for large |x|: the max is subtracted first, unless it is infinite, so
 * a row of -Inf gives -Inf and a row with +Inf gives +Inf (as PyTorch); an empty axis gives -Inf.
 */
export function logsumexp<S extends Shape, D extends DType, const A extends number = -1, const K extends boolean = false>(
  x: Tensor<S, D> & FloatCheck<'logsumexp', D>, axis?: A & Check<ReduceShape<S, A, K, 'logsumexp'>>, keepdims?: K):
  Tensor<Result<ReduceShape<S, A, K, 'logsumexp'>>, D> {
  const t: Tensor = x;
  const ax = normAxis('logsumexp', axis ?? -1, t.rank);
  type Out = Tensor<Result<ReduceShape<S, A, K, 'logsumexp'>>, D>;
  if (t.shape[ax] === 0) return log(sum(exp(t), ax, keepdims ?? false)) as Out;
  const m = untraced(() => { const mx = rowMax(t, ax); return where(eq(abs(mx), Infinity), 0, mx); });
  const r = add(log(sum(exp(sub(t, m)), ax, true)), m);
  return (keepdims ? r : squeeze(r, [ax])) as Out;
}

/** log(softmax(x)) along `axis` as PyTorch computes it: `(x - max) - log(sum(exp(x - max)))`. */
export function logSoftmax<S extends Shape, D extends DType, const A extends number = -1>(
  x: Tensor<S, D> & FloatCheck<'logSoftmax', D>, axis?: A & AxisCheck<S, A, 'logSoftmax'>): Tensor<S, D> {
  const t: Tensor = x;
  const ax = normAxis('logSoftmax', axis ?? -1, t.rank);
  if (t.shape[ax] === 0) return x;
  const shifted = sub(t, rowMax(t, ax));
  return sub(shifted, log(sum(exp(shifted), ax, true))) as Tensor<S, D>;
}

/** softmax along `axis`: `exp(x - max) / sum(exp(x - max))`; an empty axis gives an empty tensor. */
export function softmax<S extends Shape, D extends DType, const A extends number = -1>(
  x: Tensor<S, D> & FloatCheck<'softmax', D>, axis?: A & AxisCheck<S, A, 'softmax'>): Tensor<S, D> {
  const t: Tensor = x;
  const ax = normAxis('softmax', axis ?? -1, t.rank);
  if (t.shape[ax] === 0) return x;
  const e = exp(sub(t, rowMax(t, ax)));
  return div(e, sum(e, ax, true)) as Tensor<S, D>;
}
