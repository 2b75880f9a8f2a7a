// Random expression trees over every differentiable public op of the DSL, for the property suite
// (test/properties.test.ts). A tree is plain data (fast-check shrinks it to a minimal failing tree); every node
// maps tensors of shape [3, 4] to [3, 4], wrapping the ops that change shapes (reductions keep their dims and
// broadcast back, matmuls and attention multiply back to [3, 4], losses broadcast their value).
//
// A tree is differentiable at a point only away from the kinks of abs, relu, maximum, max, where, sign, and
// away from the poles of log, reciprocal, div, pow: each op states the inputs it needs (`guard`), and
// `admissible` evaluates the tree once in float64 and rejects points on or within a margin of a kink or a pole,
// or where a value grows past 1e4 (so that central differences with a step of 1e-5 stay accurate). The edge
// cases themselves (ties, kinks, saturation) have their own tests (suites/edge-grads.ts, the conformance suite).
import fc from 'fast-check';
import {
  type FloatDType, type Tensor, abs, add, applyRope, arange, attentionWeights, bceWithLogits, broadcastTo, causalMask, concat, cos,
  crossEntropy, div, dotProductAttention, embedding, exp, expandDims, fromArray, gather, gelu, gt, layerNorm, log, logSoftmax, logsumexp,
  maskScores, matmul, max, maximum, mean, min, minimum, mul, narrow, neg, pad, permute, pow, reciprocal, relu, reshape, rmsNorm,
  ropeTables, rsqrt, scatterAdd, sigmoid, sign, silu, sin, slice, softmax, split, sqrt, square, squeeze, sub, sum, swapAxes,
  takeAlongAxis, tanh, tokenNll, transpose, where,
} from '@safekey-ts/core';

export const ROWS = 3, COLS = 4;
export const SHAPE = [ROWS, COLS] as const;
const SIZE = ROWS * COLS;

/** The tolerance families of the float32 comparison (see properties.test.ts). */
export type Family = 'elementwise' | 'reduce' | 'movement' | 'softmax' | 'matmul' | 'norm' | 'attention' | 'loss';

/** Side inputs of the ops (indices, masks, weights, tables), made once per dtype and backend. */
export interface Consts {
  readonly c: Tensor; readonly w: Tensor; readonly labels: Tensor; readonly rope: { cos: Tensor; sin: Tensor };
  readonly cols: Tensor<readonly number[], 'int32'>; readonly rowIds: Tensor<readonly number[], 'int32'>; readonly targets: Tensor<readonly number[], 'int32'>;
  readonly rowMask: Tensor<readonly number[], 'bool'>; readonly scoreMask: Tensor<readonly number[], 'bool'>; readonly causal: Tensor<readonly number[], 'bool'>;
}

/** Host values of a node's inputs, row-major [3, 4] each, for the guards. */
type Guard = (...xs: Float64Array[]) => boolean;

export interface OpSpec {
  readonly family: Family;
  readonly arity: 1 | 2;
  readonly apply: (k: Consts, ...xs: Tensor[]) => Tensor;
  readonly guard?: Guard;
}

// ---------- guards ----------

/**
 * Relative margin to a kink or a pole: a point closer than this is not tested. A point exactly on a kink is not
 * tested either: there the gradient is a convention (relu'(0) = 0, ties share a max's gradient) that differences
 * need not match.
 */
export const MARGIN = 1e-2;
const away = (v: number, from = 0) => Math.abs(v - from) >= MARGIN * Math.max(1, Math.abs(v), Math.abs(from));
const allAway: Guard = (x) => x.every((v) => away(v));
const poleFree = (min: number): Guard => (x) => x.every((v) => Math.abs(v) >= min);
const pairsApart: Guard = (a, b) => a.every((v, i) => away(v, b[i]));
const rows = (x: Float64Array) => Array.from({ length: ROWS }, (_, r) => Array.from(x.subarray(r * COLS, (r + 1) * COLS)));
const colsOf = (x: Float64Array) => Array.from({ length: COLS }, (_, c) => rows(x).map((r) => r[c]));
/** The top two of every line differ by the margin. */
const topTwoApart = (lines: number[][], sign: 1 | -1) => lines.every((l) => {
  const s = l.map((v) => sign * v).sort((p, q) => q - p);
  return away(s[0], s[1]);
});
const meanSquareRows = (x: Float64Array) => rows(x).every((r) => r.reduce((p, v) => p + v * v, 0) / COLS >= 0.01);
const varianceRows = (x: Float64Array) => rows(x).every((r) => {
  const m = r.reduce((p, v) => p + v, 0) / COLS;
  return r.reduce((p, v) => p + (v - m) ** 2, 0) / COLS >= 0.01;
});

// ---------- the ops ----------

