import { type DType, roundTo } from './dtype.js';
import { type PrimParams, type Primitive, type TensorInfo, primitives } from './primitives.js';
import type { BinaryPrim, UnaryPrim } from './ir/ops.js';
import { type View, boundsOf, broadcastView, concatViews, contiguousView, padView, permuteView, sliceView } from './ir/view.js';

/**
 * One element-wise expression: the kernel description every backend compiles (gpu.js source, CPU loops,
 * the reference interpreter). Each node carries the dtype its value is stored in, so a backend can round
 * exactly where the unfused ops would (float32: fround, int32: wrap, bool: 0/1).
 */
export type Expr =
  | { readonly op: 'input'; readonly index: number; readonly dtype: DType }
  | { readonly op: 'const'; readonly value: number; readonly dtype: DType }
  | { readonly op: 'head'; readonly dtype: DType }
  /** 1 where input `index`'s padded view reads a stored value at this element, 0 where it reads its fill. */
  | { readonly op: 'inBounds'; readonly index: number; readonly dtype: 'bool' }
  /** A range 0, 1, ... read through `view` (no storage: an element's value is its offset in the view). */
  | { readonly op: 'iota'; readonly view: View; readonly dtype: DType }
  | { readonly op: UnaryPrim; readonly args: readonly [Expr]; readonly dtype: DType }
  | { readonly op: BinaryPrim; readonly args: readonly [Expr, Expr]; readonly dtype: DType }
  | { readonly op: 'where'; readonly args: readonly [Expr, Expr, Expr]; readonly dtype: DType }
  | { readonly op: 'cast'; readonly args: readonly [Expr]; readonly dtype: DType };

/**
 * A reduction or matmul whose result the expression reads as `{ op: 'head' }` (an epilogue). A reduction
 * reduces either a kernel input or a prologue: an element-wise expression over the kernel inputs, evaluated
 * over `prologue.out.shape` (inputs broadcast to it), so the reduced values are never stored.
 */
export type Head =
  | { readonly prim: 'matmul'; readonly inputs: readonly [number, number]; readonly params: PrimParams['matmul'] }
  | { readonly prim: 'reduceSum' | 'reduceMax'; readonly inputs: readonly [number]; readonly params: PrimParams['reduceSum'] }
  | { readonly prim: 'reduceSum' | 'reduceMax'; readonly prologue: Prologue; readonly params: PrimParams['reduceSum'] };

/** The element-wise expression a reduction head reduces, and the shape and dtype of its values. */
export interface Prologue { readonly expr: Expr; readonly out: TensorInfo }

/**
 * A fused kernel: `out[i] = expr(i)` over every element of `out`, where an `input` leaf reads kernel input
 * `index` through its view (`views[index]`, or the input as stored) broadcast (NumPy rules) to `out.shape`,
 * and `head` reads the head's result at `i` (the head's output shape is `out.shape`). Head inputs are kernel
 * inputs too: a matmul's operands are their views (the view's shape is the operand's), a reduction's input is
 * read as stored. One stored tensor read through two views is two inputs.
 */
export interface FusedKernel {
  readonly inputs: readonly TensorInfo[];
  readonly views?: readonly (View | null)[];
  readonly out: TensorInfo;
  readonly expr: Expr;
  readonly head?: Head;
}

/** The view through which kernel `k` reads its input `j`. */
export const inputView = (k: Pick<FusedKernel, 'inputs' | 'views'>, j: number): View => k.views?.[j] ?? contiguousView(k.inputs[j].shape);

/**
 * A stable text key for caching compiled kernels (of a kernel, an expression or any JSON-like value). Numbers
 * are written so that every distinct value has its own text (JSON would write -0 as 0 and NaN and the
 * infinities as null).
 */
export const stableKey = (value: unknown): string =>
  JSON.stringify(value, (_key, v: unknown) => (typeof v === 'number' && (!Number.isFinite(v) || Object.is(v, -0)) ? `#${Object.is(v, -0) ? '-0' : String(v)}` : v));
export const kernelKey = (k: FusedKernel): string => stableKey(k);

