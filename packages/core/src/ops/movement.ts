import type { DType } from '../dtype.js';
import { argError, shapeError } from '../errors.js';
import {
  type AxisCheck, type BroadcastTo, type Check, type Concat, type ExpandDims, type Narrow, type Pad, type Permute, type Reshape,
  type Result, type Shape, type Slice, type Squeeze, type SwapAxes, type Transpose, normAxis, sizeOf,
} from '../shape.js';
import { Tensor } from '../tensor.js';
import { bind } from '../bind.js';

// With literal (or named) shapes and literal arguments, each op below computes its result type and rejects at
// compile time what its run-time check would reject; the run-time checks stay for everything else.

/** Same data, new shape; one dim may be -1 (inferred). Sizes must agree. */
export function reshape<S extends Shape, D extends DType, const T extends Shape>(x: Tensor<S, D>, shape: T & Check<Reshape<S, T>>): Tensor<Result<Reshape<S, T>>, D> {
  const free = shape.filter((d) => d === -1).length;
  if (free > 1) throw argError('reshape', `at most one dim may be -1, got [${shape.join(', ')}]`);
  let target: readonly number[] = shape;
  if (free === 1) {
    const known = sizeOf(shape.filter((d) => d !== -1));
    if (known === 0 || x.size % known !== 0) throw shapeError('reshape', 'cannot infer the -1 dim', x.shape, shape);
    target = shape.map((d) => (d === -1 ? x.size / known : d));
  }
  return bind('reshape', [x], { shape: target }) as Tensor<Result<Reshape<S, T>>, D>;
}

/** Reorders the axes: `perm` names every axis once (negative axes count from the end). */
export function permute<S extends Shape, D extends DType, const P extends readonly number[]>(x: Tensor<S, D>, perm: P & Check<Permute<S, P>>): Tensor<Result<Permute<S, P>>, D> {
  return bind('permute', [x], { perm: (perm as readonly number[]).map((p) => normAxis('permute', p, x.rank)) }) as Tensor<Result<Permute<S, P>>, D>;
}

/** Swaps the last two dims. */
export function transpose<S extends Shape, D extends DType>(x: Tensor<S, D> & Check<Transpose<S>>): Tensor<Result<Transpose<S>>, D> {
  if (x.rank < 2) throw shapeError('transpose', 'needs rank >= 2', x.shape);
  const perm = x.shape.map((_, i) => i);
  [perm[x.rank - 2], perm[x.rank - 1]] = [perm[x.rank - 1], perm[x.rank - 2]];
  return bind('permute', [x], { perm }) as Tensor<Result<Transpose<S>>, D>;
}

/** Swaps two axes. */
export function swapAxes<S extends Shape, D extends DType, const A extends number, const B extends number>(
  x: Tensor<S, D>, a: A & AxisCheck<S, A, 'swapAxes'>, b: B & AxisCheck<S, B, 'swapAxes'>): Tensor<Result<SwapAxes<S, A, B>>, D> {
  const perm = x.shape.map((_, i) => i);
  const i = normAxis('swapAxes', a, x.rank), j = normAxis('swapAxes', b, x.rank);
  [perm[i], perm[j]] = [perm[j], perm[i]];
  return bind('permute', [x], { perm }) as Tensor<Result<SwapAxes<S, A, B>>, D>;
}

/** Broadcasts to `shape` (NumPy rules: leading dims added, size-1 dims repeated). */
export function broadcastTo<S extends Shape, D extends DType, const T extends Shape>(x: Tensor<S, D>, shape: T & Check<BroadcastTo<S, T>>): Tensor<Result<BroadcastTo<S, T>>, D> {
  return bind('broadcastTo', [x], { shape }) as Tensor<Result<BroadcastTo<S, T>>, D>;
}

/** `x[begin[0]:end[0], begin[1]:end[1], ...]`; negative bounds count from the end; missing axes are taken whole. */
export function slice<S extends Shape, D extends DType, const B extends readonly number[], const E extends readonly (number | undefined)[] | undefined = undefined>(
  x: Tensor<S, D>, begin: B & Check<Slice<S, B, E>>, end?: E): Tensor<Result<Slice<S, B, E>>, D> {
  if (begin.length > x.rank || (end && end.length > x.rank)) throw argError('slice', `more bounds than the ${x.rank} axes of [${x.shape.join(', ')}]`);
  const norm = (v: number, d: number) => (v < 0 ? v + d : v);
  const starts = x.shape.map((d, i) => norm(begin[i] ?? 0, d));
  const ends = x.shape.map((d, i) => norm(end?.[i] ?? d, d));
  return bind('slice', [x], { starts, ends }) as Tensor<Result<Slice<S, B, E>>, D>;
}