const back = (x: Tensor) => broadcastTo(x, SHAPE);
const heads = (x: Tensor) => reshape(x, [ROWS, 2, 2]);          // [T, heads, head dim]
const flat = (x: Tensor) => reshape(x, SHAPE);

export const OPS: Readonly<Record<string, OpSpec>> = {
  // element-wise, one input
  neg: { family: 'elementwise', arity: 1, apply: (_, x) => neg(x) },
  abs: { family: 'elementwise', arity: 1, apply: (_, x) => abs(x), guard: allAway },
  sign: { family: 'elementwise', arity: 1, apply: (_, x) => add(x, sign(x)), guard: allAway },
  exp: { family: 'elementwise', arity: 1, apply: (_, x) => exp(x) },
  'log|x|': { family: 'elementwise', arity: 1, apply: (_, x) => log(abs(x)), guard: poleFree(0.05) },
  'sqrt|x|': { family: 'elementwise', arity: 1, apply: (_, x) => sqrt(abs(x)), guard: poleFree(0.05) },
  'rsqrt|x|': { family: 'elementwise', arity: 1, apply: (_, x) => rsqrt(abs(x)), guard: poleFree(0.05) },
  reciprocal: { family: 'elementwise', arity: 1, apply: (_, x) => reciprocal(x), guard: poleFree(0.05) },
  sin: { family: 'elementwise', arity: 1, apply: (_, x) => sin(x) },
  cos: { family: 'elementwise', arity: 1, apply: (_, x) => cos(x) },
  tanh: { family: 'elementwise', arity: 1, apply: (_, x) => tanh(x) },
  square: { family: 'elementwise', arity: 1, apply: (_, x) => square(x) },
  sigmoid: { family: 'elementwise', arity: 1, apply: (_, x) => sigmoid(x) },
  silu: { family: 'elementwise', arity: 1, apply: (_, x) => silu(x) },
  gelu: { family: 'elementwise', arity: 1, apply: (_, x) => gelu(x) },
  relu: { family: 'elementwise', arity: 1, apply: (_, x) => relu(x), guard: allAway },
  'scale+shift': { family: 'elementwise', arity: 1, apply: (_, x) => sub(mul(x, 0.75), 0.5) },
  // element-wise, two inputs
  add: { family: 'elementwise', arity: 2, apply: (_, a, b) => add(a, b) },
  sub: { family: 'elementwise', arity: 2, apply: (_, a, b) => sub(a, b) },
  mul: { family: 'elementwise', arity: 2, apply: (_, a, b) => mul(a, b) },
  div: { family: 'elementwise', arity: 2, apply: (_, a, b) => div(a, b), guard: (_, b) => poleFree(0.05)(b) },
  'pow(|a|, b)': { family: 'elementwise', arity: 2, apply: (_, a, b) => pow(abs(a), b), guard: (a) => poleFree(0.05)(a) },
  maximum: { family: 'elementwise', arity: 2, apply: (_, a, b) => maximum(a, b), guard: pairsApart },
  minimum: { family: 'elementwise', arity: 2, apply: (_, a, b) => minimum(a, b), guard: pairsApart },
  'where(a > b)': { family: 'elementwise', arity: 2, apply: (_, a, b) => where(gt(a, b), a, mul(b, 0.5)), guard: pairsApart },
  'bias (row broadcast)': { family: 'elementwise', arity: 2, apply: (_, a, b) => add(a, narrow(b, 0, 0, 1)) },
  // reductions, kept dims broadcast back
  'sum (axis 1)': { family: 'reduce', arity: 1, apply: (_, x) => back(sum(x, 1, true)) },
  'mean (axis 0)': { family: 'reduce', arity: 1, apply: (_, x) => back(mean(x, 0, true)) },
  'sum (all) + x': { family: 'reduce', arity: 1, apply: (_, x) => add(x, mul(sum(x), 0.1)) },
  'max (axis 1)': { family: 'reduce', arity: 1, apply: (_, x) => back(max(x, 1, true)), guard: (x) => topTwoApart(rows(x), 1) },
  'min (axis 0)': { family: 'reduce', arity: 1, apply: (_, x) => back(min(x, 0, true)), guard: (x) => topTwoApart(colsOf(x), -1) },
  'logsumexp (axis 1)': { family: 'softmax', arity: 1, apply: (_, x) => back(logsumexp(x, 1, true)) },
  'softmax (axis 1)': { family: 'softmax', arity: 1, apply: (_, x) => softmax(x, 1) },
  'softmax (axis 0)': { family: 'softmax', arity: 1, apply: (_, x) => softmax(x, 0) },
  logSoftmax: { family: 'softmax', arity: 1, apply: (_, x) => logSoftmax(x) },
  'maskScores + softmax': { family: 'softmax', arity: 1, apply: (k, x) => softmax(maskScores(x, k.scoreMask)) },
  // movement: each scrambles or moves entries and comes back to [3, 4]
  'transpose + reshape': { family: 'movement', arity: 1, apply: (_, x) => flat(transpose(x)) },
  'permute + reshape': { family: 'movement', arity: 1, apply: (_, x) => flat(permute(reshape(x, [ROWS, 2, 2]), [2, 0, 1])) },
  'swapAxes + reshape': { family: 'movement', arity: 1, apply: (_, x) => flat(swapAxes(x, 0, 1)) },
  'roll (concat of narrows)': { family: 'movement', arity: 1, apply: (_, x) => concat([narrow(x, 1, 1, COLS - 1), narrow(x, 1, 0, 1)], 1) },
  'shift (slice + pad)': { family: 'movement', arity: 1, apply: (_, x) => pad(slice(x, [0, 0], [ROWS, COLS - 1]), [[0, 0], [1, 0]], 0.5) },
  'split + concat (swap halves)': { family: 'movement', arity: 1, apply: (_, x) => { const [p, q] = split(x, [1, ROWS - 1], 0); return concat([q, p], 0); } },
  'broadcast row 0': { family: 'movement', arity: 1, apply: (_, x) => back(slice(x, [0], [1])) },
  'expandDims + squeeze': { family: 'movement', arity: 1, apply: (_, x) => squeeze(expandDims(x, 0), [0]) },
  'gather (axis 1)': { family: 'movement', arity: 1, apply: (k, x) => gather(x, k.cols, 1) },
  'scatterAdd (axis 1)': { family: 'movement', arity: 1, apply: (k, x) => scatterAdd(x, k.cols, COLS, 1) },
  embedding: { family: 'movement', arity: 1, apply: (k, x) => embedding(x, k.rowIds) },
  'takeAlongAxis (axis 1)': { family: 'movement', arity: 1, apply: (k, x) => back(expandDims(takeAlongAxis(x, k.targets, 1), 1)) },
  // products
  'matmul by a constant': { family: 'matmul', arity: 1, apply: (k, x) => matmul(x, k.w) },
  'a b^T a / 4': { family: 'matmul', arity: 2, apply: (_, a, b) => mul(matmul(matmul(a, b, { transB: true }), a), 0.25) },
  'a (b^T a) / 4': { family: 'matmul', arity: 2, apply: (_, a, b) => mul(matmul(a, matmul(b, a, { transA: true })), 0.25) },
  // norms and rotary embeddings (weights from the other input)
  rmsNorm: { family: 'norm', arity: 2, apply: (_, a, b) => rmsNorm(a, mean(b, 0)), guard: meanSquareRows },
  layerNorm: { family: 'norm', arity: 2, apply: (_, a, b) => layerNorm(a, mean(b, 0), sum(b, 0)), guard: varianceRows },
  applyRope: { family: 'norm', arity: 1, apply: (k, x) => applyRope(x, k.rope) },
  // attention: q from a, k and v from b, causal; grouped (one key/value head for two query heads) too
  dotProductAttention: { family: 'attention', arity: 2, apply: (k, a, b) => flat(dotProductAttention(heads(a), heads(b), heads(mul(b, 0.5)), k.causal, 0.7)) },
  'attention, grouped kv': {
    family: 'attention', arity: 2,
    apply: (k, a, b) => flat(dotProductAttention(heads(a), reshape(narrow(b, 1, 0, 2), [ROWS, 1, 2]), reshape(narrow(b, 1, 2, 2), [ROWS, 1, 2]), k.causal, 0.7)),
  },
  'attentionWeights @ a': { family: 'attention', arity: 2, apply: (k, a, b) => matmul(sum(attentionWeights(heads(a), heads(b), k.causal, 0.7), 0), a) },
  // losses, their values broadcast back
  tokenNll: { family: 'loss', arity: 1, apply: (k, x) => back(expandDims(tokenNll(x, k.targets), 1)) },
  'crossEntropy (masked) + x': { family: 'loss', arity: 1, apply: (k, x) => add(x, crossEntropy(x, k.targets, k.rowMask)) },
  bceWithLogits: { family: 'loss', arity: 1, apply: (k, x) => bceWithLogits(x, k.labels) },
};

