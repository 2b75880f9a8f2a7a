import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  type Tensor, add, applyRope, arange, causalMask, crossEntropy, fromArray, leaves, matmul, maskScores, mul, random,
  reshape, rmsNorm, ropeTables, softmax, sum, swapAxes, tanh, unflatten,
} from '@safekey-ts/core';
import { gradcheck, valueAndGrad } from '@safekey-ts/autograd';

const rand = (seed: number, shape: number[], scale = 0.5) => random.normal(random.key(seed), shape, { std: scale, dtype: 'float64' });

/** gradcheck over every leaf of a parameter pytree. */
function checkTree<P>(loss: (p: P) => Tensor, params: P): Map<string, number> {
  const ls = leaves(params);
  const { errors } = gradcheck((...xs) => loss(unflatten(params, xs) as P), ls.map((l) => l.tensor));
  return new Map(ls.map((l, i) => [l.path, errors[i]]));
}

/** Small models: gradcheck of every parameter, on the default backend. */
export function modelGradSuite(): void {
  describe('gradients of small models match gradcheck for every parameter', () => {
    test('two-layer MLP with cross-entropy', () => {
      const params = { l1: { w: rand(1, [4, 6]), b: rand(2, [6]) }, l2: { w: rand(3, [6, 3]), b: rand(4, [3]) } };
      const x = rand(5, [5, 4], 1);
      const y = fromArray(Int32Array.from([0, 2, 1, 1, 0]), [5], 'int32');
      const loss = (p: typeof params) => crossEntropy(add(matmul(tanh(add(matmul(x, p.l1.w), p.l1.b)), p.l2.w), p.l2.b), y);
      const errs = checkTree(loss, params);
      assert.deepEqual([...errs.keys()], ['l1.b', 'l1.w', 'l2.b', 'l2.w']);
      for (const [path, e] of errs) assert.ok(e < 1e-7, `${path}: ${e}`);
      // valueAndGrad returns the same structure as the parameters
      const [value, g] = valueAndGrad(loss)(params);
      assert.ok(Number.isFinite(value.item()));
      assert.deepEqual(g.l1.w.shape, [4, 6]);
      assert.deepEqual(g.l2.b.shape, [3]);
    });

    test('one attention block: RMSNorm, RoPE, causal softmax attention, output projection, residual', () => {
      const [b, t, d, h] = [2, 3, 4, 2];
      const hd = d / h;
      const params = { norm: add(rand(10, [d], 0.1), 1), wq: rand(11, [d, d]), wk: rand(12, [d, d]), wv: rand(13, [d, d]), wo: rand(14, [d, d]) };
      const x = rand(15, [b, t, d], 1);
      const ct = rand(16, [b, t, d], 1);
      const rope = ropeTables(arange(t), hd, 10000, 'float64');
      const heads = (z: Tensor) => swapAxes(reshape(z, [b, t, h, hd]), 1, 2);
      const block = (p: typeof params) => {
        const n = rmsNorm(x, p.norm);
        const q = applyRope(heads(matmul(n, p.wq)), rope), k = applyRope(heads(matmul(n, p.wk)), rope), v = heads(matmul(n, p.wv));
        const scores = mul(matmul(q, k, { transB: true }), 1 / Math.sqrt(hd));
        const att = matmul(softmax(maskScores(scores, causalMask(t))), v);
        const out = add(x, matmul(reshape(swapAxes(att, 1, 2), [b, t, d]), p.wo));
        return sum(mul(out, ct));
      };
      for (const [path, e] of checkTree(block, params)) assert.ok(e < 1e-7, `${path}: ${e}`);
    });
  });
}
