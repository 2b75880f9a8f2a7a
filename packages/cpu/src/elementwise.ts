// Element-wise loops compiled once per kernel structure with `new Function`.
//
// A kernel is an `Expr` tree over strided operands: each operand (and the output) is a typed array, an offset
// and one stride per output dim (0 where it broadcasts). Shapes, strides and the expression's constants are
// arguments, so one compiled function serves every shape and every value of the constants; the cache key is
// the canonical expression (constants as slots) with its dtypes plus the class of each operand's innermost
// stride (0: hoisted out of the inner loop, 1: contiguous, s: strided). (core's `kernelKey` is not used: it
// includes shapes and constant values, and JSON.stringify writes -0 as 0 and NaN / Infinity as null.)
// Nodes are written by core's `renderNode` in the cpu dialect (every node rounded to its dtype as the unfused
// op would store it), so results are bit-identical to the reference backend.
import { type DType, type Dialect, type Expr, type TypedArray, elementwiseOp, renderNode, stableKey } from '@safekey-ts/core';
import { compileProgram } from './native-ewise.js';

/** Below this many elements a kernel runs in JS even when a VM is there (a call costs ~1 us). */
export const VM_MIN_ELEMENTS = 1024;

/**
 * A VM that runs the register programs of native-ewise.ts: the addon's (native/ewise.cc) or the wasm path's
 * (wasm-ewise.ts), which returns false for a kernel it does not take. `reduce` folds a plain reduction (the
 * addon's; without it a reduction is the VM's fold of its input).
 */
export interface VmKernels {
  ewise(prog: Int32Array, consts: Float64Array, nregs: number, result: number, shape: Int32Array, out: TypedArray,
    outOff: number, outStrides: Int32Array, inputs: readonly TypedArray[], inOffs: Int32Array, inStrides: Int32Array, floatMode: boolean,
    reduce?: 0 | 1 | 2): boolean | void;
  reduce?(max: boolean, x: TypedArray, shape: Int32Array, xStrides: Int32Array, oStrides: Int32Array, acc: Float64Array): void;
}

/** A VM as the kernels see it: its kernels, and the smallest kernel (in elements) worth a call to it. */
export interface EwiseVM extends VmKernels { readonly minElements: number }

export interface Operand {
  readonly data: TypedArray;
  readonly offset: number;
  /** One stride per dim of the iteration shape (in elements; 0 = broadcast). */
  readonly strides: readonly number[];
}

type StrideClass = '0' | '1' | 's';
type Compiled = (out: TypedArray, oOff: number, oSt: Int32Array, shape: Int32Array, rank: number,
  ins: readonly TypedArray[], offs: Int32Array, sts: readonly Int32Array[], consts: Float64Array) => void;

const cache = new Map<string, Compiled>();
let compiles = 0;
/** Number of kernels compiled so far (for tests and stats). */
export const compiledKernels = (): number => compiles;

/** JavaScript as the cpu backend runs it: every node stored as its dtype stores (float32: fround, int32: wrap, bool: 0/1). */
const cpuDialect: Dialect = {
  spell: (op) => elementwiseOp(op).js,
  round: (dtype, x) => {
    switch (dtype) {
      case 'float32': return `Math.fround(${x})`;
      case 'float64': return x;
      case 'int32': return `((${x}) | 0)`;
      case 'bool': return `((${x}) ? 1 : 0)`;
      case 'bfloat16': throw new Error('cpu: a kernel node of dtype bfloat16 (bfloat16 only stores weights; jit keeps it out of kernels)');
    }
  },
  trunc: (x) => `Math.trunc(${x})`,
};

/**
 * Generates the loop for `expr` over `nIn` operands. Operand `i` is read by `{op:'input', index:i}` leaves
 * (a `head` leaf reads operand `headIndex`). Subexpressions are computed once (by structure) and those
 * depending only on broadcast-in-the-inner-dim operands are hoisted out of the inner loop.
 */
