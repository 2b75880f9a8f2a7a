import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type Tensor, TensorError, add, fromArray, jit, matmul, mean, random, scalar, square, sub, tensor } from '@safekey-ts/core';
import { valueAndGrad } from '@safekey-ts/autograd';
import { ADAMW_DEFAULTS, accumulateGrads, adamwUpdate, checkCosineSchedule, clipByGlobalNorm, cosineLr, globalNorm, initAdamW, meanGrads } from '@safekey-ts/safekey';

const close = (actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string) => {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < actual.length; i++) {
    const d = Math.abs(actual[i]! - expected[i]!);
    assert.ok(d <= tol * Math.max(1, Math.abs(expected[i]!)), `${what}[${i}]: ${actual[i]} vs ${expected[i]} (diff ${d})`);
  }
};
const vals = (t: Tensor) => Array.from(t.dataSync() as Float32Array);

describe('AdamW', () => {
  const cfg = { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1 };
  const lr = scalar(0.1);

  test('two steps by hand: decoupled decay on the matrix only, bias correction, eps added to sqrt(v_hat)', () => {
    let params = { w: tensor([[1, -2]]), b: tensor([0.5]) };
    let state = initAdamW(params);
    // step 1: m = 0.1 g, v = 0.001 g^2, bias corrections 0.1 and 0.001, so m_hat = g, sqrt(v_hat) = |g| and
    // the update is lr * g / (|g| + 1e-8); w first shrinks by 1 - lr * wd = 0.99, b does not decay.
    ({ params, state } = adamwUpdate(params, { w: tensor([[0.5, -1]]), b: tensor([2]) }, state, lr, cfg));
    close(vals(params.w), [0.99 - 0.1 * (0.5 / (0.5 + 1e-8)), -1.98 + 0.1 * (1 / (1 + 1e-8))], 1e-7, 'w after step 1');
    close(vals(params.b), [0.5 - 0.1 * (2 / (2 + 1e-8))], 1e-7, 'b after step 1');
    close(vals(state.m.w), [0.05, -0.1], 1e-7, 'm');
    close(vals(state.v.w), [0.00025, 0.001], 1e-7, 'v');
    assert.equal(state.step.item(), 1);
    // step 2, g_w = [-0.5, 0], g_b = [2]: bias corrections 1 - 0.9^2 = 0.19 and 1 - 0.999^2 = 0.001999.
    // w[0]: m = 0.9*0.05 - 0.05 = -0.005, v = 0.999*0.00025 + 0.00025 = 0.00049975; m_hat = -0.005/0.19, v_hat = 0.25
    //       w = 0.99 * 0.89 - 0.1 * (-0.005/0.19) / (0.5 + 1e-8)
    // w[1]: m = -0.09, v = 0.000999; v_hat = 0.000999/0.001999
    //       w = 0.99 * -1.88 - 0.1 * (-0.09/0.19) / (sqrt(0.000999/0.001999) + 1e-8)
    // b:    m = 0.9*0.2 + 0.2 = 0.38, v = 0.999*0.004 + 0.004 = 0.007996: m_hat = 2, v_hat = 4, b = 0.4 - 0.1 * 2 / (2 + 1e-8)
    ({ params, state } = adamwUpdate(params, { w: tensor([[-0.5, 0]]), b: tensor([2]) }, state, lr, cfg));
    close(vals(params.w), [0.99 * 0.89 + 0.1 * (0.005 / 0.19) / (0.5 + 1e-8), -0.99 * 1.88 + 0.1 * (0.09 / 0.19) / (Math.sqrt(0.000999 / 0.001999) + 1e-8)], 1e-6, 'w after step 2');
    close(vals(params.b), [0.4 - 0.1], 1e-6, 'b after step 2');
    assert.equal(state.step.item(), 2);
  });

  test('matches a straight float64 JS implementation over 6 steps with a changing learning rate', () => {
    const keys = random.split(random.key(3), 20);
    let params = { a: random.normal(keys[0]!, [3, 4]), nested: [{ bias: random.normal(keys[1]!, [4]) }] };
    const js = { a: Float64Array.from(params.a.dataSync()), bias: Float64Array.from(params.nested[0]!.bias.dataSync()) };
    const mom = { a: [new Float64Array(12), new Float64Array(12)], bias: [new Float64Array(4), new Float64Array(4)] };
    let state = initAdamW(params);
    const c = { ...ADAMW_DEFAULTS, weightDecay: 0.05 };
    for (let s = 0; s < 6; s++) {
      const ga = random.normal(keys[2 + 2 * s]!, [3, 4]), gb = random.normal(keys[3 + 2 * s]!, [4]);
      const rate = 0.01 * (s + 1);
      ({ params, state } = adamwUpdate(params, { a: ga, nested: [{ bias: gb }] }, state, scalar(rate), c));
      const t = s + 1;
      for (const [name, g, decays] of [['a', ga, true], ['bias', gb, false]] as const) {
        const p = js[name], [m, v] = mom[name], gd = g.dataSync();
        for (let i = 0; i < p.length; i++) {
          if (decays) p[i]! *= 1 - rate * c.weightDecay;
          m[i] = c.beta1 * m[i]! + (1 - c.beta1) * gd[i]!;
          v[i] = c.beta2 * v[i]! + (1 - c.beta2) * gd[i]! * gd[i]!;
          const mHat = m[i]! / (1 - c.beta1 ** t), vHat = v[i]! / (1 - c.beta2 ** t);
          p[i]! -= rate * mHat / (Math.sqrt(vHat) + c.eps);
        }
      }
    }
    close(vals(params.a), js.a, 2e-6, 'a');
    close(vals(params.nested[0]!.bias), js.bias, 2e-6, 'bias');
  });

  test('weight decay only on tensors of rank >= 2 (a zero gradient leaves only the decay)', () => {
    const params = { embed: tensor([[2, 4]]), norm: tensor([2, 4]) };
    const zero = { embed: tensor([[0, 0]]), norm: tensor([0, 0]) };
    const r = adamwUpdate(params, zero, initAdamW(params), scalar(0.5), { ...ADAMW_DEFAULTS, weightDecay: 0.1 });
    assert.deepEqual(vals(r.params.embed), [2 * Math.fround(1 - Math.fround(0.05)), 4 * Math.fround(1 - Math.fround(0.05))].map(Math.fround));
    assert.deepEqual(vals(r.params.norm), [2, 4]);
  });

  test('under jit the learning rate and step are arguments, not constants: one trace, every step right', () => {
    const params = { w: random.normal(random.key(1), [2, 3]) };
    const grads = { w: random.normal(random.key(2), [2, 3]) };
    const step = jit((p: typeof params, g: typeof grads, s: ReturnType<typeof initAdamW<typeof params>>, lrT: Tensor) => adamwUpdate(p, g, s, lrT));
    let eager = { params, state: initAdamW(params) }, jitted = eager;
    for (const rate of [0.1, 0.3, 0.05]) {
      eager = adamwUpdate(eager.params, grads, eager.state, scalar(rate));
      jitted = step(jitted.params, grads, jitted.state, scalar(rate));
    }
    close(vals(jitted.params.w), vals(eager.params.w), 1e-6, 'jit vs eager');
    assert.equal(jitted.state.step.item(), 3);
    assert.equal(step.stats().traces, 1);
  });

  test('gradients of another structure or shape are a TensorError naming the leaf', () => {
    const params = { a: tensor([1]), b: tensor([[1]]) };
    const state = initAdamW(params);
    assert.throws(() => adamwUpdate(params, { a: tensor([1]) }, state, lr), (e: unknown) => e instanceof TensorError && /grads .*'\(none\)'.*'b'/.test(e.message));
    assert.throws(() => adamwUpdate(params, { a: tensor([1, 2]), b: tensor([[1]]) }, state, lr), (e: unknown) => e instanceof TensorError && /grads\.a and params\.a differ in shape/.test(e.message));
  });
});

