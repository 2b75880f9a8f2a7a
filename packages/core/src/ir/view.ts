import { type Shape, sizeOf, stridesOf } from '../shape.js';

/**
 * How a kernel reads one of its inputs: the stored values seen as `shape`, element `idx` at
 * `offset + sum(idx[d] * strides[d])`. A permute, slice, broadcast or (viewable) reshape of a stored tensor
 * is a view of it, so a kernel reading one needs no copy: the movement fuses into the kernel's index maths.
 */
export interface View {
  readonly shape: Shape;
  readonly strides: readonly number[];
  readonly offset: number;
  /**
   * A padded view (pad, and each part of a concat): per axis, the indices [lo, hi) that read stored values;
   * an element outside them on any axis reads `fill` (and its offset, which may lie outside the storage,
   * is never read). Absent when every index reads.
   */
  readonly bounds?: readonly Bound[];
  readonly fill?: number;
}

export type Bound = readonly [number, number];

/** `v` with `bounds` and `fill`, or without them where every index reads (or no index does not). */
function bounded(v: View, bounds: readonly Bound[], fill: number): View {
  const { shape, strides, offset } = v;
  if (bounds.every(([lo, hi], d) => lo <= 0 && hi >= shape[d])) return { shape, strides, offset };
  return { shape, strides, offset, bounds: bounds.map(([lo, hi], d) => (lo >= hi ? [0, 0] : [Math.max(lo, 0), Math.min(hi, shape[d])])), fill };
}

/** Per axis of `v`, the indices that read stored values. */
export const boundsOf = (v: View): readonly Bound[] => v.bounds ?? v.shape.map((d): Bound => [0, d]);

/** The view of a stored tensor as it is: row-major, from its first element. */
export const contiguousView = (shape: Shape): View => ({ shape, strides: stridesOf(shape), offset: 0 });

export function isContiguousView(v: View): boolean {
  const st = stridesOf(v.shape);
  return v.offset === 0 && !v.bounds && v.shape.every((d, k) => d === 1 || v.strides[k] === st[k]);
}

export function permuteView(v: View, perm: readonly number[]): View {
  const moved = { shape: perm.map((p) => v.shape[p]), strides: perm.map((p) => v.strides[p]), offset: v.offset };
  return v.bounds ? bounded(moved, perm.map((p) => v.bounds![p]), v.fill!) : moved;
}

export function sliceView(v: View, starts: readonly number[], ends: readonly number[]): View {
  const cut = { shape: ends.map((e, d) => e - starts[d]), strides: v.strides, offset: v.offset + starts.reduce((o, s, d) => o + s * v.strides[d], 0) };
  return v.bounds ? bounded(cut, v.bounds.map(([lo, hi], d): Bound => [lo - starts[d], hi - starts[d]]), v.fill!) : cut;
}

/** `v` broadcast (NumPy rules) to `shape`: stride 0 on the axes it is repeated along. */
export function broadcastView(v: View, shape: Shape): View {
  const lead = shape.length - v.shape.length;
  const wide = { shape, strides: shape.map((d, k) => (k < lead || (v.shape[k - lead] === 1 && d !== 1) ? 0 : v.strides[k - lead])), offset: v.offset };
  if (!v.bounds) return wide;
  // a repeated axis of length 1 reads everywhere or nowhere, as its one index did
  return bounded(wide, shape.map((d, k): Bound => {
    if (k < lead) return [0, d];
    const [lo, hi] = v.bounds![k - lead];
    return v.shape[k - lead] === 1 && d !== 1 ? (lo < hi ? [0, d] : [0, 0]) : [lo, hi];
  }), v.fill!);
}

/**
 * `v` padded by `before` and `after` elements per axis that read `value`: the offset moves back by `before`
 * (so it may point outside the storage) and the bounds mark where the stored values are. Null for a view
 * already padded with another value (one view has one fill).
 */
export function padView(v: View, before: readonly number[], after: readonly number[], value: number): View | null {
  if (v.bounds && !Object.is(v.fill, value)) return null;
  const grown = { shape: v.shape.map((d, k) => before[k] + d + after[k]), strides: v.strides, offset: v.offset - before.reduce((o, b, k) => o + b * v.strides[k], 0) };
  return bounded(grown, boundsOf(v).map(([lo, hi], k): Bound => [lo + before[k], hi + before[k]]), value);
}

