import type { DType } from '../dtype.js';
import { argError } from '../errors.js';
import { type ReduceShape, type Shape, normAxes } from '../shape.js';
import { Tensor } from '../tensor.js';
import { bind } from '../bind.js';
import { cast, div, neg } from './elementwise.js';

type Axes = number | readonly number[] | undefined;
/** A reduction over `axes` (all axes when omitted), keeping reduced dims as 1 when `keepdims`. */
export type Reduction = <S extends Shape, D extends DType, const Ax extends Axes = undefined, const K extends boolean = false>(
  x: Tensor<S, D>, axes?: Ax, keepdims?: K) => Tensor<ReduceShape<S, Ax, K>, D>;

type Loose = (x: Tensor, axes?: Axes, keepdims?: boolean) => Tensor;
const typed = (f: Loose): Reduction => f as unknown as Reduction;

const reduction = (prim: 'reduceSum' | 'reduceMax', op: string): Reduction =>
  typed((x, axes, keepdims = false) => bind(prim, [x], { axes: normAxes(op, axes, x.rank), keepdims }));

export const sum = reduction('reduceSum', 'sum');
export const max = reduction('reduceMax', 'max');

export const min = typed((x, axes, keepdims = false) => neg(max(neg(x), axes, keepdims)));

/** Mean over `axes`; float tensors only. */
export const mean = typed((x, axes, keepdims = false) => {
  if (x.dtype !== 'float32' && x.dtype !== 'float64') throw argError('mean', `needs a float tensor, got ${x.dtype} (cast it first)`);
  const count = normAxes('mean', axes, x.rank).reduce((n, a) => n * x.shape[a], 1);
  return div(sum(x, axes, keepdims), count);
});

/** Sum of a bool tensor as int32 (how many are true). */
export const countTrue = <S extends Shape, const Ax extends Axes = undefined>(x: Tensor<S, 'bool'>, axes?: Ax) => sum(cast(x, 'int32'), axes);
