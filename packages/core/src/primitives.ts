import { type DType, isFloat } from './dtype.js';
import { argError, dtypeError, shapeError } from './errors.js';
import { type Shape, broadcastShapes, checkDims, sizeOf } from './shape.js';

/** Parameters of each primitive. Axes in params are already normalised (non-negative, sorted). */
export interface PrimParams {
  // unary, float in, float out
  exp: {}; log: {}; sqrt: {}; rsqrt: {}; sin: {}; cos: {}; tanh: {}; sigmoid: {}; reciprocal: {};
  // unary, numeric in, same dtype out
  neg: {}; abs: {}; sign: {};
  // binary arithmetic with broadcasting, same dtype
  add: {}; sub: {}; mul: {}; div: {}; pow: {}; maximum: {}; minimum: {};
  // binary comparisons with broadcasting, bool out
  eq: {}; ne: {}; lt: {}; le: {}; gt: {}; ge: {};
  where: {};
  cast: { readonly dtype: DType };
  reduceSum: { readonly axes: readonly number[]; readonly keepdims: boolean };
  reduceMax: { readonly axes: readonly number[]; readonly keepdims: boolean };
  matmul: { readonly transA: boolean; readonly transB: boolean };
  reshape: { readonly shape: Shape };
  permute: { readonly perm: readonly number[] };
  broadcastTo: { readonly shape: Shape };
  slice: { readonly starts: readonly number[]; readonly ends: readonly number[] };
  pad: { readonly before: readonly number[]; readonly after: readonly number[]; readonly value: number };
  concat: { readonly axis: number };
  /** TF-style gather: out = x.shape[:axis] + idx.shape[batchDims:] + x.shape[axis+1:]. */
  gather: { readonly axis: number; readonly batchDims: number };
  /** Adjoint of gather: inputs (updates, idx); `size` is the length of the gathered axis. */
  scatterAdd: { readonly axis: number; readonly batchDims: number; readonly size: number };
  iota: { readonly n: number; readonly dtype: DType };
  /**
   * Scaled dot-product attention as one primitive, inputs (q, k, v, allowed), in JAX's layout: q
   * `[...batch, T, N, d]`, k `[...bk, S, K, d]`, v `[...bk, S, K, dv]` (bk broadcasts to batch; N query heads
   * share K key/value heads, head n reading head floor(n / (N / K))), allowed bool broadcastable to
   * `[...batch, N, T, S]`. Per head: softmax over S of where(allowed, scale * q k^T, MASK_FILL), times v.
   * Out `[...batch, T, N, dv]`.
   */
  attention: { readonly scale: number };
  /** The cotangents of attention's q, k and v for the output cotangent (5th input), packed flat: [dq, dk, dv]. */
  attentionGrad: { readonly scale: number };
  /**
   * Rotate-half rotary embedding, inputs (x, cos, sin): x * cos + rotate_half(x) * sin with
   * rotate_half([a, b]) = [-b, a] on the last axis (even length); cos and sin broadcast to x.
   */
  rope: {};
}

/**
 * Primitives a backend may leave out: a backend lists those it has kernels for in `composites`, and on the
 * others the ops that bind them (`dotProductAttention`, `applyRope`) compose them from plain primitives.
 */
export type CompositePrimitive = 'attention' | 'attentionGrad' | 'rope';

/** The score a masked (not allowed) query-key pair gets: large and finite, so a row with nothing allowed stays uniform. */
export const MASK_FILL = -1e9;
export type Primitive = keyof PrimParams;

export type PrimKind = 'unary' | 'binary' | 'compare' | 'select' | 'cast' | 'reduce' | 'matmul' | 'movement' | 'index' | 'create' | 'composite';

export interface TensorInfo { readonly shape: Shape; readonly dtype: DType }

interface PrimSpec<P extends Primitive> {
  readonly kind: PrimKind;
  /** Number of tensor inputs; -1 for variadic (concat). */
  readonly arity: number;
  /** Output shape and dtype; throws a TensorError naming the op and shapes when the inputs do not fit. */
  readonly infer: (inputs: readonly TensorInfo[], params: PrimParams[P]) => TensorInfo;
}