describe('cosine schedule with linear warm-up', () => {
  test('hand-computed rates: warm-up from 0, cosine to the floor, flat after the end', () => {
    const s = { peakLr: 1, warmupSteps: 2, totalSteps: 6 };
    const expected = [0, 0.5, 1, 0.5 * (1 + Math.SQRT1_2), 0.5, 0.5 * (1 - Math.SQRT1_2), 0, 0, 0];
    close(expected.map((_, i) => cosineLr(s, i)), expected, 1e-12, 'lr');
    const floor = { peakLr: 2, warmupSteps: 0, totalSteps: 4, minLrRatio: 0.1 };
    // progress 0.5 at step 2: 2 * (0.1 + 0.9 * 0.5)
    close([0, 2, 4, 9].map((i) => cosineLr(floor, i)), [2, 2 * (0.1 + 0.9 * 0.5), 0.2, 0.2], 1e-12, 'lr with floor');
  });
  test('bad schedules are reported', () => {
    assert.equal(checkCosineSchedule({ peakLr: 1e-3, warmupSteps: 10, totalSteps: 100 }), null);
    assert.match(checkCosineSchedule({ peakLr: 1e-3, warmupSteps: 10, totalSteps: 5 }) ?? '', /totalSteps/);
    assert.match(checkCosineSchedule({ peakLr: -1, warmupSteps: 0, totalSteps: 5 }) ?? '', /peakLr/);
  });
});

