// Gradients where the plain formulas break: saturated activations, huge logits, ties at a kink, empty inputs.
// Every gradient must be finite at finite inputs and equal the analytic derivative, computed here in double
// from the textbook formula (not through the library), on every backend, in float32 and (where stored) float64.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  type Backend, type FloatDType, type Tensor, bceWithLogits, crossEntropy, dotProductAttention, fromArray, gelu, getBackend, logSoftmax,
  logsumexp, maximum, mul, relu, setBackend, sigmoid, silu, softmax, sum, tidy,
} from '@safekey-ts/core';
import { grad, vjp } from '@safekey-ts/autograd';

const logistic = (x: number) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));
const dSigmoid = (x: number) => logistic(x) * (1 - logistic(x));
const dSilu = (x: number) => logistic(x) + x * dSigmoid(x);
const C = Math.sqrt(2 / Math.PI), A = 0.044715;
// d/dx 0.5 x (1 + tanh(C (x + A x^3))); past |x| = 10 the tanh is +-1 in double and the derivative 1 or 0
const dGelu = (x: number) => {
  if (Math.abs(x) > 10) return x > 0 ? 1 : 0;
  const t = Math.tanh(C * (x + A * x ** 3));
  return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * C * (1 + 3 * A * x * x);
};

interface EdgeCase {
  readonly name: string;
  readonly x: readonly number[];
  readonly shape?: readonly number[];
  readonly f: (x: Tensor) => Tensor;
  readonly want: (x: readonly number[]) => number[];
  /** Only where float64 is stored (inputs that are finite only in float64). */
  readonly float64Only?: boolean;
}

const softmaxOf = (xs: readonly number[]) => {
  const m = Math.max(...xs), e = xs.map((v) => Math.exp(v - m)), z = e.reduce((p, q) => p + q, 0);
  return e.map((v) => v / z);
};
const each = (d: (x: number) => number) => (xs: readonly number[]) => xs.map(d);
const big32 = 3e38;
const cases: readonly EdgeCase[] = [
  { name: 'sigmoid, saturated both ways', x: [-100, 100, 0, -big32, big32, -20, 20, -88.8], f: (x) => sum(sigmoid(x)), want: each(dSigmoid) },
  { name: 'sigmoid past float64 exp overflow', x: [-710, 710, -1e300, 1e300], f: (x) => sum(sigmoid(x)), want: each(dSigmoid), float64Only: true },
  { name: 'silu, saturated both ways', x: [-100, 100, 0, -big32, 30, -30], f: (x) => sum(silu(x)), want: each(dSilu) },
  { name: 'silu past float64 exp overflow', x: [-710, -1e300, 1e300], f: (x) => sum(silu(x)), want: each(dSilu), float64Only: true },
  { name: 'gelu, cubic overflowing', x: [-1e20, 1e20, -big32, big32, 0, 3, -3], f: (x) => sum(gelu(x)), want: each(dGelu) },
  { name: 'gelu past float64 cube overflow', x: [-1e200, 1e200], f: (x) => sum(gelu(x)), want: each(dGelu), float64Only: true },
  // PyTorch and JAX: relu'(0) = 0; maximum splits a tie (0.5 each side)
  { name: 'relu at 0', x: [0, -0, 1, -1], f: (x) => sum(relu(x)), want: () => [0, 0, 1, 0] },
  { name: 'maximum(x, 0) at 0', x: [0, 1, -1], f: (x) => sum(maximum(x, 0)), want: () => [0.5, 1, 0] },
  // the gradient of logsumexp is the softmax, of any sizes
  { name: 'logsumexp of huge logits', x: [1e4, 1e4, -1e4, 3e4, 3e4 - Math.log(3), -Infinity], shape: [2, 3], f: (x) => sum(logsumexp(x)),
    want: (xs) => [...softmaxOf(xs.slice(0, 3)), ...softmaxOf(xs.slice(3))] },
  { name: 'logSoftmax of huge logits (weighted)', x: [1e4, 1e4, -1e4], f: (x) => sum(mul(logSoftmax(x), fromArrayLike(x, [1, 0, 0]))),
    want: () => [0.5, -0.5, 0] },
  { name: 'softmax of huge logits (weighted)', x: [5e3, 5e3], f: (x) => sum(mul(softmax(x), fromArrayLike(x, [1, 0]))), want: () => [0.25, -0.25] },
  // d/dz = sigmoid(z) - y
  { name: 'bceWithLogits, saturated', x: [-100, 100, 0, 40], f: (x) => sum(bceWithLogits(x, fromArrayLike(x, [1, 0, 1, 0]))),
    want: (xs) => xs.map((z, i) => logistic(z) - [1, 0, 1, 0][i]) },
];