const ELEMENTWISE_KINDS = new Set(['unary', 'binary', 'compare', 'select', 'cast']);

/** True for the primitives an `Expr` node can be (element-wise arithmetic, comparisons, where, cast). */
export const isElementwisePrim = (prim: Primitive): boolean => ELEMENTWISE_KINDS.has(primitives[prim].kind);

/** A step that reads or makes bfloat16 (a stored weight) stays a primitive: kernels compute in the dtypes they read. */
export const touchesBfloat16 = (inputs: readonly TensorInfo[], out: TensorInfo): boolean =>
  out.dtype === 'bfloat16' || inputs.some((x) => x.dtype === 'bfloat16');

/**
 * The concat of `parts` (leaves reading each part through its padded view): each element the part whose
 * view reads a stored value there, `where(inBounds(p0), p0, where(inBounds(p1), p1, ... p_last))`, a pick,
 * never arithmetic (a sum with zeros would flush subnormals on GL).
 */
export const concatExpr = (parts: readonly (Expr & { op: 'input' })[], dtype: DType): Expr =>
  parts.slice(0, -1).reduceRight<Expr>((rest, p) => ({ op: 'where', args: [{ op: 'inBounds', index: p.index, dtype: 'bool' }, p, rest], dtype }), parts[parts.length - 1]);

/**
 * A primitive as the kernel a backend runs (`runKernel`): an element-wise op as a one-node expression over
 * inputs 0..; permute, slice and pad as a read of input 0 through a view of it, broadcastTo as a read of
 * input 0 (inputs broadcast to the output), concat as a pick of its parts read through padded views, iota as
 * a range leaf; a reduction or a matmul as a head. Null for the routines (`runRoutine`: reshape, gather,
 * scatterAdd and the composites) and for a step that reads or makes bfloat16 (a stored weight: its casts,
 * products and gathers run as primitives).
 */
export function primitiveKernel(prim: Primitive, inputs: readonly TensorInfo[], params: unknown, out: TensorInfo): FusedKernel | null {
  if (touchesBfloat16(inputs, out)) return null;
  const input = (index: number): Expr => ({ op: 'input', index, dtype: inputs[index].dtype });
  const head: Expr = { op: 'head', dtype: out.dtype };
  switch (prim) {
    case 'matmul': return { inputs, out, expr: head, head: { prim, inputs: [0, 1], params: params as PrimParams['matmul'] } };
    case 'reduceSum': case 'reduceMax': return { inputs, out, expr: head, head: { prim, inputs: [0], params: params as PrimParams['reduceSum'] } };
    case 'permute': return { inputs, out, expr: input(0), views: [permuteView(contiguousView(inputs[0].shape), (params as PrimParams['permute']).perm)] };
    case 'slice': {
      const { starts, ends } = params as PrimParams['slice'];
      return { inputs, out, expr: input(0), views: [sliceView(contiguousView(inputs[0].shape), starts, ends)] };
    }
    case 'pad': {
      const { before, after, value } = params as PrimParams['pad'];
      return { inputs, out, expr: input(0), views: [padView(contiguousView(inputs[0].shape), before, after, roundTo(out.dtype, value))!] };
    }
    case 'concat': {
      const views = concatViews(inputs.map((x) => contiguousView(x.shape)), (params as PrimParams['concat']).axis);
      return { inputs, out, expr: concatExpr(inputs.map((_, j) => ({ op: 'input', index: j, dtype: inputs[j].dtype })), out.dtype), views };
    }
    case 'broadcastTo': return { inputs, out, expr: input(0) };
    case 'iota': return { inputs, out, expr: { op: 'iota', view: contiguousView(out.shape), dtype: out.dtype } };
  }
  if (!isElementwisePrim(prim)) return null;
  return { inputs, out, expr: { op: prim, args: inputs.map((_, i) => input(i)), dtype: out.dtype } as unknown as Expr };
}

/** The dtype of the value a kernel's head (matmul or reduction) hands its expression, or null without a head. */
export function headDtype(e: Expr): Expr['dtype'] | null {
  if (e.op === 'head') return e.dtype;
  if ('args' in e) for (const a of e.args) { const d = headDtype(a); if (d) return d; }
  return null;
}