function generate(expr: Expr, nIn: number, headIndex: number, classes: readonly StrideClass[], outClass: StrideClass, sink: Sink): string {
  const outer: string[] = [], inner: string[] = [];
  const outerConsts = new Set<number>();
  const memo = new Map<string, { name: string; invariant: boolean }>();
  let tmp = 0;
  const visit = (e: Expr): { name: string; invariant: boolean } => {
    const key = stableKey(e);
    const hit = memo.get(key);
    if (hit) return hit;
    let r: { name: string; invariant: boolean };
    if (e.op === 'input' || e.op === 'head') {
      const i = e.op === 'head' ? headIndex : e.index;
      const c = classes[i];
      const at = c === '0' ? `a${i}` : c === '1' ? `a${i} + j` : `a${i} + j * s${i}`;
      r = { name: `x${i}`, invariant: c === '0' };
      (c === '0' ? outer : inner).push(`const x${i} = in${i}[${at}];`);
    } else if (e.op === 'inBounds' || e.op === 'iota' || e.op === 'gather') {
      throw new Error(`cpu: an ${e.op} leaf in a loop (paddedPieces, iotaAsInputs and gathersAsInputs make it a constant per box, a stored range, stored values)`);
    } else if (e.op === 'const') {
      r = { name: `k${e.value}`, invariant: true }; // a slot of the canonical expression (see `canonical`)
      outerConsts.add(e.value);
    } else {
      const args = e.args.map(visit);
      const invariant = args.every((a) => a.invariant);
      const name = `t${tmp++}`;
      (invariant ? outer : inner).push(`const ${name} = ${renderNode(e, args.map((a) => a.name), cpuDialect)};`);
      r = { name, invariant };
    }
    memo.set(key, r);
    return r;
  };
  const result = visit(expr);
  const outAt = outClass === '1' ? 'o + j' : 'o + j * so';
  const fold = (acc: string, v: string) => (sink === 'sum' ? `${acc} + ${v}` : `(${v} > ${acc} || ${v} !== ${v}) ? ${v} : ${acc}`);
  // folding along a reduced inner dim: one local accumulator per row instead of a load and store per value
  const rowAcc = sink !== 'store' && outClass === '0';
  const ins = Array.from({ length: nIn }, (_, i) => i);
  return `
    const n = shape[rank - 1], so = oSt[rank - 1];
    ${[...outerConsts].map((k) => `const k${k} = consts[${k}];`).join(' ')}
    ${ins.map((i) => `const in${i} = ins[${i}], st${i} = sts[${i}], s${i} = st${i}[rank - 1];`).join('\n    ')}
    let rows = 1;
    for (let d = 0; d < rank - 1; d++) rows *= shape[d];
    const idx = new Int32Array(rank);
    let o = oOff${ins.map((i) => `, a${i} = offs[${i}]`).join('')};
    for (let r = 0; r < rows; r++) {
      ${outer.join('\n      ')}
      ${rowAcc ? 'let s = out[o];' : ''}
      for (let j = 0; j < n; j++) {
        ${inner.join('\n        ')}
        ${sink === 'store' ? `out[${outAt}] = ${result.name};`
    : rowAcc ? `s = ${fold('s', result.name)};`
    : `const q = ${outAt}, s = out[q];
        out[q] = ${fold('s', result.name)};`}
      }
      ${rowAcc ? 'out[o] = s;' : ''}
      for (let d = rank - 2; d >= 0; d--) {
        o += oSt[d];${ins.map((i) => ` a${i} += st${i}[d];`).join('')}
        if (++idx[d] < shape[d]) break;
        const len = shape[d];
        o -= oSt[d] * len;${ins.map((i) => ` a${i} -= st${i}[d] * len;`).join('')}
        idx[d] = 0;
      }
    }`;
}

/**
 * The expression with its constants moved out: each `const` node's value becomes the index of a slot
 * (equal values of one dtype share a slot), and `consts` holds the slot values rounded to their dtypes. A
 * kernel is compiled once per canonical structure, so constants that change every call (a learning rate, an
 * Adam bias correction) do not compile a new kernel each time.
 */
export function canonical(expr: Expr): { expr: Expr; consts: Float64Array; key: string } {
  const values: number[] = [], dtypes: DType[] = [];
  const walk = (e: Expr): Expr => {
    if (e.op === 'const') {
      const v = e.dtype === 'float32' ? Math.fround(e.value) : e.dtype === 'int32' ? e.value | 0 : e.dtype === 'bool' ? +!!e.value : e.value;
      let slot = values.findIndex((x, i) => Object.is(x, v) && dtypes[i] === e.dtype);
      if (slot < 0) { slot = values.length; values.push(v); dtypes.push(e.dtype); }
      return { op: 'const', value: slot, dtype: e.dtype };
    }
    if ('args' in e) return { ...e, args: e.args.map(walk) } as unknown as Expr;
    return e;
  };
  const c = walk(expr);
  return { expr: c, consts: Float64Array.from(values), key: stableKey(c) };
}

const canonicals = new WeakMap<Expr, ReturnType<typeof canonical>>();
/** `canonical(expr)`, once per expression object (a jit program runs the same kernel objects every step). */
function canonicalOf(expr: Expr): ReturnType<typeof canonical> {
  let c = canonicals.get(expr);
  if (!c) { c = canonical(expr); canonicals.set(expr, c); }
  return c;
}


