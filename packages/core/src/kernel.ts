import { type DType, roundTo } from './dtype.js';
import { type PrimParams, type Primitive, type TensorInfo, primitives } from './primitives.js';
import type { BinaryPrim, UnaryPrim } from './ir/ops.js';
import { type GatherViews, type View, concatViews, contiguousView, gatherViews, padView, permuteView, sliceView } from './ir/view.js';

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
  /**
   * A gather, an indexed read: input `index` read through its view (over the gather's output with the
   * gathered axis taken out, `gatherViews`) at that offset plus `step` times the int32 value input `indices`
   * holds there (read through its view). Every index lies in [0, size): backends check them before running.
   */
  | { readonly op: 'gather'; readonly index: number; readonly indices: number; readonly step: number; readonly size: number; readonly dtype: DType }
  | { readonly op: UnaryPrim; readonly args: readonly [Expr]; readonly dtype: DType }
  | { readonly op: BinaryPrim; readonly args: readonly [Expr, Expr]; readonly dtype: DType }
  | { readonly op: 'where'; readonly args: readonly [Expr, Expr, Expr]; readonly dtype: DType }
  | { readonly op: 'cast'; readonly args: readonly [Expr]; readonly dtype: DType };

/**
 * A reduction or matmul whose result the expression reads as `{ op: 'head' }` (an epilogue). A reduction
 * reduces either a kernel input or a prologue: an element-wise expression over the kernel inputs, evaluated
 * over `prologue.out.shape` (inputs broadcast to it), so the reduced values are never stored. Neither a
 * product's operands nor a prologue's inputs are read through padded views (jit reads those pads as stored).
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
export const kernelKey = (k: FusedKernel): string => perKernel(keys, k, stableKey);
const keys = new WeakMap<FusedKernel, string>();

/**
 * `f(k)`, computed once per kernel object: a jit program replays the same kernel objects every step, so what a
 * backend derives from a kernel (its key, its lowerings) is not derived again on that path.
 */
export function perKernel<T>(cache: WeakMap<FusedKernel, T>, k: FusedKernel, f: (k: FusedKernel) => T): T {
  if (cache.has(k)) return cache.get(k)!;
  const v = f(k);
  cache.set(k, v);
  return v;
}

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

/** The gather leaf reading input `index` and its indices, input `indices`, through the views `g` gives them. */
export const gatherExpr = (index: number, indices: number, g: GatherViews, dtype: DType): Expr => ({ op: 'gather', index, indices, step: g.step, size: g.size, dtype });

/**
 * A primitive as the kernel a backend runs (`runKernel`): an element-wise op as a one-node expression over
 * inputs 0..; permute, slice and pad as a read of input 0 through a view of it, broadcastTo as a read of
 * input 0 (inputs broadcast to the output), concat as a pick of its parts read through padded views, iota as
 * a range leaf, gather as an indexed read; a reduction or a matmul as a head. Null for the routines
 * (`runRoutine`: reshape, scatterAdd and the composites) and for a step that reads or makes bfloat16 (a
 * stored weight: its casts, products and gathers run as primitives).
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
    case 'gather': {
      const { axis, batchDims } = params as PrimParams['gather'];
      const g = gatherViews(contiguousView(inputs[0].shape), contiguousView(inputs[1].shape), axis, batchDims);
      return { inputs, out, views: [g.x, g.indices], expr: gatherExpr(0, 1, g, out.dtype) };
    }
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