export const UNARY = Object.keys(OPS).filter((n) => OPS[n].arity === 1);
export const BINARY = Object.keys(OPS).filter((n) => OPS[n].arity === 2);

// ---------- trees ----------

/** Leaves 0 and 1 are the inputs (differentiated), 2 a constant tensor. */
export type Tree = { readonly leaf: 0 | 1 | 2 } | { readonly op: string; readonly a: Tree; readonly b?: Tree };

const treeMemo: fc.Memo<Tree> = fc.memo((n): fc.Arbitrary<Tree> => {
  const leaf = fc.record({ leaf: fc.constantFrom<0 | 1 | 2>(0, 1, 2) });
  if (n <= 1) return leaf;
  const child = treeMemo(n - 1);
  const unary = fc.record({ op: fc.constantFrom(...UNARY), a: child }), binary = fc.record({ op: fc.constantFrom(...BINARY), a: child, b: child });
  // no leaf at the root, so that every tree has an op; leaves (which shrinking goes towards) first below
  return n >= 3 ? fc.oneof({ withCrossShrink: true }, unary, binary) : fc.oneof({ withCrossShrink: true }, { arbitrary: leaf, weight: 1 },
    { arbitrary: unary, weight: 2 }, { arbitrary: binary, weight: 2 });
});
/** Trees of at most `maxDepth` levels (leaves included); shrinking goes towards single leaves. */
export const treeArb = (maxDepth: number): fc.Arbitrary<Tree> => treeMemo(maxDepth);