const classOf = (s: number): StrideClass => (s === 0 ? '0' : s === 1 ? '1' : 's');

/**
 * Merges adjacent dims that every operand walks contiguously, drops dims of size 1, and returns the
 * collapsed shape with each operand's strides (at least rank 1).
 */
export function collapse(shape: readonly number[], strides: readonly (readonly number[])[]): { shape: number[]; strides: number[][] } {
  const dims: number[] = [], sts: number[][] = strides.map(() => []);
  for (let d = 0; d < shape.length; d++) {
    if (shape[d] === 1) continue;
    const last = dims.length - 1;
    if (last >= 0 && strides.every((s, i) => sts[i][last] === s[d] * shape[d])) {
      dims[last] *= shape[d];
      strides.forEach((s, i) => { sts[i][last] = s[d]; });
    } else {
      dims.push(shape[d]);
      strides.forEach((s, i) => sts[i].push(s[d]));
    }
  }
  if (dims.length === 0) { dims.push(1); sts.forEach((s) => s.push(0)); }
  return { shape: dims, strides: sts };
}

/**
 * Where each value goes: stored into `out`, or folded into `out` (a float64 accumulator whose strides are 0
 * over the reduced dims) by sum or max, in row-major order as the reference's reductions fold.
 */
export type Sink = 'store' | 'sum' | 'max';

/**
 * Evaluates `expr` over `shape`, writing `out` (strided) or folding into it (`sink`). `headIndex` names the
 * operand a `head` leaf reads. With a `vm`, kernels of at least `vm.minElements` elements and no float64 node run
 * in it (unless it declines). Nothing is done for an empty shape.
 */
export function runElementwise(expr: Expr, shape: readonly number[], out: Operand, inputs: readonly Operand[], headIndex = -1,
  vm: EwiseVM | null = null, sink: Sink = 'store'): 'vm' | 'js' {
  let size = 1;
  for (const d of shape) size *= d;
  if (size === 0) return 'js';
  const c = collapse(shape, [out.strides, ...inputs.map((x) => x.strides)]);
  const rank = c.shape.length;
  const canon = canonicalOf(expr);
  if (vm && size >= vm.minElements && (sink !== 'store' || !(out.data instanceof Float64Array))) {
    const p = compileProgram(canon.expr, canon.key, headIndex);
    if (p) {
      const inSt = new Int32Array(inputs.length * rank);
      inputs.forEach((_, i) => inSt.set(c.strides[i + 1], i * rank));
      const ran = vm.ewise(p.prog, canon.consts, p.nregs, p.result, Int32Array.from(c.shape), out.data, out.offset, Int32Array.from(c.strides[0]),
        inputs.map((x) => x.data), Int32Array.from(inputs, (x) => x.offset), inSt, p.floatMode, sink === 'store' ? 0 : sink === 'sum' ? 1 : 2);
      if (ran !== false) return 'vm';
    }
  }
  const classes = inputs.map((_, i) => classOf(c.strides[i + 1][rank - 1]));
  const outClass = classOf(c.strides[0][rank - 1]);
  const types = inputs.map((x) => x.data.constructor.name).join(',');
  const key = `${canon.key}|${headIndex}|${classes.join('')}${outClass}|${out.data.constructor.name}|${types}|${sink}`;
  let f = cache.get(key);
  if (!f) {
    const body = generate(canon.expr, inputs.length, headIndex, classes, outClass, sink);
    f = new Function('out', 'oOff', 'oSt', 'shape', 'rank', 'ins', 'offs', 'sts', 'consts', body) as Compiled;
    cache.set(key, f);
    compiles++;
  }
  f(out.data, out.offset, Int32Array.from(c.strides[0]), Int32Array.from(c.shape), rank,
    inputs.map((x) => x.data), Int32Array.from(inputs, (x) => x.offset), c.strides.slice(1).map((s) => Int32Array.from(s)), canon.consts);
  return 'js';
}

/** Copies `src` read through `strides`/`offset` into `dst` (strided) over `shape`. */
export function stridedCopy(dtype: DType, shape: readonly number[], dst: Operand, src: Operand, vm: EwiseVM | null = null): void {
  runElementwise(inputExpr[dtype], shape, dst, [src], -1, vm);
}

/** The expression that reads operand 0 (a copy, or a plain reduction's values), one object per dtype. */
export const inputExpr: Record<DType, Expr> = {
  float32: { op: 'input', index: 0, dtype: 'float32' }, float64: { op: 'input', index: 0, dtype: 'float64' },
  int32: { op: 'input', index: 0, dtype: 'int32' }, bool: { op: 'input', index: 0, dtype: 'bool' },
  bfloat16: { op: 'input', index: 0, dtype: 'bfloat16' },
};
