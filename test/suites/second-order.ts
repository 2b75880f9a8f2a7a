import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { type Tensor, add, exp, fromArray, matmul, mul, softmax, sum, tanh } from '@safekey-ts/core';
import { grad } from '@safekey-ts/autograd';
import { type Data, dataArb, dimsArb, t64 } from './arbitraries.js';

/** Hessian-vector product by differentiating the gradient (reverse over reverse). */
const hvp = (f: (x: Tensor) => Tensor, x: Tensor, v: Tensor): Tensor => grad((y: Tensor) => sum(mul(grad(f)(y), v)))(x);

/** The same product by central differences of the gradient. */
function hvpNumeric(f: (x: Tensor) => Tensor, x: Tensor, v: Tensor, h = 1e-5): Float64Array {
  const g = (s: number) => Float64Array.from(grad(f)(add(x, mul(v, s))).dataSync());
  const plus = g(h), minus = g(-h);
  return plus.map((p, i) => (p - minus[i]) / (2 * h));
}

const scaled = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let diff = 0, scale = 1;
  for (let i = 0; i < a.length; i++) { diff = Math.max(diff, Math.abs(a[i] - b[i])); scale = Math.max(scale, Math.abs(a[i])); }
  return diff / scale;
};

const weights = (d: Data) => t64(d);
const cases: Record<string, fc.Arbitrary<{ x: Data; v: Data; w: Data; f: (w: Tensor) => (x: Tensor) => Tensor }>> = {
  tanh: dimsArb(2).chain((s) => fc.record({ x: dataArb(s), v: dataArb(s), w: dataArb(s) })).map((c) => ({ ...c, f: (w) => (x) => sum(mul(tanh(x), w)) })),
  exp: dimsArb(2).chain((s) => fc.record({ x: dataArb(s), v: dataArb(s), w: dataArb(s) })).map((c) => ({ ...c, f: (w) => (x) => sum(mul(exp(x), w)) })),
  mul: dimsArb(2).chain((s) => fc.record({ x: dataArb(s), v: dataArb(s), w: dataArb(s) })).map((c) => ({ ...c, f: (w) => (x) => sum(mul(mul(mul(x, x), x), w)) })),
  matmul: dimsArb(2).chain(([m, k]) => fc.record({ x: dataArb([m, k]), v: dataArb([m, k]), w: dataArb([m, m]) }))
    .map((c) => ({ ...c, f: (w) => (x) => sum(mul(matmul(x, x, { transB: true }), w)) })),
  softmax: dimsArb(2).chain((s) => fc.record({ x: dataArb(s), v: dataArb(s), w: dataArb(s) })).map((c) => ({ ...c, f: (w) => (x) => sum(mul(softmax(x), w)) })),
};

/** Hessian-vector products (reverse over reverse) against differences of the gradient, on the default backend. */
export function secondOrderSuite(): void {
  describe('second derivatives: Hessian-vector products match finite differences of the gradient', () => {
    for (const [name, arb] of Object.entries(cases)) {
      test(name, () => {
        fc.assert(fc.property(arb, (c) => {
          const f = c.f(weights(c.w));
          const x = t64(c.x), v = t64(c.v);
          const err = scaled(hvp(f, x, v).dataSync(), hvpNumeric(f, x, v));
          assert.ok(err < 1e-6, `${name}: error ${err}`);
        }), { numRuns: 30 });
      });
    }
    test('third derivative of exp is exp', () => {
      const x = fromArray(Float64Array.from([0.3, -1.2]), [2], 'float64');
      const d = (f: (x: Tensor) => Tensor) => (y: Tensor) => sum(grad(f)(y));
      const third = grad(d(d((y: Tensor) => sum(exp(y)))))(x).dataSync();
      assert.deepEqual(Array.from(third).map((v) => v.toFixed(12)), [0.3, -1.2].map((v) => Math.exp(v).toFixed(12)));
    });
  });
}
