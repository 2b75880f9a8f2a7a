// Kernel IR -> gpu.js kernel source. Every kernel is written as a source string (never `fn.toString()`),
// over 1-D buffers: a tensor of any rank is stored flat, row-major, as the 1-D output of the kernel that made
// it, and each kernel computes one output element from `this.thread.x`, its flat index. Multi-indices come
// from that flat index by float division (`Math.floor((i + 0.5) / stride)`), exact while a tensor has fewer
// than 2^23 elements (checked by the backend). Shapes and params are literals in the source, so a source
// string identifies a kernel: the kernel cache is keyed by (op, dtypes, shapes, params) and compiled kernels
// are shared between keys with the same source.
import {
  type Dialect as CoreDialect, type Expr, type FusedKernel, type GatherLeaf, type Head, type PrimParams, type Primitive, type Prologue, type TensorInfo, elementwiseOp, headDtype, inputView,
  type View, broadcastView, readStrides, renderNode, sizeOf, stridesOf,
} from '@safekey-ts/core';

/**
 * `f64`: gpu.js's `cpu` mode runs the kernel as JavaScript in float64, so float32 nodes are rounded with
 * `Math.fround` (then fused and unfused results agree bit for bit, as on the reference backend).
 * `f32`: GL, WebGPU and WebAssembly compute in float32 already; special cases of `pow`, `tanh`, `max` and
 * `sign` are spelled out so that the results follow IEEE/JavaScript semantics there too.
 */
export type Dialect = 'f64' | 'f32';

export interface KernelSource {
  /** `function (a0, a1, ...) { ... }` */
  readonly source: string;
  /** Indices (into the op's inputs) of the buffers passed as arguments, in order; -1 is the zero buffer. */
  readonly args: readonly number[];
  /** Number of output elements (the kernel's 1-D output). */
  readonly size: number;
  /** Largest loop trip count (gpu.js `loopMaxIterations`). */
  readonly loopMax: number;
}

/** Largest tensor the float index arithmetic addresses exactly. */
export const MAX_ELEMENTS = 2 ** 23;


/** A float literal gpu.js types as Float; non-finite values come from the zero buffer `z`. */
function lit(v: number, b?: Builder): string {
  if (Number.isFinite(v)) {
    const s = String(v);
    if (/[.e]/.test(s)) return s.startsWith('-') ? `(${s})` : s;
    return v < 0 || Object.is(v, -0) ? `(-${-v}.0)` : `${s}.0`;
  }
  if (!b) throw new Error('non-finite literal without a builder');
  const z = b.zero();
  return Number.isNaN(v) ? `(${z} / ${z})` : v > 0 ? `(1.0 / ${z})` : `(-1.0 / ${z})`;
}

/** Emits `const tN = ...;` lines with common-subexpression elimination by text. */
class Builder {
  readonly lines: string[] = [];
  readonly args: number[] = [];
  readonly #memo = new Map<string, string>();
  #n = 0;
  loopMax = 1;
  constructor(readonly dialect: Dialect) {}

  /** The argument name of input `k` (-1: the zero buffer). */
  arg(k: number): string {
    let j = this.args.indexOf(k);
    if (j < 0) j = this.args.push(k) - 1;
    return k < 0 ? 'az' : `a${k}`;
  }
  zero(): string {
    return this.let(`${this.arg(-1)}[0]`);
  }
  let(expr: string): string {
    const hit = this.#memo.get(expr);
    if (hit) return hit;
    const name = `t${this.#n++}`;
    this.lines.push(`const ${name} = ${expr};`);
    this.#memo.set(expr, name);
    return name;
  }
  fresh(prefix: string): string { return `${prefix}${this.#n++}`; }