/** `length` elements of `axis` starting at `start` (PyTorch `narrow`). */
export function narrow<S extends Shape, D extends DType, const A extends number, const St extends number, const L extends number>(
  x: Tensor<S, D>, axis: A & Check<Narrow<S, A, St, L>>, start: St, length: L): Tensor<Result<Narrow<S, A, St, L>>, D> {
  const ax = normAxis('narrow', axis, x.rank);
  const starts = x.shape.map((_, i) => (i === ax ? start : 0));
  const ends = x.shape.map((d, i) => (i === ax ? start + length : d));
  return bind('slice', [x], { starts, ends }) as Tensor<Result<Narrow<S, A, St, L>>, D>;
}

/** Pads each axis with `[before, after]` elements of `value`. */
export function pad<S extends Shape, D extends DType, const W extends readonly (readonly [number, number])[]>(
  x: Tensor<S, D>, widths: W & Check<Pad<S, W>>, value = 0): Tensor<Result<Pad<S, W>>, D> {
  if (widths.length !== x.rank) throw argError('pad', `needs ${x.rank} [before, after] pairs for shape [${x.shape.join(', ')}], got ${widths.length}`);
  return bind('pad', [x], { before: widths.map((w) => w[0]), after: widths.map((w) => w[1]), value }) as Tensor<Result<Pad<S, W>>, D>;
}

type Shapes<Xs extends readonly Tensor[]> = { [I in keyof Xs]: Xs[I]['shape'] };
/** Joins tensors of one dtype along `axis`; their other dims must agree. */
export function concat<const Xs extends readonly Tensor[], const A extends number = 0>(xs: Xs & Check<Concat<Shapes<Xs>, A>>, axis?: A):
  Tensor<Result<Concat<Shapes<Xs>, A>>, Xs[number]['dtype']> {
  if (xs.length === 0) throw argError('concat', 'needs at least one tensor');
  return bind('concat', xs, { axis: normAxis('concat', axis ?? 0, xs[0].rank) }) as Tensor<Result<Concat<Shapes<Xs>, A>>, Xs[number]['dtype']>;
}

/** Splits `axis` into pieces of the given sizes (the inverse of concat). */
export function split<S extends Shape, D extends DType, const A extends number = 0>(x: Tensor<S, D>, sizes: readonly number[], axis?: A & AxisCheck<S, A, 'split'>): Tensor<Shape, D>[] {
  const t: Tensor<Shape, D> = x;
  const ax = normAxis('split', axis ?? 0, t.rank);
  if (sizes.reduce((a, b) => a + b, 0) !== t.shape[ax]) throw shapeError('split', `sizes [${sizes.join(', ')}] do not add up to axis ${ax}`, t.shape);
  let start = 0;
  return sizes.map((n) => { const piece = narrow(t, ax, start, n); start += n; return piece; });
}

/** Inserts a size-1 dim at `axis` (in `[-rank - 1, rank]`). */
export function expandDims<S extends Shape, D extends DType, const A extends number>(x: Tensor<S, D>, axis: A & Check<ExpandDims<S, A>>): Tensor<Result<ExpandDims<S, A>>, D> {
  const t: Tensor<Shape, D> = x;
  const ax = normAxis('expandDims', axis, t.rank + 1);
  return reshape(t, [...t.shape.slice(0, ax), 1, ...t.shape.slice(ax)]) as Tensor<Result<ExpandDims<S, A>>, D>;
}

/** Removes size-1 dims (the given ones, or all). */
export function squeeze<S extends Shape, D extends DType, const Ax extends readonly number[] | undefined = undefined>(
  x: Tensor<S, D>, axes?: Ax & Check<Squeeze<S, Ax>>): Tensor<Result<Squeeze<S, Ax>>, D> {
  const t: Tensor<Shape, D> = x;
  const drop = axes ? axes.map((a) => normAxis('squeeze', a, t.rank)) : t.shape.flatMap((d, i) => (d === 1 ? [i] : []));
  for (const a of drop) if (t.shape[a] !== 1) throw shapeError('squeeze', `axis ${a} has size ${t.shape[a]}, not 1`, t.shape);
  return reshape(t, t.shape.filter((_, i) => !drop.includes(i))) as Tensor<Result<Squeeze<S, Ax>>, D>;
}