type UnaryName = 'exp' | 'log' | 'sqrt' | 'rsqrt' | 'sin' | 'cos' | 'tanh' | 'sigmoid' | 'reciprocal' | 'neg' | 'abs' | 'sign';
type BinaryName = 'add' | 'sub' | 'mul' | 'div' | 'pow' | 'maximum' | 'minimum' | 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge';

const floatUnary = <P extends UnaryName>(op: P): PrimSpec<P> => ({
  kind: 'unary', arity: 1,
  infer: ([x]) => {
    if (!isFloat(x.dtype)) throw dtypeError(op, `needs a float tensor, got ${x.dtype} (cast it first)`);
    return x;
  },
});
const numericUnary = <P extends UnaryName>(op: P): PrimSpec<P> => ({
  kind: 'unary', arity: 1,
  infer: ([x]) => {
    if (x.dtype === 'bool') throw dtypeError(op, 'needs a numeric tensor, got bool');
    return x;
  },
});
function sameDtype(op: string, a: TensorInfo, b: TensorInfo): void {
  if (a.dtype !== b.dtype) throw dtypeError(op, `dtypes differ: ${a.dtype} and ${b.dtype}`);
}
const arith = <P extends BinaryName>(op: P, floatOnly = false): PrimSpec<P> => ({
  kind: 'binary', arity: 2,
  infer: ([a, b]) => {
    sameDtype(op, a, b);
    if (a.dtype === 'bool') throw dtypeError(op, 'arithmetic on bool tensors (cast them first)');
    if (floatOnly && !isFloat(a.dtype)) throw dtypeError(op, `needs float tensors, got ${a.dtype}`);
    return { shape: broadcastShapes(op, a.shape, b.shape), dtype: a.dtype };
  },
});
const compare = <P extends BinaryName>(op: P): PrimSpec<P> => ({
  kind: 'compare', arity: 2,
  infer: ([a, b]) => {
    sameDtype(op, a, b);
    return { shape: broadcastShapes(op, a.shape, b.shape), dtype: 'bool' };
  },
});
const reduce = <P extends 'reduceSum' | 'reduceMax'>(op: P): PrimSpec<P> => ({
  kind: 'reduce', arity: 1,
  infer: ([x], { axes, keepdims }: PrimParams['reduceSum']) => {
    if (x.dtype === 'bool') throw dtypeError(op, 'cannot reduce a bool tensor (cast it first)');
    for (const a of axes) if (a < 0 || a >= x.shape.length) throw argError(op, `axis ${a} out of range for rank ${x.shape.length}`);
    if (op === 'reduceMax') for (const a of axes) if (x.shape[a] === 0) throw shapeError(op, `max over an empty axis ${a}`, x.shape);
    const shape = keepdims ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !axes.includes(i));
    return { shape, dtype: x.dtype };
  },
});

/** A product's dtype: its operands', or float32 where one is bfloat16 (a stored weight) and the other float32 or bfloat16. */
function matmulDtype(a: TensorInfo, b: TensorInfo): DType {
  if (a.dtype === 'bfloat16' || b.dtype === 'bfloat16') {
    const other = a.dtype === 'bfloat16' ? b.dtype : a.dtype;
    if (other !== 'float32' && other !== 'bfloat16') throw dtypeError('matmul', `a bfloat16 operand needs a float32 or bfloat16 one, got ${a.dtype} and ${b.dtype}`);
    return 'float32';
  }
  sameDtype('matmul', a, b);
  if (!isFloat(a.dtype)) throw dtypeError('matmul', `needs float tensors, got ${a.dtype}`);
  return a.dtype;
}

/** Broadcasts several shapes; a failure names the op's argument shapes (`report`), not intermediate ones. */
function broadcastOrReport(op: string, what: string, shapes: readonly Shape[], report: readonly Shape[] = shapes): number[] {
  let out: number[] = [];
  for (const s of shapes) {
    try { out = broadcastShapes(op, out, s); } catch { throw shapeError(op, `${what} do not broadcast`, ...report); }
  }
  return out;
}

