import type { DType } from '../dtype.js';
import { argError, shapeError } from '../errors.js';
import { type Check, type Permute, type Result, type Shape, type Transpose, normAxis, sizeOf } from '../shape.js';
import { Tensor } from '../tensor.js';
import { bind } from '../bind.js';

type Reshaped<T extends Shape> = -1 extends T[number] ? Shape : { -readonly [I in keyof T]: T[I] };

/** Same data, new shape; one dim may be -1 (inferred). Sizes must agree. */
export function reshape<S extends Shape, D extends DType, const T extends Shape>(x: Tensor<S, D>, shape: T): Tensor<Reshaped<T>, D> {
  const free = shape.filter((d) => d === -1).length;
  if (free > 1) throw argError('reshape', `at most one dim may be -1, got [${shape.join(', ')}]`);
  let target: readonly number[] = shape;
  if (free === 1) {
    const known = sizeOf(shape.filter((d) => d !== -1));
    if (known === 0 || x.size % known !== 0) throw shapeError('reshape', 'cannot infer the -1 dim', x.shape, shape);
    target = shape.map((d) => (d === -1 ? x.size / known : d));
  }
  return bind('reshape', [x], { shape: target }) as Tensor<Reshaped<T>, D>;
}

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
export function swapAxes<D extends DType>(x: Tensor<Shape, D>, a: number, b: number): Tensor<Shape, D> {
  const perm = x.shape.map((_, i) => i);
  const i = normAxis('swapAxes', a, x.rank), j = normAxis('swapAxes', b, x.rank);
  [perm[i], perm[j]] = [perm[j], perm[i]];
  return bind('permute', [x], { perm }) as Tensor<Shape, D>;
}

/** Broadcasts to `shape` (NumPy rules: leading dims added, size-1 dims repeated). */
export function broadcastTo<S extends Shape, D extends DType, const T extends Shape>(x: Tensor<S, D>, shape: T): Tensor<{ -readonly [I in keyof T]: T[I] }, D> {
  return bind('broadcastTo', [x], { shape }) as Tensor<{ -readonly [I in keyof T]: T[I] }, D>;
}

/** `x[begin[0]:end[0], begin[1]:end[1], ...]`; negative bounds count from the end; missing axes are taken whole. */
export function slice<D extends DType>(x: Tensor<Shape, D>, begin: readonly number[], end?: readonly (number | undefined)[]): Tensor<Shape, D> {
  if (begin.length > x.rank || (end && end.length > x.rank)) throw argError('slice', `more bounds than the ${x.rank} axes of [${x.shape.join(', ')}]`);
  const norm = (v: number, d: number) => (v < 0 ? v + d : v);
  const starts = x.shape.map((d, i) => norm(begin[i] ?? 0, d));
  const ends = x.shape.map((d, i) => norm(end?.[i] ?? d, d));
  return bind('slice', [x], { starts, ends }) as Tensor<Shape, D>;
}

/** `length` elements of `axis` starting at `start` (PyTorch `narrow`). */
export function narrow<D extends DType>(x: Tensor<Shape, D>, axis: number, start: number, length: number): Tensor<Shape, D> {
  const ax = normAxis('narrow', axis, x.rank);
  const starts = x.shape.map((_, i) => (i === ax ? start : 0));
  const ends = x.shape.map((d, i) => (i === ax ? start + length : d));
  return bind('slice', [x], { starts, ends }) as Tensor<Shape, D>;
}

/** Pads each axis with `[before, after]` elements of `value`. */
export function pad<D extends DType>(x: Tensor<Shape, D>, widths: readonly (readonly [number, number])[], value = 0): Tensor<Shape, D> {
  if (widths.length !== x.rank) throw argError('pad', `needs ${x.rank} [before, after] pairs for shape [${x.shape.join(', ')}], got ${widths.length}`);
  return bind('pad', [x], { before: widths.map((w) => w[0]), after: widths.map((w) => w[1]), value }) as Tensor<Shape, D>;
}

export function concat<D extends DType>(xs: readonly Tensor<Shape, D>[], axis = 0): Tensor<Shape, D> {
  if (xs.length === 0) throw argError('concat', 'needs at least one tensor');
  return bind('concat', xs, { axis: normAxis('concat', axis, xs[0].rank) }) as Tensor<Shape, D>;
}

/** Splits `axis` into pieces of the given sizes (the inverse of concat). */
export function split<D extends DType>(x: Tensor<Shape, D>, sizes: readonly number[], axis = 0): Tensor<Shape, D>[] {
  const ax = normAxis('split', axis, x.rank);
  if (sizes.reduce((a, b) => a + b, 0) !== x.shape[ax]) throw shapeError('split', `sizes [${sizes.join(', ')}] do not add up to axis ${ax}`, x.shape);
  let start = 0;
  return sizes.map((n) => { const piece = narrow(x, ax, start, n); start += n; return piece; });
}

/** Inserts a size-1 dim at `axis`. */
export function expandDims<D extends DType>(x: Tensor<Shape, D>, axis: number): Tensor<Shape, D> {
  const ax = normAxis('expandDims', axis, x.rank + 1);
  return reshape(x, [...x.shape.slice(0, ax), 1, ...x.shape.slice(ax)]);
}

/** Removes size-1 dims (the given ones, or all). */
export function squeeze<D extends DType>(x: Tensor<Shape, D>, axes?: readonly number[]): Tensor<Shape, D> {
  const drop = axes ? axes.map((a) => normAxis('squeeze', a, x.rank)) : x.shape.flatMap((d, i) => (d === 1 ? [i] : []));
  for (const a of drop) if (x.shape[a] !== 1) throw shapeError('squeeze', `axis ${a} has size ${x.shape[a]}, not 1`, x.shape);
  return reshape(x, x.shape.filter((_, i) => !drop.includes(i)));
}