describe('global-norm clipping', () => {
  test('the norm of all leaves together; scaled by maxNorm / (norm + 1e-6) above maxNorm', () => {
    const grads = { a: tensor([3]), b: [tensor([[4]])] };
    assert.equal(globalNorm(grads).item(), 5);
    const { grads: clipped, norm } = clipByGlobalNorm(grads, 1);
    assert.equal(norm.item(), 5);
    close(vals(clipped.a), [3 / (5 + 1e-6)], 1e-7, 'a');
    close(vals(clipped.b[0]!), [4 / (5 + 1e-6)], 1e-7, 'b');
  });
  test('below maxNorm nothing changes, bit for bit', () => {
    const grads = { a: tensor([0.1, -0.2]), b: tensor([0.3]) };
    const { grads: same } = clipByGlobalNorm(grads, 10);
    assert.deepEqual(vals(same.a), vals(grads.a));
    assert.deepEqual(vals(same.b), vals(grads.b));
  });
});

describe('gradient accumulation', () => {
  // a per-sample mean loss of a linear model
  const x = random.normal(random.key(5), [6, 3]);
  const y = random.normal(random.key(6), [6, 2]);
  const params = { w: random.normal(random.key(7), [3, 2]), b: tensor([0.1, -0.1]) };
  const rows = (t: Tensor, from: number, n: number) => fromArray((t.dataSync() as Float32Array).slice(from * t.shape[1]!, (from + n) * t.shape[1]!), [n, t.shape[1]!], 'float32');
  const gradOn = (from: number, n: number) => valueAndGrad((p: typeof params) => mean(square(sub(add(matmul(rows(x, from, n), p.w), p.b), rows(y, from, n)))))(params)[1];

  test('k equal micro-batches (weight 1 each) equal one big batch', () => {
    const big = gradOn(0, 6);
    let acc;
    for (let k = 0; k < 3; k++) acc = accumulateGrads(acc, gradOn(2 * k, 2));
    const avg = meanGrads(acc!);
    close(vals(avg.w), vals(big.w), 1e-6, 'w');
    close(vals(avg.b), vals(big.b), 1e-6, 'b');
  });
  test('unequal micro-batches weighted by their size equal one big batch', () => {
    const big = gradOn(0, 6);
    let acc;
    for (const [from, n] of [[0, 1], [1, 2], [3, 3]] as const) acc = accumulateGrads(acc, gradOn(from, n), scalar(n));
    assert.equal(acc!.weight.item(), 6);
    const avg = meanGrads(acc!);
    close(vals(avg.w), vals(big.w), 1e-6, 'w');
    close(vals(avg.b), vals(big.b), 1e-6, 'b');
  });
});