function checkGather(op: string, x: Shape, idx: TensorInfo, axis: number, batchDims: number): void {
  if (idx.dtype !== 'int32') throw dtypeError(op, `indices must be int32, got ${idx.dtype}`);
  if (batchDims < 0 || batchDims > axis || batchDims > idx.shape.length) throw argError(op, `batchDims ${batchDims} must be in [0, min(axis ${axis}, index rank ${idx.shape.length})]`);
  if (axis < 0 || axis >= x.length) throw argError(op, `axis ${axis} out of range for rank ${x.length}`);
  for (let i = 0; i < batchDims; i++) if (x[i] !== idx.shape[i]) throw shapeError(op, `batch dim ${i} differs`, x, idx.shape);
}

/** Checks attention's (q, k, v, allowed) and returns its output info. */
function attentionInfo(op: string, [q, k, v, allowed]: readonly TensorInfo[]): TensorInfo {
  sameDtype(op, q, k); sameDtype(op, q, v);
  if (!isFloat(q.dtype)) throw dtypeError(op, `q, k and v must be float tensors, got ${q.dtype}`);
  if (allowed.dtype !== 'bool') throw dtypeError(op, `the mask must be bool, got ${allowed.dtype}`);
  if ([q, k, v].some((x) => x.shape.length < 3)) throw shapeError(op, 'q, k and v need rank >= 3 ([..., T, heads, d])', q.shape, k.shape, v.shape);
  if (allowed.shape.length < 2) throw shapeError(op, 'the mask needs rank >= 2 ([..., T, S])', allowed.shape);
  const [t, n, d] = q.shape.slice(-3), [s, kh, dk] = k.shape.slice(-3), [sv, vh] = v.shape.slice(-3);
  if (d !== dk) throw shapeError(op, `q and k head dims differ (${d} vs ${dk})`, q.shape, k.shape);
  if (s !== sv || kh !== vh) throw shapeError(op, 'k and v differ in length or heads', k.shape, v.shape);
  if (kh === 0 ? n !== 0 : n % kh !== 0) throw shapeError(op, `${n} query heads cannot share ${kh} key/value heads`, q.shape, k.shape);
  const bq = q.shape.slice(0, -3), bk = k.shape.slice(0, -3);
  if (bk.length !== v.shape.length - 3 || bk.some((x, i) => x !== v.shape[i])) throw shapeError(op, 'k and v batch dims differ', k.shape, v.shape);
  const batch = broadcastOrReport(op, 'batch dims', [bq, bk], [q.shape, k.shape]);
  if (batch.length !== bq.length || batch.some((x, i) => x !== bq[i])) throw shapeError(op, 'k must broadcast to the batch dims of q', q.shape, k.shape);
  const scores = [...batch, n, t, s];
  broadcastOrReport(op, 'the mask', [allowed.shape, scores], [allowed.shape, scores]);
  if (allowed.shape.length > scores.length) throw shapeError(op, `the mask has more dims than [...batch, heads, T, S]`, allowed.shape, scores);
  return { shape: [...batch, t, n, v.shape.at(-1)!], dtype: q.dtype };
}

