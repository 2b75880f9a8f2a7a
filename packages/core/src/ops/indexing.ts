import type { DType } from '../dtype.js';
import { shapeError } from '../errors.js';
import { type AxisCheck, type Check, type ReduceShape, type Result, type Shape, normAxis, sameShape } from '../shape.js';
import { Tensor } from '../tensor.js';
import { bind } from '../bind.js';
import { cast, eq, lt, ne, where } from './elementwise.js';
import { max, min } from './reduce.js';
import { arange } from '../creation.js';
import { expandDims, reshape } from './movement.js';

/**
 * TF-style gather: picks entries of `x` along `axis` at `indices`; the first `batchDims` dims of x and
 * indices are shared. Result shape: `x.shape[:axis] + indices.shape[batchDims:] + x.shape[axis+1:]`.
 */
export function gather<S extends Shape, D extends DType, const A extends number = 0>(x: Tensor<S, D>, indices: Tensor<Shape, 'int32'>,
  axis?: A & AxisCheck<S, A, 'gather'>, batchDims = 0): Tensor<Shape, D> {
  return bind('gather', [x, indices], { axis: normAxis('gather', axis ?? 0, x.rank), batchDims }) as Tensor<Shape, D>;
}

/** The adjoint of gather: adds `updates` into a zero tensor whose gathered axis has length `size`. */
export function scatterAdd<D extends DType>(updates: Tensor<Shape, D>, indices: Tensor<Shape, 'int32'>, size: number, axis = 0, batchDims = 0): Tensor<Shape, D> {
  return bind('scatterAdd', [updates, indices], { axis, batchDims, size }) as Tensor<Shape, D>;
}

/** Rows of `table` for each id: `[V, D]` table, ids of any shape -> `[...ids.shape, D]` (a bfloat16 table gives float32 rows). */
export function embedding<D extends DType>(table: Tensor<Shape, D>, ids: Tensor<Shape, 'int32'>): Tensor<Shape, [D] extends ['bfloat16'] ? 'float32' : D> {
  const rows = gather(table, ids, 0);
  return (rows.dtype === 'bfloat16' ? cast(rows, 'float32') : rows) as Tensor<Shape, [D] extends ['bfloat16'] ? 'float32' : D>;
}

/**
 * One entry per row along `axis`: `indices` has x's shape without `axis`; picks `x[..., indices[...], ...]`.
 * (Picking the target log-probability of each token.)
 */
export function takeAlongAxis<S extends Shape, D extends DType, const A extends number = -1>(x: Tensor<S, D>, indices: Tensor<Shape, 'int32'>,
  axis?: A & AxisCheck<S, A, 'takeAlongAxis'>): Tensor<Shape, D> {
  const ax = normAxis('takeAlongAxis', axis ?? -1, x.rank);
  const rest = x.shape.filter((_, i) => i !== ax);
  if (!sameShape(rest, indices.shape)) throw shapeError('takeAlongAxis', `indices must have x's shape without axis ${ax}`, x.shape, indices.shape);
  const order = [...x.shape.keys()].filter((i) => i !== ax);
  const last = ax === x.rank - 1 ? x : (bind('permute', [x], { perm: [...order, ax] }) as Tensor<Shape, D>);
  return gather(last, indices, x.rank - 1, x.rank - 1);
}

/** `[..., n]` with a 1 at each index. */
export function oneHot<D extends DType = 'float32'>(indices: Tensor<Shape, 'int32'>, n: number, dtype?: D): Tensor<Shape, NoInfer<D>> {
  return cast(eq(expandDims(indices, -1), arange(n)), dtype ?? ('float32' as D)) as Tensor<Shape, D>;
}

/** Index of the largest entry along `axis` (the first one on ties; the first NaN where there is one, as PyTorch), as int32. */
export function argmax<S extends Shape, D extends DType, const A extends number = -1>(x: Tensor<S, D>, axis?: A & Check<ReduceShape<S, A, false, 'argmax'>>):
  Tensor<Result<ReduceShape<S, A, false, 'argmax'>>, 'int32'> {
  const t: Tensor = x;
  const ax = normAxis('argmax', axis ?? -1, t.rank);
  const n = t.shape[ax];
  const pos = reshape(arange(n), t.shape.map((d, i) => (i === ax ? n : 1)));
  const first = (hit: Tensor<Shape, 'bool'>) => min(where(hit, pos, n), ax);
  const firstNaN = first(ne(t, t)), firstMax = first(eq(t, max(t, ax, true)));
  return where(lt(firstNaN, n), firstNaN, firstMax) as Tensor<Result<ReduceShape<S, A, false, 'argmax'>>, 'int32'>;
}
