import type { DType } from '../dtype.js';
import { shapeError } from '../errors.js';
import { type Shape, normAxis, sameShape } from '../shape.js';
import { Tensor } from '../tensor.js';
import { bind } from '../bind.js';
import { cast, eq, where } from './elementwise.js';
import { max, min } from './reduce.js';
import { arange } from '../creation.js';
import { expandDims, reshape } from './movement.js';

/**
 * TF-style gather: picks entries of `x` along `axis` at `indices`; the first `batchDims` dims of x and
 * indices are shared. Result shape: `x.shape[:axis] + indices.shape[batchDims:] + x.shape[axis+1:]`.
 */
export function gather<D extends DType>(x: Tensor<Shape, D>, indices: Tensor<Shape, 'int32'>, axis = 0, batchDims = 0): Tensor<Shape, D> {
  return bind('gather', [x, indices], { axis: normAxis('gather', axis, x.rank), batchDims }) as Tensor<Shape, D>;
}

/** The adjoint of gather: adds `updates` into a zero tensor whose gathered axis has length `size`. */
export function scatterAdd<D extends DType>(updates: Tensor<Shape, D>, indices: Tensor<Shape, 'int32'>, size: number, axis = 0, batchDims = 0): Tensor<Shape, D> {
  return bind('scatterAdd', [updates, indices], { axis, batchDims, size }) as Tensor<Shape, D>;
}

/** Rows of `table` for each id: `[V, D]` table, ids of any shape -> `[...ids.shape, D]`. */
export const embedding = <D extends DType>(table: Tensor<Shape, D>, ids: Tensor<Shape, 'int32'>): Tensor<Shape, D> => gather(table, ids, 0);

/**
 * One entry per row along `axis`: `indices` has x's shape without `axis`; picks `x[..., indices[...], ...]`.
 * (Picking the target log-probability of each token.)
 */
export function takeAlongAxis<D extends DType>(x: Tensor<Shape, D>, indices: Tensor<Shape, 'int32'>, axis = -1): Tensor<Shape, D> {
  const ax = normAxis('takeAlongAxis', axis, x.rank);
  const rest = x.shape.filter((_, i) => i !== ax);
  if (!sameShape(rest, indices.shape)) throw shapeError('takeAlongAxis', `indices must have x's shape without axis ${ax}`, x.shape, indices.shape);
  const order = [...x.shape.keys()].filter((i) => i !== ax);
  const last = ax === x.rank - 1 ? x : (bind('permute', [x], { perm: [...order, ax] }) as Tensor<Shape, D>);
  return gather(last, indices, x.rank - 1, x.rank - 1);
}

/** `[..., n]` with a 1 at each index. */
export function oneHot<D extends DType = 'float32'>(indices: Tensor<Shape, 'int32'>, n: number, dtype?: D): Tensor<Shape, D> {
  return cast(eq(expandDims(indices, -1), arange(n)), dtype ?? ('float32' as D)) as Tensor<Shape, D>;
}

/** Index of the largest entry along `axis` (the first one on ties), as int32. */
export function argmax(x: Tensor, axis = -1): Tensor<Shape, 'int32'> {
  const ax = normAxis('argmax', axis, x.rank);
  const n = x.shape[ax];
  const pos = reshape(arange(n), x.shape.map((d, i) => (i === ax ? n : 1)));
  const candidates = where(eq(x, max(x, ax, true)), pos, n);
  return min(candidates, ax) as Tensor<Shape, 'int32'>;
}