/**
 * The parts of a concat along `axis` as views padded to the whole (with 0, a value no read of the concat
 * picks: it picks the part whose bounds hold the element). No part may be padded already: its own fill
 * would lie outside its bounds too.
 */
export function concatViews(parts: readonly View[], axis: number): View[] {
  const total = parts.reduce((n, v) => n + v.shape[axis], 0);
  let start = 0;
  const padded: View[] = [];
  for (const v of parts) {
    if (v.bounds) throw new Error('concatViews: a part is a padded view already (read it as stored)');
    const len = v.shape[axis];
    padded.push(padView(v, v.shape.map((_, k) => (k === axis ? start : 0)), v.shape.map((_, k) => (k === axis ? total - start - len : 0)), 0)!);
    start += len;
  }
  return padded;
}

/** Per axis of `out`, the strides that read `v` broadcast to it. */
export const readStrides = (v: View, out: Shape): number[] => broadcastView(v, out).strides as number[];

/** Strides that read a stored array of shape `inShape` broadcast to `outShape` (0 on broadcast axes). */
export const broadcastStrides = (inShape: Shape, outShape: Shape): number[] => readStrides(contiguousView(inShape), outShape);

/**
 * `v` reshaped to `shape` without moving data, or null where that is impossible (merging axes that are not
 * laid out one after the other, as after a transpose). NumPy's no-copy reshape: size-1 axes are dropped, then
 * each group of old axes with the product of a group of new axes must be contiguous within itself.
 */
export function reshapeView(v: View, shape: Shape): View | null {
  if (v.bounds) return null; // a padded view is read as stored once padded
  if (sizeOf(shape) === 0) return { ...contiguousView(shape), offset: v.offset };
  const od: number[] = [], os: number[] = [];
  v.shape.forEach((d, k) => { if (d !== 1) { od.push(d); os.push(v.strides[k]); } });
  const ns = new Array<number>(shape.length).fill(0);
  let oi = 0, oj = 1, ni = 0, nj = 1;
  while (ni < shape.length && oi < od.length) {
    let np = shape[ni], op = od[oi];
    while (np !== op) {
      if (np < op) np *= shape[nj++];
      else op *= od[oj++];
    }
    for (let k = oi; k < oj - 1; k++) if (os[k] !== od[k + 1] * os[k + 1]) return null;
    ns[nj - 1] = os[oj - 1];
    for (let k = nj - 1; k > ni; k--) ns[k - 1] = ns[k] * shape[k];
    ni = nj++;
    oi = oj++;
  }
  return { shape, strides: ns, offset: v.offset };
}

export interface GatherViews {
  /** x over the gather's output, with the gathered axis taken out: the offset of row 0 of each element's slice. */
  readonly x: View;
  /** The indices over the gather's output (0 strides on the axes of x they do not index). */
  readonly indices: View;
  /** x's stride along the gathered axis, and its length there (each index must lie in [0, size)). */
  readonly step: number;
  readonly size: number;
}

/**
 * The reads of TF-style `gather(x, indices, axis, batchDims)` with x and the indices seen through `x` and
 * `indices` (views without bounds): the output is x.shape[:axis] + indices.shape[batchDims:] + x.shape[axis+1:],
 * and its element (b, p, q, s) reads x[b, p, indices[b, q], s].
 */
export function gatherViews(x: View, indices: View, axis: number, batchDims: number): GatherViews {
  if (x.bounds || indices.bounds) throw new Error('gatherViews: a padded view (read it as stored)');
  const rest = indices.shape.length - batchDims, after = x.shape.length - axis - 1;
  const zeros = (n: number) => new Array<number>(n).fill(0);
  const shape = [...x.shape.slice(0, axis), ...indices.shape.slice(batchDims), ...x.shape.slice(axis + 1)];
  return {
    x: { shape, strides: [...x.strides.slice(0, axis), ...zeros(rest), ...x.strides.slice(axis + 1)], offset: x.offset },
    indices: { shape, strides: [...indices.strides.slice(0, batchDims), ...zeros(axis - batchDims), ...indices.strides.slice(batchDims), ...zeros(after)], offset: indices.offset },
    step: x.strides[axis],
    size: x.shape[axis],
  };
}