export const show = (t: Tree): string =>
  'leaf' in t ? ['x0', 'x1', 'c'][t.leaf] : `${t.op}(${show(t.a)}${t.b ? `, ${show(t.b)}` : ''})`;

export const families = (t: Tree): Family[] => ('leaf' in t ? [] : [OPS[t.op].family, ...families(t.a), ...(t.b ? families(t.b) : [])]);
export const size = (t: Tree): number => ('leaf' in t ? 0 : 1 + size(t.a) + (t.b ? size(t.b) : 0));

/** The tree as a function of its two inputs. */
export const evaluate = (t: Tree, k: Consts) => (x0: Tensor, x1: Tensor): Tensor => {
  const go = (n: Tree): Tensor => ('leaf' in n ? [x0, x1, k.c][n.leaf] : OPS[n.op].apply(k, go(n.a), ...(n.b ? [go(n.b)] : [])));
  return go(t);
};

/** Values of the inputs: float32-exact doubles in [-2, 2], so that every backend and dtype sees the same point. */
export const inputsArb = fc.array(fc.double({ min: -2, max: 2, noNaN: true }).map(Math.fround), { minLength: 2 * SIZE, maxLength: 2 * SIZE })
  .map((v) => [v.slice(0, SIZE), v.slice(SIZE)] as const);

export const tensorOf = (dtype: FloatDType, v: readonly number[], shape: readonly number[] = SHAPE): Tensor =>
  dtype === 'float64' ? fromArray(Float64Array.from(v), shape, 'float64') : fromArray(Float32Array.from(v), shape, 'float32');

const wave = (n: number, phase: number, scale = 1) => Array.from({ length: n }, (_, i) => Math.fround(scale * Math.sin(1.7 * i + phase)));
const ints = (v: number[]) => fromArray(Int32Array.from(v), [v.length], 'int32');
const bools = (v: boolean[], shape: readonly number[]) => fromArray(Uint8Array.from(v, Number), shape, 'bool');

/** The side inputs in `dtype` on the current default backend. */
export function consts(dtype: FloatDType): Consts {
  return {
    c: tensorOf(dtype, wave(SIZE, 0.3)),
    w: tensorOf(dtype, wave(COLS * COLS, 1.1, 0.5), [COLS, COLS]),
    labels: tensorOf(dtype, wave(SIZE, 2).map((v) => (v > 0 ? 1 : 0))),
    rope: ropeTables(arange(ROWS), COLS, 10000, dtype),
    cols: ints([2, 0, 3, 2]), rowIds: ints([2, 0, 2]), targets: ints([1, 3, 0]),
    rowMask: bools([true, false, true], [ROWS]),
    scoreMask: bools([true, false, true, true, false, false, false, false, true, true, false, true], SHAPE),
    causal: causalMask(ROWS),
  };
}

/**
 * Why the tree is not smooth enough at (x0, x1) to be compared with differences (the first op whose guard fails,
 * or whose value is not finite or larger than 1e4), or null when it is. Evaluated in float64 on the current
 * default backend.
 */
export function inadmissible(t: Tree, k: Consts, x0: Tensor, x1: Tensor): string | null {
  const host = (x: Tensor) => Float64Array.from(x.dataSync() as ArrayLike<number>);
  const ok = (x: Tensor) => host(x).every((v) => Number.isFinite(v) && Math.abs(v) <= 1e4);
  let why: string | null = null;
  const go = (n: Tree): Tensor => {
    if ('leaf' in n) return [x0, x1, k.c][n.leaf];
    const kids = [go(n.a), ...(n.b ? [go(n.b)] : [])];
    const guard = OPS[n.op].guard;
    if (why === null && guard && !guard(...kids.map(host))) why = `${n.op}: near a kink or pole`;
    const out = OPS[n.op].apply(k, ...kids);
    if (why === null && !ok(out)) why = `${n.op}: a value past 1e4`;
    return out;
  };
  go(t);
  return why;
}