/**
 * A kernel whose reduction head has a prologue, as two kernels: the prologue on its own (its values stored),
 * and the rest reading them as one more input. For backends that do not fold a prologue into the reduction.
 */
export function splitPrologue(k: FusedKernel): { readonly prologue: FusedKernel; readonly rest: FusedKernel } | null {
  const h = k.head;
  if (!h || !('prologue' in h)) return null;
  return {
    prologue: { inputs: k.inputs, ...(k.views ? { views: k.views } : {}), out: h.prologue.out, expr: h.prologue.expr },
    rest: {
      inputs: [...k.inputs, h.prologue.out], ...(k.views ? { views: [...k.views, null] } : {}),
      out: k.out, expr: k.expr, head: { prim: h.prim, inputs: [k.inputs.length], params: h.params },
    },
  };
}

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
export function paddedPieces(k: FusedKernel): Piece[] | null {
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
    const rewrite = (e: Expr): Expr => {
      if (e.op === 'inBounds') return { op: 'const', value: fills.has(e.index) ? 0 : 1, dtype: 'bool' };
      if (e.op === 'input') {
        if (fills.has(e.index)) return { op: 'const', value: fills.get(e.index)!, dtype: e.dtype };
        let n = used.indexOf(e.index);
        if (n < 0) n = used.push(e.index) - 1;
        return { op: 'input', index: n, dtype: e.dtype };
      }
      return 'args' in e ? ({ ...e, args: e.args.map(rewrite) } as unknown as Expr) : e;
    };
    return { lo, shape: hi.map((h, a) => h - lo[a]), expr: rewrite(k.expr), inputs: used };
  });
}

/** The kernel's expressions (its own and its prologue's). */
const exprsOf = (k: FusedKernel): Expr[] => [k.expr, ...(k.head && 'prologue' in k.head ? [k.head.prologue.expr] : [])];

/** `e` with each leaf replaced by `f(leaf)`. */
const mapLeaves = (e: Expr, f: (leaf: Expr) => Expr): Expr => ('args' in e ? ({ ...e, args: e.args.map((a) => mapLeaves(a, f)) } as unknown as Expr) : f(e));

const hasIota = (e: Expr): boolean => e.op === 'iota' || ('args' in e && e.args.some(hasIota));

/**
 * The kernel with each range leaf (`iota`) read from an input of its own holding 0, 1, ..., length - 1
 * (appended after the kernel's inputs, read through the leaf's view), for a backend whose loops read only
 * stored values; `lengths` gives each added input's length. Null when the kernel has no range leaf.
 */
export function iotaAsInputs(k: FusedKernel): { kernel: FusedKernel; ranges: readonly TensorInfo[] } | null {
  if (!exprsOf(k).some(hasIota)) return null;
  const ranges: TensorInfo[] = [], views: (View | null)[] = [];
  const keys: string[] = [];
  const asInput = (e: Expr): Expr => {
    if (e.op !== 'iota') return e;
    const key = stableKey([e.view, e.dtype]);
    let j = keys.indexOf(key);
    if (j < 0) {
      const v = e.view;
      const length = v.shape.some((d) => d === 0) ? 0 : v.offset + v.shape.reduce((n, d, a) => n + (d - 1) * Math.max(v.strides[a], 0), 0) + 1;
      j = keys.push(key) - 1;
      ranges.push({ shape: [length], dtype: e.dtype });
      views.push(v);
    }
    return { op: 'input', index: k.inputs.length + j, dtype: e.dtype };
  };
  const h = k.head;
  return {
    kernel: {
      ...k,
      expr: mapLeaves(k.expr, asInput),
      ...(h && 'prologue' in h ? { head: { ...h, prologue: { ...h.prologue, expr: mapLeaves(h.prologue.expr, asInput) } } } : {}),
      inputs: [...k.inputs, ...ranges],
      views: [...(k.views ?? k.inputs.map(() => null)), ...views],
    },
    ranges,
  };
}