  /** What `f` emits, taken out of the kernel's lines for a loop body; the names it made are forgotten after. */
  body(f: () => string): { readonly lines: readonly string[]; readonly value: string } {
    const at = this.lines.length, memo = new Map(this.#memo);
    const value = f();
    const lines = this.lines.splice(at);
    this.#memo.clear();
    memo.forEach((v, k) => this.#memo.set(k, v));
    return { lines, value };
  }

  /** Digit `k` of flat index `idx` over `shape` (row-major). */
  digit(idx: string, shape: readonly number[], k: number): string {
    const os = sizeOf(shape.slice(k + 1));
    const q = os === 1 ? idx : this.let(`Math.floor((${idx} + 0.5) / ${lit(os)})`);
    if (k === 0) return q;
    const d = shape[k];
    return this.let(`${q} - Math.floor((${q} + 0.5) / ${lit(d)}) * ${lit(d)}`);
  }

  /**
   * `sum_k digit_k(idx over shape) * strides[k]`, merging axes that are contiguous (or all broadcast, stride
   * 0) so that each group costs one division.
   */
  affine(idx: string, shape: readonly number[], strides: readonly number[]): string {
    const ds: number[] = [], ss: number[] = [];
    shape.forEach((d, k) => { if (d !== 1) { ds.push(d); ss.push(strides[k]); } });
    for (let g = ds.length - 2; g >= 0; g--) {
      if (ss[g] === ss[g + 1] * ds[g + 1]) { ds[g] *= ds[g + 1]; ss[g] = ss[g + 1]; ds.splice(g + 1, 1); ss.splice(g + 1, 1); }
    }
    const terms: string[] = [];
    ds.forEach((_, g) => {
      if (ss[g] === 0) return;
      const dg = this.digit(idx, ds, g);
      terms.push(ss[g] === 1 ? dg : `${dg} * ${lit(ss[g])}`);
    });
    return terms.length === 0 ? '0.0' : terms.join(' + ');
  }

  source(ret: string): string {
    const params = this.args.map((k) => (k < 0 ? 'az' : `a${k}`));
    return `function (${params.join(', ')}) {\nconst i = this.thread.x;\n${this.lines.join('\n')}\nreturn ${ret};\n}`;
  }
}

// ---------- element-wise expressions ----------

/** Truncation toward zero, NaN to 0, spelled with floor and ceil (which every gpu.js target translates). */
const trunc = (x: string): string => `(${x} != ${x} ? 0.0 : (${x} < 0.0 ? Math.ceil(${x}) : Math.floor(${x})))`;

/**
 * gpu.js's source in one of its dialects: the op table's gpu.js spellings (its float32 ones on float32
 * devices); `f64` rounds float32 nodes with `Math.fround`, `f32` computes in float32 already. Integers are
 * stored as floats, so int32 nodes are not wrapped.
 */
const dialects: Record<Dialect, CoreDialect> = {
  f64: {
    spell: (op) => { const t = elementwiseOp(op); return t.gpujs ?? t.js; },
    round: (dtype, x) => (dtype === 'float32' ? `Math.fround(${x})` : x),
    trunc,
  },
  f32: {
    spell: (op) => { const t = elementwiseOp(op); return t.float32 ?? t.gpujs ?? t.js; },
    round: (_dtype, x) => x,
    trunc,
  },
};

/** How an expression's leaves read at this thread's element. */
interface Leaves {
  /** The value of input `k`. */
  readonly read: (k: number) => string;
  readonly head: () => string;
  /** Whether input `k`'s padded view reads a stored value (1.0) or its fill (0.0). */
  readonly inBounds: (k: number) => string;
  /** A range's value read through `view`: the element's offset in the view. */
  readonly range: (view: View) => string;
  /** The value a gather leaf reads. */
  readonly gather: (g: GatherLeaf) => string;
}

const unsupported = (what: string) => (): string => { throw new Error(`gpujs codegen: ${what}`); };

/** Renders an expression tree. */
function renderExpr(b: Builder, e: Expr, leaves: Leaves): string {
  switch (e.op) {
    case 'input': return leaves.read(e.index);
    case 'inBounds': return leaves.inBounds(e.index);
    case 'iota': return leaves.range(e.view);
    case 'gather': return leaves.gather(e);
    case 'const': return lit(e.dtype === 'float32' ? Math.fround(e.value) : e.dtype === 'int32' ? Math.trunc(e.value) : +(e.value !== 0), b);
    case 'head': return leaves.head();
    default: {
      const args = e.args.map((a) => renderExpr(b, a, leaves));
      return b.let(renderNode(e, args, dialects[b.dialect]));
    }
  }
}

/** The product's sum at this thread's element; each operand read through its view (strides, offset, broadcast batch). */
function renderMatmul(b: Builder, h: Head & { prim: 'matmul' }, k: FusedKernel, out: readonly number[]): string {
  const { transA, transB } = h.params;
  const [ia, ib] = h.inputs;
  const va = inputView(k, ia), vb = inputView(k, ib);
  if (va.bounds || vb.bounds) throw new Error('gpujs codegen: a product operand read through a padded view (jit stores those)');
  const r = out.length, m = out[r - 2], n = out[r - 1];
  const kk = transA ? va.shape[va.shape.length - 2] : va.shape[va.shape.length - 1];
  const batch = out.slice(0, -2);
  // strides of each operand over [...batch, rows, cols] of its own matrix (batch dims broadcast)
  const sa = readStrides(va, [...batch, ...va.shape.slice(-2)]), sb = readStrides(vb, [...batch, ...vb.shape.slice(-2)]);
  const [aRow, aStep] = transA ? [sa[r - 1], sa[r - 2]] : [sa[r - 2], sa[r - 1]];   // op(A)[i, p]
  const [bStep, bCol] = transB ? [sb[r - 1], sb[r - 2]] : [sb[r - 2], sb[r - 1]];   // op(B)[p, j]
  const row = b.digit('i', out, r - 2), col = b.digit('i', out, r - 1);
  const terms = (base: number, rest: string[]) => [...(base !== 0 ? [lit(base)] : []), ...rest.filter((t) => t !== '0.0')];
  const aTerms = [`${row} * ${lit(aRow)}`], bTerms = [`${col} * ${lit(bCol)}`];
  if (batch.length > 0) {
    const bi = b.let(`Math.floor((i + 0.5) / ${lit(m * n)})`);
    aTerms.push(b.affine(bi, batch, sa.slice(0, -2)));
    bTerms.push(b.affine(bi, batch, sb.slice(0, -2)));
  }
  const A = b.arg(ia), B = b.arg(ib);
  // a view's offset is added in a variable of its own: gpu.js cannot type an index of two literals
  const ab = b.let(terms(va.offset, aTerms).join(' + ')), bb = b.let(terms(vb.offset, bTerms).join(' + '));
  const s = b.fresh('s'), p = b.fresh('p');
  b.loopMax = Math.max(b.loopMax, kk);
  b.lines.push(`let ${s} = 0.0;`);
  b.lines.push(`for (let ${p} = 0; ${p} < ${kk}; ${p}++) { ${s} += ${A}[${ab} + ${p} * ${lit(aStep)}] * ${B}[${bb} + ${p} * ${lit(bStep)}]; }`);
  return s;
}

/**
 * A reduction of a prologue (or of an input as stored), in one kernel: for this thread's output element, a
 * loop over the reduced axes evaluates the prologue's expression (its inputs read through their views over the prologue's shape) and
 * accumulates it; nothing of the prologue is stored.
 */
function renderPrologueReduce(b: Builder, h: Head & { prim: 'reduceSum' | 'reduceMax'; prologue: Prologue }, k: FusedKernel): string {
  const { axes } = h.params;
  const x = h.prologue.out.shape;
  const kept = x.map((_, d) => d).filter((d) => !axes.includes(d));
  const reduced = axes.filter((d) => x[d] !== 1);
  const vars = reduced.map(() => b.fresh('r'));
  // each input's offset at this thread's output element, before the loop; its strides over the reduced axes
  const strides = new Map<number, number[]>(), bases = new Map<number, string>();
  for (const j of new Set(inputsOf(h.prologue.expr))) {
    const view = inputView(k, j), st = readStrides(view, x);
    if (view.bounds) throw new Error('gpujs codegen: a prologue reading a padded view (jit reads pads there as stored)');
    const off = b.affine('i', kept.map((d) => x[d]), kept.map((d) => st[d]));
    strides.set(j, st);
    bases.set(j, b.let(view.offset === 0 ? off : `${lit(view.offset)} + ${off}`));
  }
  // an offset through a view over the prologue's shape: this thread's part (kept axes) plus the loop's
  const at = (view: View, base: string): string => {
    const st = readStrides(view, x);
    return [base, ...reduced.flatMap((d, g) => (st[d] === 0 ? [] : [st[d] === 1 ? vars[g] : `${vars[g]} * ${lit(st[d])}`]))].join(' + ');
  };
  const read = (j: number): string => b.let(`${b.arg(j)}[${at(inputView(k, j), bases.get(j)!)}]`);
  const range = (view: View): string => {
    const st = readStrides(view, x), off = b.affine('i', kept.map((d) => x[d]), kept.map((d) => st[d]));
    return b.let(at(view, view.offset === 0 ? off : `${lit(view.offset)} + ${off}`));
  };
  const { lines, value } = b.body(() => renderExpr(b, h.prologue.expr, {
    read, range, head: unsupported('a head inside a prologue'), inBounds: unsupported('a padded view in a prologue'), gather: unsupported('a gather in a prologue'),
  }));
  const acc = b.fresh('s'), first = b.fresh('f');
  const isMax = h.prim === 'reduceMax';
  b.lines.push(`let ${acc} = 0.0;`);
  if (isMax) b.lines.push(`let ${first} = 1.0;`);
  const update = isMax ? `${acc} = (${first} > 0.5 || ${value} > ${acc} || ${value} != ${value}) ? ${value} : ${acc}; ${first} = 0.0;` : `${acc} += ${value};`;
  let loop = `${lines.join(' ')} ${update}`;
  for (let g = reduced.length - 1; g >= 0; g--) loop = `for (let ${vars[g]} = 0; ${vars[g]} < ${x[reduced[g]]}; ${vars[g]}++) { ${loop} }`;
  b.loopMax = Math.max(b.loopMax, ...reduced.map((d) => x[d]));
  b.lines.push(loop);
  return acc;
}

/** A plain reduction as one of a prologue that reads its input as stored. */
function asPrologue(h: Head & { prim: 'reduceSum' | 'reduceMax'; inputs: readonly [number] }, k: FusedKernel): Head & { prim: 'reduceSum' | 'reduceMax'; prologue: Prologue } {
  const x = k.inputs[h.inputs[0]];
  return { prim: h.prim, params: h.params, prologue: { expr: { op: 'input', index: h.inputs[0], dtype: x.dtype }, out: x } };
}

/** The kernel inputs an expression reads. */
function inputsOf(e: Expr): number[] {
  if (e.op === 'input') return [e.index];
  return 'args' in e ? e.args.flatMap(inputsOf) : [];
}

/**
 * Where a padded view (broadcast to `out`) reads its fill at this thread's element: a condition (`1.0` /
 * `0.0` when it is everywhere / nowhere).
 */
function outsideBounds(b: Builder, view: View, out: readonly number[]): string {
  const outside: string[] = [];
  for (const [d, [lo, hi]] of (view.bounds ?? []).entries()) {
    if (lo >= hi) return '1.0';
    const dg = lo > 0 || hi < out[d] ? b.digit('i', out, d) : '';
    if (lo > 0) outside.push(`${dg} < ${lit(lo)}`);
    if (hi < out[d]) outside.push(`${dg} > ${lit(hi - 1)}`);
  }
  return outside.length === 0 ? '0.0' : b.let(`(${outside.join(' || ')}) ? 1.0 : 0.0`);
}

/**
 * A read through a padded view (over `out`): the fill where this thread's index lies outside the bounds on
 * some axis, else the stored value (its offset clamped into the storage, as an index outside it is not read).
 */
function paddedRead(b: Builder, j: number, view: View, at: string, outside: string, stored: readonly number[]): string {
  const fill = lit(view.fill!, b);
  if (outside === '1.0' || sizeOf(stored) === 0) return fill;
  const value = b.let(`${b.arg(j)}[${b.let(`Math.min(Math.max(${at}, 0.0), ${lit(sizeOf(stored) - 1)})`)}]`);
  return outside === '0.0' ? value : b.let(`${outside} > 0.5 ? ${fill} : ${value}`);
}

/** A fused kernel (also used for single element-wise primitives, matmul and reductions). */
export function fusedSource(k: FusedKernel, dialect: Dialect): KernelSource {
  const b = new Builder(dialect);
  const out = k.out.shape;
  // the offset `view` (broadcast to the output) reads at this thread's element; a view's offset is added in a
  // variable of its own: gpu.js cannot type an index of two literals
  const offsetIn = (view: View): string => {
    const off = b.affine('i', out, broadcastView(view, out).strides);
    return view.offset === 0 ? off : b.let(`${lit(view.offset)} + ${off}`);
  };
  const reads = new Map<number, string>();
  const read = (j: number): string => {
    let v = reads.get(j);
    if (!v) {
      const view = broadcastView(inputView(k, j), out), at = offsetIn(inputView(k, j));
      v = view.bounds ? paddedRead(b, j, view, at, outside(j), k.inputs[j].shape) : b.let(`${b.arg(j)}[${at}]`);
      reads.set(j, v);
    }
    return v;
  };
  const outsides = new Map<number, string>();
  const outside = (j: number): string => {
    let c = outsides.get(j);
    if (!c) { c = outsideBounds(b, broadcastView(inputView(k, j), out), out); outsides.set(j, c); }
    return c;
  };
  const inBounds = (j: number): string => { const c = outside(j); return c === '1.0' ? '0.0' : c === '0.0' ? '1.0' : b.let(`1.0 - ${c}`); };
  let headVar: string | undefined;
  const head = (): string => {
    if (headVar) return headVar;
    if (!k.head) throw new Error('gpujs codegen: head read without a head');
    const h = k.head;
    headVar = h.prim === 'matmul' ? renderMatmul(b, h, k, out) : renderPrologueReduce(b, 'prologue' in h ? h : asPrologue(h, k), k);
    if (dialect === 'f64' && headDtype(k.expr) === 'float32') headVar = b.let(`Math.fround(${headVar})`);
    return headVar;
  };
  if (k.head) head(); // the loop first, so that reads inside the expression come after it
  const range = (view: View): string => b.let(offsetIn(view));
  // x's offset of row 0 of this element's slice, plus the index read there times the gathered axis' stride
  const gather = (g: GatherLeaf): string => {
    const row = offsetIn(inputView(k, g.index));
    const at = g.step === 1 ? `${row} + ${read(g.indices)}` : `${row} + ${read(g.indices)} * ${lit(g.step)}`;
    return b.let(`${b.arg(g.index)}[${b.let(at)}]`);
  };
  const ret = renderExpr(b, k.expr, { read, head, inBounds, range, gather });
  return { source: b.source(ret), args: b.args, size: sizeOf(out), loopMax: b.loopMax };
}

// ---------- movement, indexing, creation ----------

/** The kernel of the routine scatterAdd (reshape is a view; core lowers the other primitives to kernels). */
export function movementSource(prim: Primitive, ins: readonly TensorInfo[], params: unknown, out: TensorInfo, dialect: Dialect): KernelSource {
  const b = new Builder(dialect);
  const os = out.shape;
  const size = sizeOf(os);
  const done = (ret: string): KernelSource => ({ source: b.source(ret), args: b.args, size, loopMax: b.loopMax });
  switch (prim) {
    case 'scatterAdd': {
      const { axis, batchDims } = params as PrimParams['scatterAdd'];
      const us = ins[0].shape, is = ins[1].shape;
      const rest = is.length - batchDims;
      const T = sizeOf(is.slice(batchDims));
      const ust = stridesOf(us), ist = stridesOf(is);
      const term = (o: string, s: number) => (s === 1 ? o : `${o} * ${lit(s)}`);
      const j = b.digit('i', os, axis);
      const bTerms: string[] = [];
      for (let k = 0; k < batchDims; k++) if (os[k] !== 1) bTerms.push(term(b.digit('i', os, k), ist[k]));
      const uTerms: string[] = [];
      for (let k = 0; k < axis; k++) if (os[k] !== 1) uTerms.push(term(b.digit('i', os, k), ust[k]));
      for (let k = axis + 1; k < os.length; k++) if (os[k] !== 1) uTerms.push(term(b.digit('i', os, k), ust[k - 1 + rest]));
      const tStride = rest === 0 ? 0 : ust[axis + rest - 1];
      const ib = b.let(bTerms.join(' + ') || '0.0'), ub = b.let(uTerms.join(' + ') || '0.0');
      if (T === 0) return done('0.0');
      const U = b.arg(0), I = b.arg(1);
      const s = b.fresh('s'), t = b.fresh('q');
      b.loopMax = Math.max(b.loopMax, T);
      b.lines.push(`let ${s} = 0.0;`);
      b.lines.push(`for (let ${t} = 0; ${t} < ${T}; ${t}++) { if (${I}[${ib} + ${t}] == ${j}) { ${s} += ${U}[${ub} + ${t} * ${lit(tStride)}]; } }`);
      return done(dialect === 'f64' && out.dtype === 'float32' ? `Math.fround(${s})` : s);
    }
  }
  throw new Error(`gpujs codegen: no kernel for ${prim}`);
}

/** The identity kernel over `n` elements (uploads in GL, copies). */
export const copySource = (n: number): KernelSource =>
  ({ source: 'function (a0) {\nreturn a0[this.thread.x];\n}', args: [0], size: n, loopMax: 1 });
