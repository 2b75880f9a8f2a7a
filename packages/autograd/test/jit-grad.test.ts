import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  type Tensor, add, applyRope, arange, causalMask, crossEntropy, fromArray, jit, leaves, maskScores, matmul, mul, random,
  reshape, rmsNorm, ropeTables, silu, softmax, sum, swapAxes, tanh,
} from '@safekey-ts/core';
import { grad, valueAndGrad } from '@safekey-ts/autograd';

const rand = (seed: number, shape: number[]) => random.normal(random.key(seed), shape, { std: 0.5 });
const bits = (t: Tensor) => Array.from(t.dataSync());

test('jit(valueAndGrad(loss)) replays the forward and backward passes bit-identically', () => {
  const [b, t, d, h] = [2, 4, 8, 2];
  const hd = d / h;
  const x = rand(1, [b, t, d]);
  const targets = fromArray(Int32Array.from({ length: b * t }, (_, i) => i % d), [b, t], 'int32');
  const rope = ropeTables(arange(t), hd);
  const heads = (z: Tensor) => swapAxes(reshape(z, [b, t, h, hd]), 1, 2);
  const params = { norm: rand(2, [d]), wq: rand(3, [d, d]), wk: rand(4, [d, d]), wv: rand(5, [d, d]), up: rand(6, [d, d]) };
  const loss = (p: typeof params) => {
    const n = rmsNorm(x, p.norm);
    const q = applyRope(heads(matmul(n, p.wq)), rope), k = applyRope(heads(matmul(n, p.wk)), rope), v = heads(matmul(n, p.wv));
    const att = matmul(softmax(maskScores(mul(matmul(q, k, { transB: true }), 1 / Math.sqrt(hd)), causalMask(t))), v);
    const y = add(x, silu(matmul(reshape(swapAxes(att, 1, 2), [b, t, d]), p.up)));
    return crossEntropy(y, targets);
  };
  const eager = valueAndGrad(loss);
  const step = jit(valueAndGrad(loss));
  step(params);
  const [v1, g1] = step(params);
  const [v0, g0] = eager(params);
  assert.deepEqual(bits(v1), bits(v0));
  for (const l of leaves(g0)) assert.deepEqual(bits(leaves(g1).find((m) => m.path === l.path)!.tensor), bits(l.tensor), l.path);
  assert.ok(step.stats().kernels < step.stats().recordedOps, `fusion reduced ${step.stats().recordedOps} ops to ${step.stats().kernels} kernels`);
});

test('grad of a jitted function differentiates through it (it runs eagerly under the tape)', () => {
  const f = jit((x: Tensor) => sum(mul(tanh(x), x)));
  const x = rand(7, [5]);
  f(x); f(x);
  const g = grad(f)(x);
  const expected = grad((y: Tensor) => sum(mul(tanh(y), y)))(x);
  assert.deepEqual(bits(g), bits(expected));
});
