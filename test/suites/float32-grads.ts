// Autograd on the gpu.js backend, unchanged: for every primitive with a gradient and the composites, the
// reverse-mode gradient computed on gpu.js (float32) matches the one computed on the reference backend at
// the same points in float64 (which @safekey-ts/autograd's own tests check against central differences).
// The autograd tests themselves run in float64, which this backend does not store, hence this suite.
// Random values come from fast-check; shapes are fixed per case (each new shape compiles kernels).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  type Backend, type DType, type Tensor, abs, add, applyRope, arange, broadcastTo, cast, causalMask, concat, cos, crossEntropy,
  div, exp, fromArray, gather, gelu, getBackend, layerNorm, log, logSoftmax, logsumexp, maskScores, matmul, max, maximum,
  minimum, mul, neg, pad, permute, pow, reciprocal, referenceBackend, reshape, rmsNorm, ropeTables, rsqrt, scatterAdd,
  setBackend, sigmoid, silu, sin, slice, softmax, sqrt, sub, sum, tanh, tidy, where, gt, lt,
} from '@safekey-ts/core';
import { vjp } from '@safekey-ts/autograd';
import { type BlockConfig, block, initBlock } from '@safekey-ts/core/testing';

type Values = 'any' | 'pos' | 'untied' | 'half';
interface GradCase {
  readonly name: string;
  readonly shapes: readonly (readonly number[])[];
  readonly values?: readonly Values[];
  /** Built per backend: int32 / bool side inputs are made inside, from fixed data. */
  readonly f: (...xs: Tensor[]) => Tensor;
  /** Relative tolerance against the float64 gradient (default 1e-4: a few float32 ops). */
  readonly tol?: number;
}

const ints = (v: number[], shape: number[]) => fromArray(Int32Array.from(v), shape, 'int32');
const bools = (v: boolean[], shape: number[]) => fromArray(Uint8Array.from(v, Number), shape, 'bool');
const f64 = (t: Tensor, like: Tensor) => cast(t, like.dtype);

const CFG: BlockConfig = { batch: 1, seq: 3, dim: 4, heads: 2, hidden: 6 };

export const gradCases: readonly GradCase[] = [
  { name: 'exp', shapes: [[2, 3]], f: exp },
  { name: 'log', shapes: [[2, 3]], values: ['pos'], f: log },
  { name: 'sqrt', shapes: [[2, 3]], values: ['pos'], f: sqrt },
  { name: 'rsqrt', shapes: [[2, 3]], values: ['pos'], f: rsqrt },
  { name: 'sin', shapes: [[5]], f: sin },
  { name: 'cos', shapes: [[5]], f: cos },
  { name: 'tanh', shapes: [[5]], f: tanh },
  { name: 'sigmoid', shapes: [[5]], f: sigmoid },
  { name: 'reciprocal', shapes: [[4]], values: ['pos'], f: reciprocal },
  { name: 'neg', shapes: [[4]], f: neg },
  { name: 'abs', shapes: [[6]], values: ['half'], f: abs },
  { name: 'add (broadcast)', shapes: [[2, 3], [3]], f: add },
  { name: 'sub (broadcast)', shapes: [[2, 1], [1, 3]], f: sub },
  { name: 'mul (broadcast)', shapes: [[2, 3], [2, 1]], f: mul },
  { name: 'div (broadcast)', shapes: [[2, 3], [3]], values: ['any', 'pos'], f: div },
  { name: 'pow', shapes: [[2, 3], [2, 3]], values: ['pos', 'any'], f: pow },
  { name: 'maximum', shapes: [[2, 3], [3]], values: ['untied', 'half'], f: maximum },
  { name: 'minimum', shapes: [[2, 3], [2, 3]], values: ['untied', 'half'], f: minimum },
  { name: 'where / comparisons', shapes: [[2, 3], [2, 3]], values: ['untied', 'half'], f: (a, b) => add(where(gt(a, b), mul(a, b), a), where(lt(a, b), b, 0)) },
  { name: 'cast float32 -> int32 -> float (no gradient through ints)', shapes: [[4]], f: (x) => add(x, f64(cast(cast(mul(x, 0), 'int32'), 'float32'), x)) },
  { name: 'reduceSum', shapes: [[2, 3, 2]], f: (x) => sum(x, [0, 2]) },
  { name: 'reduceMax', shapes: [[3, 4]], values: ['untied'], f: (x) => max(x, 1) },
  { name: 'matmul', shapes: [[3, 4], [4, 2]], f: (a, b) => matmul(a, b) },
  { name: 'matmul transposed, batched', shapes: [[2, 4, 3], [2, 4]], f: (a, b) => matmul(a, b, { transA: true, transB: true }) },
  { name: 'reshape / permute / broadcastTo', shapes: [[2, 3]], f: (x) => broadcastTo(permute(reshape(x, [3, 2, 1]), [2, 1, 0]), [2, 1, 2, 3]) },
  { name: 'slice / pad / concat', shapes: [[3, 4], [3, 1]], f: (x, y) => concat([pad(slice(x, [1, 0], [3, 3]), [[1, 0], [0, 1]], 0.5), y], 1) },
  { name: 'gather (embedding)', shapes: [[5, 3]], f: (w) => gather(w, ints([4, 0, 4, 2], [2, 2]), 0) },
  { name: 'scatterAdd', shapes: [[2, 3]], f: (u) => scatterAdd(u, ints([1, 1], [2]), 3, 0) },
  { name: 'softmax', shapes: [[2, 5]], f: (x) => softmax(x) },
  { name: 'logSoftmax / logsumexp', shapes: [[3, 4]], f: (x) => add(logSoftmax(x, 0), logsumexp(x, 1, true)) },
  { name: 'rmsNorm', shapes: [[2, 4], [4]], f: (x, w) => rmsNorm(x, w) },
  { name: 'layerNorm', shapes: [[2, 4], [4], [4]], f: (x, w, b) => layerNorm(x, w, b) },
  { name: 'silu / gelu', shapes: [[6]], f: (x) => add(silu(x), gelu(x)) },
  { name: 'crossEntropy with mask', shapes: [[3, 4]], f: (x) => crossEntropy(x, ints([1, 3, 0], [3]), bools([true, false, true], [3])) },
  { name: 'RoPE', shapes: [[1, 3, 4]], f: (x) => applyRope(x, ropeTables(arange(3), 4, 10000, x.dtype as 'float32')) },
  { name: 'masked attention scores', shapes: [[3, 3]], f: (s) => softmax(maskScores(s, causalMask(3))) },
  {
    name: 'transformer block', tol: 3e-4,
    shapes: [[1, 3, 4], [4], [4, 4], [4, 4], [4, 4], [4, 4], [4], [4, 6], [6, 4]],
    f: (x, norm1, wq, wk, wv, wo, norm2, w1, w2) => block({ norm1, wq, wk, wv, wo, norm2, w1, w2 }, x, CFG),
  },
];

