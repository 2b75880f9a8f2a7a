import type { DType, FloatCheck } from '../dtype.js';
import { argError } from '../errors.js';
import { type Check, type ReduceShape, type Result, type Shape, normAxes } from '../shape.js';
import { Tensor } from '../tensor.js';
import { bind } from '../bind.js';
import { cast, div, neg } from './elementwise.js';

type Axes = number | readonly number[] | undefined;
/**
 * A reduction over `axes` (all axes when omitted), keeping reduced dims as 1 when `keepdims`. With a literal
 * shape, an axis out of range or given twice is a compile error. `F` marks float-only reductions.
 */
export type Reduction<Op extends string, F extends boolean = false> =
  <S extends Shape, D extends DType, const Ax extends Axes = undefined, const K extends boolean = false>(
    x: Tensor<S, D> & (F extends true ? FloatCheck<Op, D> : unknown), axes?: Ax & Check<ReduceShape<S, Ax, K, Op>>, keepdims?: K) =>
  Tensor<Result<ReduceShape<S, Ax, K, Op>>, D>;

type Loose = (x: Tensor, axes?: Axes, keepdims?: boolean) => Tensor;
const typed = <Op extends string, F extends boolean = false>(f: Loose): Reduction<Op, F> => f as unknown as Reduction<Op, F>;

const reduction = <Op extends string>(prim: 'reduceSum' | 'reduceMax', op: Op): Reduction<Op> =>
  typed((x, axes, keepdims = false) => bind(prim, [x], { axes: normAxes(op, axes, x.rank), keepdims }));

export const sum = reduction('reduceSum', 'sum');
export const max = reduction('reduceMax', 'max');

export const min = typed<'min'>((x, axes, keepdims = false) => neg(max(neg(x), axes, keepdims)));

/** Mean over `axes`; float tensors only. */
export const mean = typed<'mean', true>((x, axes, keepdims = false) => {
  if (x.dtype !== 'float32' && x.dtype !== 'float64') throw argError('mean', `needs a float tensor, got ${x.dtype} (cast it first)`);
  const count = normAxes('mean', axes, x.rank).reduce((n, a) => n * x.shape[a], 1);
  return div(sum(x, axes, keepdims), count);
});

/** Sum of a bool tensor as int32 (how many are true). */
export const countTrue = <S extends Shape, const Ax extends Axes = undefined>(x: Tensor<S, 'bool'>, axes?: Ax & Check<ReduceShape<S, Ax, false, 'countTrue'>>):
  Tensor<Result<ReduceShape<S, Ax, false, 'countTrue'>>, 'int32'> =>
  sum(cast(x as Tensor<Shape, 'bool'>, 'int32'), axes as Axes) as Tensor<Result<ReduceShape<S, Ax, false, 'countTrue'>>, 'int32'>;
