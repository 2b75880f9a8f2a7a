// Lowerings for a backend whose loops read plain strided values (the cpu backend's engines): a kernel with
// padded reads as plain kernels over boxes of its output, range leaves as stored ranges, gathers as stored
// gathered values.
import { type Expr, type FusedKernel, inputView, perKernel, stableKey } from '../kernel.js';
import type { GatherLeaf } from './gather.js';
import type { TensorInfo } from '../primitives.js';
import { type View, boundsOf, broadcastView } from './view.js';

/** `e` with each leaf replaced by `f(leaf)`. */
const mapLeaves = (e: Expr, f: (leaf: Expr) => Expr): Expr => ('args' in e ? ({ ...e, args: e.args.map((a) => mapLeaves(a, f)) } as unknown as Expr) : f(e));

/** One box of a kernel's output over which every padded read is all stored values or all fill. */
export interface Piece {
  /** The box: its first index per axis, and its shape. */
  readonly lo: readonly number[];
  readonly shape: readonly number[];
  /**
   * The kernel's expression over the box: a leaf that reads only fill there is that constant, `inBounds` is
   * 1 or 0; its inputs renumbered.
   */
  readonly expr: Expr;
  /** The kernel inputs the expression reads, in its numbering. */
  readonly inputs: readonly number[];
}

/**
 * The kernel's output cut into the boxes on which each input read through a padded view (`View.bounds`)
 * reads either only its stored values or only its fill, so that a backend whose loops read strided operands
 * with no bounds checks can run a padded read as plain loops, one per box. Null when no input is padded.
 */
export const paddedPieces = (k: FusedKernel): Piece[] | null => perKernel(pieces, k, piecesOf);
const pieces = new WeakMap<FusedKernel, Piece[] | null>();

function piecesOf(k: FusedKernel): Piece[] | null {
  const out = k.out.shape;
  const padded = k.inputs.flatMap((_, j) => {
    const v = k.views?.[j];
    return v?.bounds ? [{ j, bounds: boundsOf(broadcastView(v, out)), fill: v.fill! }] : [];
  });
  if (padded.length === 0) return null;
  // per axis, the cuts between intervals: the axis' ends and every padded input's bounds
  const cuts = out.map((d, a) => [...new Set([0, d, ...padded.flatMap((p) => p.bounds[a])])].sort((x, y) => x - y));
  const boxes: { lo: number[]; hi: number[] }[] = [{ lo: [], hi: [] }];
  cuts.forEach((c) => {
    const next: typeof boxes = [];
    for (const b of boxes) for (let t = 0; t + 1 < c.length; t++) next.push({ lo: [...b.lo, c[t]], hi: [...b.hi, c[t + 1]] });
    boxes.splice(0, boxes.length, ...next);
  });
  return boxes.map(({ lo, hi }) => {
    const fills = new Map<number, number>();
    for (const p of padded) if (p.bounds.some(([l, h], a) => lo[a] >= h || hi[a] <= l)) fills.set(p.j, p.fill);
    const used: number[] = [];
    const expr = mapLeaves(k.expr, (e) => {
      if (e.op === 'inBounds') return { op: 'const', value: fills.has(e.index) ? 0 : 1, dtype: 'bool' };
      if (e.op === 'gather') throw new Error('paddedPieces: a gather leaf (gathersAsInputs first)');
      if (e.op !== 'input') return e;
      if (fills.has(e.index)) return { op: 'const', value: fills.get(e.index)!, dtype: e.dtype };
      let n = used.indexOf(e.index);
      if (n < 0) n = used.push(e.index) - 1;
      return { op: 'input', index: n, dtype: e.dtype };
    });
    return { lo, shape: hi.map((h, a) => h - lo[a]), expr, inputs: used };
  });
}

/** The kernel with some leaves read from inputs of their own (appended after the kernel's inputs). */
export interface LeavesAsInputs<L extends Expr> {
  readonly kernel: FusedKernel;
  /** Per added input: the leaf it stands for, and its shape and dtype. */
  readonly added: readonly { readonly leaf: L; readonly info: TensorInfo }[];
}

/**
 * `k` with each leaf of kind `op` read from an added input instead (one per distinct leaf): the input `pick`
 * describes, read through the view it gives (as stored when null). Null when `k` has no such leaf.
 */
function leavesAsInputs<L extends Expr>(k: FusedKernel, op: L['op'], pick: (e: L) => { info: TensorInfo; view: View | null }): LeavesAsInputs<L> | null {
  const has = (e: Expr): boolean => e.op === op || ('args' in e && e.args.some(has));
  if (!has(k.expr) && !(k.head && 'prologue' in k.head && has(k.head.prologue.expr))) return null; // the common case: nothing to do
  const added: { leaf: L; info: TensorInfo }[] = [], views: (View | null)[] = [], keys: string[] = [];
  const asInput = (e: Expr): Expr => {
    if (e.op !== op) return e;
    const key = stableKey(e);
    let j = keys.indexOf(key);
    if (j < 0) { const p = pick(e as L); j = keys.push(key) - 1; added.push({ leaf: e as L, info: p.info }); views.push(p.view); }
    return { op: 'input', index: k.inputs.length + j, dtype: e.dtype };
  };
  const expr = mapLeaves(k.expr, asInput), h = k.head;
  const head = h && 'prologue' in h ? { head: { ...h, prologue: { ...h.prologue, expr: mapLeaves(h.prologue.expr, asInput) } } } : {};
  return {
    kernel: { ...k, expr, ...head, inputs: [...k.inputs, ...added.map((a) => a.info)], views: [...(k.views ?? k.inputs.map(() => null)), ...views] },
    added,
  };
}

/**
 * The kernel with each range leaf (`iota`) read from an input of its own holding 0, 1, ..., length - 1
 * (read through the leaf's view), for a backend whose loops read only stored values. Null when the kernel
 * has no range leaf.
 */
export const iotaAsInputs = (k: FusedKernel): LeavesAsInputs<Expr & { op: 'iota' }> | null => perKernel(rangeInputs, k, (kk) => leavesAsInputs<Expr & { op: 'iota' }>(kk, 'iota', (e) => {
  const v = e.view;
  const length = v.shape.some((d) => d === 0) ? 0 : v.offset + v.shape.reduce((n, d, a) => n + (d - 1) * Math.max(v.strides[a], 0), 0) + 1;
  return { info: { shape: [length], dtype: e.dtype }, view: v };
}));
const rangeInputs = new WeakMap<FusedKernel, LeavesAsInputs<Expr & { op: 'iota' }> | null>();

/**
 * The kernel with each gather leaf read from an input of its own holding the values it gathers over its
 * shape (`gatheredValues` computes them at run time), for a backend whose loops have no indexed reads. Null
 * when the kernel has no gather leaf.
 */
export const gathersAsInputs = (k: FusedKernel): LeavesAsInputs<GatherLeaf> | null => perKernel(gatherInputs, k, (kk) => leavesAsInputs<GatherLeaf>(kk, 'gather', (e) =>
  ({ info: { shape: inputView(kk, e.index).shape, dtype: e.dtype }, view: null })));
const gatherInputs = new WeakMap<FusedKernel, LeavesAsInputs<GatherLeaf> | null>();