const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
const f32 = Math.fround;
function valuesArb(kind: Values, n: number): fc.Arbitrary<number[]> {
  switch (kind) {
    case 'any': return fc.array(fc.double({ min: -2, max: 2, noNaN: true }).map(f32), { minLength: n, maxLength: n });
    case 'pos': return fc.array(fc.double({ min: 0.3, max: 3, noNaN: true }).map(f32), { minLength: n, maxLength: n });
    // distinct values on a grid of quarters, and (`half`) values a half-step off it: never tied
    case 'untied': return fc.uniqueArray(fc.integer({ min: -12, max: 12 }), { minLength: n, maxLength: n }).map((v) => v.map((x) => x / 4));
    case 'half': return fc.array(fc.integer({ min: -12, max: 12 }), { minLength: n, maxLength: n }).map((v) => v.map((x) => (x + 0.5) / 4));
  }
}

/** Output and input gradients of `f` at `values` on `backend`, projected on the cotangent pattern. */
function gradsOn(backend: Backend, dtype: DType, c: GradCase, values: number[][]): { out: number[]; grads: number[][] } {
  const prev = getBackend();
  setBackend(backend);
  try {
    return tidy(() => {
      const xs = values.map((v, i) => (dtype === 'float64' ? fromArray(Float64Array.from(v), c.shapes[i], 'float64') : fromArray(Float32Array.from(v), c.shapes[i], 'float32')));
      const [out, pullback] = vjp((...a: Tensor[]) => c.f(...a), ...xs);
      const ct = fromArray(Float32Array.from({ length: out.size }, (_, i) => f32(Math.sin(i * 0.7) + 0.3)), out.shape, 'float32');
      const grads = pullback(cast(ct, dtype)) as Tensor[];
      return { out: Array.from(out.dataSync() as ArrayLike<number>), grads: grads.map((g) => Array.from(g.dataSync() as ArrayLike<number>)) };
    });
  } finally { setBackend(prev); }
}

function assertNear(got: number[], want: number[], tol: number, what: string): void {
  assert.equal(got.length, want.length, `${what}: length`);
  const scale = Math.max(1, ...want.map(Math.abs));
  for (let i = 0; i < want.length; i++)
    assert.ok(Math.abs(got[i] - want[i]) <= tol * scale, `${what}: at ${i} got ${got[i]}, want ${want[i]} (tol ${tol} x scale ${scale})\n  got  [${got.join(', ')}]\n  want [${want.join(', ')}]`);
}

export function float32GradSuite(label: string, make: () => Backend, numRuns: number): void {
  describe(`autograd on ${label}: gradients match the reference backend (float64)`, () => {
    const backend = make();
    const ref = referenceBackend();
    for (const c of gradCases) {
      test(c.name, () => {
        const arb = fc.tuple(...c.shapes.map((s, i) => valuesArb(c.values?.[i] ?? 'any', size(s))));
        fc.assert(fc.property(arb, (values) => {
          const want = gradsOn(ref, 'float64', c, values);
          const got = gradsOn(backend, 'float32', c, values);
          assertNear(got.out, want.out, c.tol ?? 1e-4, `${c.name}: value`);
          got.grads.forEach((g, i) => assertNear(g, want.grads[i], c.tol ?? 1e-4, `${c.name}: gradient of input ${i}`));
        }), { numRuns });
      });
    }
    test('no buffers leak: every test above ran inside tidy', () => {
      assert.equal(backend.memory().liveBuffers, 0);
    });
  });
}