export const primitives: { readonly [P in Primitive]: PrimSpec<P> } = {
  exp: floatUnary('exp'), log: floatUnary('log'), sqrt: floatUnary('sqrt'), rsqrt: floatUnary('rsqrt'),
  sin: floatUnary('sin'), cos: floatUnary('cos'), tanh: floatUnary('tanh'), sigmoid: floatUnary('sigmoid'), reciprocal: floatUnary('reciprocal'),
  neg: numericUnary('neg'), abs: numericUnary('abs'), sign: numericUnary('sign'),
  add: arith('add'), sub: arith('sub'), mul: arith('mul'), div: arith('div', true), pow: arith('pow', true),
  maximum: arith('maximum'), minimum: arith('minimum'),
  eq: compare('eq'), ne: compare('ne'), lt: compare('lt'), le: compare('le'), gt: compare('gt'), ge: compare('ge'),
  where: {
    kind: 'select', arity: 3,
    infer: ([c, a, b]) => {
      if (c.dtype !== 'bool') throw dtypeError('where', `condition must be bool, got ${c.dtype}`);
      sameDtype('where', a, b);
      return { shape: broadcastOrReport('where', 'condition and branches', [c.shape, a.shape, b.shape]), dtype: a.dtype };
    },
  },
  cast: { kind: 'cast', arity: 1, infer: ([x], { dtype }) => ({ shape: x.shape, dtype }) },
  reduceSum: reduce('reduceSum'),
  reduceMax: reduce('reduceMax'),
  matmul: {
    kind: 'matmul', arity: 2,
    infer: ([a, b], { transA, transB }) => {
      const dtype = matmulDtype(a, b);
      if (a.shape.length < 2 || b.shape.length < 2) throw shapeError('matmul', 'both operands need rank >= 2', a.shape, b.shape);
      const [m, k] = transA ? [a.shape.at(-1)!, a.shape.at(-2)!] : [a.shape.at(-2)!, a.shape.at(-1)!];
      const [k2, n] = transB ? [b.shape.at(-1)!, b.shape.at(-2)!] : [b.shape.at(-2)!, b.shape.at(-1)!];
      if (k !== k2) throw shapeError('matmul', `contracted dims differ (${k} vs ${k2})`, a.shape, b.shape);
      const batch = broadcastOrReport('matmul', 'batch dims', [a.shape.slice(0, -2), b.shape.slice(0, -2)], [a.shape, b.shape]);
      return { shape: [...batch, m, n], dtype };
    },
  },
  reshape: {
    kind: 'movement', arity: 1,
    infer: ([x], { shape }) => {
      checkDims('reshape', shape);
      if (sizeOf(shape) !== sizeOf(x.shape)) throw shapeError('reshape', `sizes differ (${sizeOf(x.shape)} vs ${sizeOf(shape)})`, x.shape, shape);
      return { shape, dtype: x.dtype };
    },
  },
  permute: {
    kind: 'movement', arity: 1,
    infer: ([x], { perm }) => {
      const sorted = [...perm].sort((p, q) => p - q);
      if (perm.length !== x.shape.length || sorted.some((p, i) => p !== i)) throw argError('permute', `[${perm.join(', ')}] is not a permutation of the ${x.shape.length} axes of [${x.shape.join(', ')}]`);
      return { shape: perm.map((p) => x.shape[p]), dtype: x.dtype };
    },
  },
  broadcastTo: {
    kind: 'movement', arity: 1,
    infer: ([x], { shape }) => {
      checkDims('broadcastTo', shape);
      const out = broadcastShapes('broadcastTo', x.shape, shape);
      if (out.length !== shape.length || out.some((d, i) => d !== shape[i])) throw shapeError('broadcastTo', 'cannot broadcast to the target', x.shape, shape);
      return { shape, dtype: x.dtype };
    },
  },
  slice: {
    kind: 'movement', arity: 1,
    infer: ([x], { starts, ends }) => {
      if (starts.length !== x.shape.length || ends.length !== x.shape.length) throw argError('slice', `starts/ends need one entry per axis of [${x.shape.join(', ')}]`);
      x.shape.forEach((d, i) => {
        if (!(Number.isInteger(starts[i]) && Number.isInteger(ends[i]) && starts[i] >= 0 && starts[i] <= ends[i] && ends[i] <= d))
          throw shapeError('slice', `bad range [${starts[i]}, ${ends[i]}) on axis ${i}`, x.shape);
      });
      return { shape: x.shape.map((_, i) => ends[i] - starts[i]), dtype: x.dtype };
    },
  },
  pad: {
    kind: 'movement', arity: 1,
    infer: ([x], { before, after }) => {
      if (before.length !== x.shape.length || after.length !== x.shape.length) throw argError('pad', `before/after need one entry per axis of [${x.shape.join(', ')}]`);
      if ([...before, ...after].some((p) => !Number.isInteger(p) || p < 0)) throw argError('pad', 'padding amounts must be non-negative integers');
      return { shape: x.shape.map((d, i) => d + before[i] + after[i]), dtype: x.dtype };
    },
  },
  concat: {
    kind: 'movement', arity: -1,
    infer: (xs, { axis }) => {
      if (xs.length === 0) throw argError('concat', 'needs at least one tensor');
      const [first] = xs;
      if (axis < 0 || axis >= first.shape.length) throw argError('concat', `axis ${axis} out of range for rank ${first.shape.length}`);
      for (const x of xs) {
        sameDtype('concat', first, x);
        if (x.shape.length !== first.shape.length || x.shape.some((d, i) => i !== axis && d !== first.shape[i]))
          throw shapeError('concat', `shapes differ off axis ${axis}`, first.shape, x.shape);
      }
      const shape = [...first.shape];
      shape[axis] = xs.reduce((s, x) => s + x.shape[axis], 0);
      return { shape, dtype: first.dtype };
    },
  },
  gather: {
    kind: 'index', arity: 2,
    infer: ([x, idx], { axis, batchDims }) => {
      checkGather('gather', x.shape, idx, axis, batchDims);
      return { shape: [...x.shape.slice(0, axis), ...idx.shape.slice(batchDims), ...x.shape.slice(axis + 1)], dtype: x.dtype };
    },
  },
  scatterAdd: {
    kind: 'index', arity: 2,
    infer: ([upd, idx], { axis, batchDims, size }) => {
      if (upd.dtype === 'bool') throw dtypeError('scatterAdd', 'updates must be numeric');
      const idxRest = idx.shape.length - batchDims;
      const xShape = [...upd.shape.slice(0, axis), size, ...upd.shape.slice(axis + idxRest)];
      checkGather('scatterAdd', xShape, idx, axis, batchDims);
      const expect = [...xShape.slice(0, axis), ...idx.shape.slice(batchDims), ...xShape.slice(axis + 1)];
      if (expect.length !== upd.shape.length || expect.some((d, i) => d !== upd.shape[i])) throw shapeError('scatterAdd', 'updates do not match the indices', upd.shape, idx.shape);
      return { shape: xShape, dtype: upd.dtype };
    },
  },
  iota: {
    kind: 'create', arity: 0,
    infer: (_, { n, dtype }) => {
      if (!Number.isInteger(n) || n < 0) throw argError('iota', `length must be a non-negative integer, got ${n}`);
      if (dtype === 'bool' || dtype === 'bfloat16') throw dtypeError('iota', `cannot make a ${dtype} range`);
      return { shape: [n], dtype };
    },
  },
  attention: { kind: 'composite', arity: 4, infer: (xs) => attentionInfo('attention', xs) },
  rope: {
    kind: 'composite', arity: 3,
    infer: ([x, c, s]) => {
      sameDtype('rope', x, c); sameDtype('rope', x, s);
      if (!isFloat(x.dtype)) throw dtypeError('rope', `needs float tensors, got ${x.dtype}`);
      if (x.shape.length < 1 || x.shape[x.shape.length - 1] % 2 !== 0) throw shapeError('rope', 'x needs an even last dim', x.shape);
      const out = broadcastOrReport('rope', 'x and the tables', [x.shape, c.shape, s.shape]);
      if (out.length !== x.shape.length || out.some((d, i) => d !== x.shape[i])) throw shapeError('rope', 'cos and sin must broadcast to x', x.shape, c.shape, s.shape);
      return x;
    },
  },
  attentionGrad: {
    kind: 'composite', arity: 5,
    infer: (xs) => {
      const out = attentionInfo('attentionGrad', xs);
      const g = xs[4];
      if (g.dtype !== out.dtype || g.shape.length !== out.shape.length || g.shape.some((d, i) => d !== out.shape[i]))
        throw shapeError('attentionGrad', `the output cotangent must be ${out.dtype} [${out.shape.join(', ')}]`, g.shape);
      return { shape: [sizeOf(xs[0].shape) + sizeOf(xs[1].shape) + sizeOf(xs[2].shape)], dtype: out.dtype };
    },
  },
};

/** The primitives that take bfloat16 tensors (a storage dtype: every other op needs a cast to float32 first). */
export const BF16_PRIMS: ReadonlySet<Primitive> = new Set<Primitive>(['cast', 'matmul', 'gather', 'reshape']);

export const primitiveNames = Object.keys(primitives) as Primitive[];

/** The primitives of kind 'composite' (see `CompositePrimitive`). */
export const compositePrimitives: ReadonlySet<Primitive> = new Set(primitiveNames.filter((p) => primitives[p].kind === 'composite'));
