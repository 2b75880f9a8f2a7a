// Gather as an indexed read: a kernel leaf that reads one input at an offset its view gives plus an index
// read from another input times a step. The views, the check of the indices and the materialisation that a
// backend without indexed reads in its loops needs.
import { type DType, type TypedArray, allocArray } from '../dtype.js';
import { TensorError } from '../errors.js';
import type { Expr, FusedKernel } from '../kernel.js';
import { inputView, perKernel } from '../kernel.js';
import { sizeOf } from '../shape.js';
import type { GatherViews, View } from './view.js';

/** The leaf (see `Expr`): input `index` at its view's offset plus `indices`' value times `step`. */
export type GatherLeaf = Extract<Expr, { op: 'gather' }>;

/** Throws (op `op`: gather or scatterAdd) unless index `j` lies in [0, size). */
export function checkIndex(op: string, j: number, size: number): void {
  if (!(j >= 0 && j < size)) throw new TensorError({ kind: 'InvalidArgument', op, message: `index ${j} out of range [0, ${size})` });
}

/** `checkIndex` for every value of a stored index tensor. */
export function checkIndices(op: string, values: ArrayLike<number>, size: number): void {
  for (let i = 0; i < values.length; i++) checkIndex(op, values[i], size);
}

/** The kernel's gather leaves (in its expression and its prologue's), found once per kernel object. */
export const gathersOf = (k: FusedKernel): readonly GatherLeaf[] => perKernel(gathers, k, (kk) => {
  const found: GatherLeaf[] = [];
  const walk = (e: Expr): void => { if (e.op === 'gather') found.push(e); else if ('args' in e) e.args.forEach(walk); };
  walk(kk.expr);
  if (kk.head && 'prologue' in kk.head) walk(kk.head.prologue.expr);
  return found;
});
const gathers = new WeakMap<FusedKernel, readonly GatherLeaf[]>();

/** Calls `f` with each offset a view reads over its own shape, once per distinct offset along broadcast axes. */
function forEachOffset(v: View, f: (offset: number) => void): void {
  const dims = v.shape.map((d, a) => ({ d, s: v.strides[a] })).filter(({ d, s }) => d !== 1 && s !== 0);
  if (v.shape.some((d) => d === 0)) return;
  const walk = (a: number, at: number): void => {
    if (a === dims.length) { f(at); return; }
    for (let i = 0; i < dims[a].d; i++) walk(a + 1, at + i * dims[a].s);
  };
  walk(0, v.offset);
}

/**
 * Throws (op 'gather', as the unfused op would) when an index any gather leaf of `k` reads lies outside its
 * axis. Every index is checked before anything runs, read or not (a leaf in the branch a `where` does not pick
 * is checked too: the unfused gather would have run).
 */
export function checkGatherIndices(k: FusedKernel, valuesOf: (input: number) => ArrayLike<number>): void {
  for (const g of gathersOf(k)) {
    const idx = valuesOf(g.indices);
    forEachOffset(inputView(k, g.indices), (o) => checkIndex('gather', idx[o], g.size));
  }
}

/**
 * The values gather reads through `g`'s views (`gatherViews`), over their shape, stored row-major: for a
 * backend whose loops read only stored values (then a kernel reads them as an input). The indices must have
 * been checked (`checkGatherIndices`).
 */
export function gatheredValues(g: GatherViews, x: TypedArray, indices: ArrayLike<number>, dtype: DType,
  alloc: (dtype: DType, n: number) => TypedArray = allocArray): TypedArray {
  const { x: xv, indices: iv } = g, shape = xv.shape;
  const r = alloc(dtype, sizeOf(shape));
  if (r.length === 0) return r;
  const last = shape.length - 1, n = last < 0 ? 1 : shape[last];
  const xs = last < 0 ? 0 : xv.strides[last], is = last < 0 ? 0 : iv.strides[last];
  let o = 0;
  const rows = (a: number, xAt: number, iAt: number): void => {
    if (a >= last) {
      const base = xAt + indices[iAt] * g.step;
      if (is === 0 && xs === 1 && n >= 16) { r.set(x.subarray(base, base + n), o); o += n; } // one index, a stored row
      else if (is === 0) for (let t = 0; t < n; t++) r[o++] = x[base + t * xs];
      else for (let t = 0; t < n; t++) r[o++] = x[xAt + t * xs + indices[iAt + t * is] * g.step];
      return;
    }
    for (let i = 0; i < shape[a]; i++) rows(a + 1, xAt + i * xv.strides[a], iAt + i * iv.strides[a]);
  };
  rows(0, xv.offset, iv.offset);
  return r;
}

/** The views a kernel's gather leaf reads through. */
export const leafViews = (k: FusedKernel, leaf: GatherLeaf): GatherViews =>
  ({ x: inputView(k, leaf.index), indices: inputView(k, leaf.indices), step: leaf.step, size: leaf.size });