const d2Sigmoid = (x: number) => dSigmoid(x) * (1 - 2 * logistic(x));
const secondDerivatives: readonly (readonly [string, (x: Tensor) => Tensor, (x: number) => number])[] = [
  ['bceWithLogits (label 0.25)', (z) => bceWithLogits(z, fromArrayLike(z, [0.25, 0.25, 0.25, 0.25, 0.25])), dSigmoid],
  ['sigmoid', sigmoid, d2Sigmoid],
  ['silu', silu, (x) => 2 * dSigmoid(x) + x * d2Sigmoid(x)],
];

function fromArrayLike(like: Tensor, v: number[]): Tensor {
  return like.dtype === 'float64' ? fromArray(Float64Array.from(v), [v.length], 'float64') : fromArray(Float32Array.from(v), [v.length], 'float32');
}
const input = (dtype: FloatDType, v: readonly number[], shape: readonly number[]) =>
  dtype === 'float64' ? fromArray(Float64Array.from(v), shape, 'float64') : fromArray(Float32Array.from(v), shape, 'float32');

function assertGrad(got: ArrayLike<number>, want: readonly number[], dtype: FloatDType, what: string): void {
  const tol = dtype === 'float64' ? 1e-12 : 2e-6;
  const g = Array.from(got);
  assert.equal(g.length, want.length, `${what}: length`);
  g.forEach((v, i) => {
    assert.ok(Number.isFinite(v), `${what}: gradient ${v} at ${i} is not finite\n  got  [${g.join(', ')}]`);
    assert.ok(Math.abs(v - want[i]) <= tol * Math.max(1, Math.abs(want[i])), `${what}: at ${i} got ${v}, want ${want[i]}\n  got  [${g.join(', ')}]\n  want [${want.join(', ')}]`);
  });
}

/** The edge cases on one backend, in each float dtype it stores. */
export function edgeGradSuite(label: string, make: () => Backend): void {
  describe(`gradients at the edges on ${label}`, () => {
    const backend = make();
    const dtypes = (['float32', 'float64'] as const).filter((d) => backend.dtypes.includes(d));
    const on = (f: () => void) => () => {
      const prev = getBackend();
      setBackend(backend);
      try { tidy(f); } finally { setBackend(prev); }
    };
    for (const dtype of dtypes) {
      for (const c of cases) {
        if (c.float64Only && dtype !== 'float64') continue;
        test(`${c.name} (${dtype})`, on(() => {
          const x = input(dtype, c.x, c.shape ?? [c.x.length]);
          const stored = Array.from(x.dataSync() as ArrayLike<number>);
          assertGrad(grad(c.f)(x).dataSync() as ArrayLike<number>, c.want(stored), dtype, `${c.name} (${dtype})`);
        }));
      }
      // the second derivative of element-wise f is the gradient of sum(f'(x)); at 0 the where-based forms must not
      // see a kink (through maximum and abs, bce's would be 0 there)
      for (const [name, f, d2] of secondDerivatives) {
        test(`second derivative of ${name} at 0 and around (${dtype})`, on(() => {
          const x = input(dtype, [0, -0, 0.5, -3, 7], [5]);
          const stored = Array.from(x.dataSync() as ArrayLike<number>);
          assertGrad(grad((y: Tensor) => sum(grad((z: Tensor) => sum(f(z)))(y)))(x).dataSync() as ArrayLike<number>, stored.map(d2), dtype, name);
        }));
      }
      test(`cross-entropy over no position: value 0, empty gradient (${dtype})`, on(() => {
        const logits = input(dtype, [], [0, 4]), targets = fromArray(new Int32Array(0), [0], 'int32');
        const [value, pullback] = vjp((l: Tensor) => crossEntropy(l, targets), logits);
        assert.equal(value.item(), 0);
        const [g] = pullback(input(dtype, [1], []));
        assert.deepEqual([...g!.shape], [0, 4]);
      }));
      test(`attention over zero keys: zeros, zero gradient for q (${dtype})`, on(() => {
        const q = input(dtype, [1, -2, 3, 0.5, 2, 1, -1, 4], [1, 2, 2, 2]), k = input(dtype, [], [1, 0, 1, 2]), v = input(dtype, [], [1, 0, 1, 3]);
        const allowed = fromArray(new Uint8Array(0), [2, 0], 'bool');
        const [out, pullback] = vjp((a: Tensor, b: Tensor, c: Tensor) => dotProductAttention(a, b, c, allowed, 0.5), q, k, v);
        assert.deepEqual(Array.from(out.dataSync() as ArrayLike<number>), new Array<number>(12).fill(0));
        const [dq, dk, dv] = pullback(input(dtype, Array.from({ length: 12 }, (_, i) => i - 5), [1, 2, 2, 3]));
        assert.deepEqual(Array.from(dq!.dataSync() as ArrayLike<number>), new Array<number>(8).fill(0));
        assert.deepEqual([[...dk!.shape], [...dv!.shape]], [[1, 0, 1, 2], [1, 0, 1, 3]]);
      }));
    }
  });
}
