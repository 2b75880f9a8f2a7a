import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type Shape, type Tensor, add, crossEntropy, fromArray, getBackend, jit, leaves, matmul, mul, random, rmsNorm, silu, sum, tidy, zeros } from '@safekey-ts/core';
import { checkpoint, grad, valueAndGrad } from '@safekey-ts/autograd';

const rand = (seed: number, shape: number[]): Tensor => random.normal(random.key(seed), shape, { std: 0.5 });
const bits = (t: Tensor) => Array.from(t.dataSync());

// Two residual blocks (RMSNorm, SwiGLU-like MLP) and a cross-entropy head, each block plain or rematerialised.
const [b, t, d, f] = [2, 3, 8, 12];
const x = rand(1, [b, t, d]);
const targets = fromArray(Int32Array.from({ length: b * t }, (_, i) => (i * 5) % d), [b, t], 'int32');
const layer = (seed: number) => ({ norm: rand(seed, [d]), gate: rand(seed + 1, [d, f]), up: rand(seed + 2, [d, f]), down: rand(seed + 3, [f, d]) });
const params = { layers: [layer(10), layer(20)], out: rand(30, [d, d]) };
type Layer = ReturnType<typeof layer>;
let blockRuns = 0;
const block = (h: Tensor, l: Layer) => {
  blockRuns++;
  const n = rmsNorm(h, l.norm);
  return add(h, matmul(mul(silu(matmul(n, l.gate)), matmul(n, l.up)), l.down));
};
const lossWith = (wrap: (g: typeof block) => typeof block) => (p: typeof params) => {
  const run = wrap(block);
  const h = p.layers.reduce((acc, l) => run(acc, l), x);
  return crossEntropy(matmul(h, p.out) as Tensor<Shape, 'float32'>, targets);
};
const plain = lossWith((g) => g), remat = lossWith((g) => checkpoint(g));

test('checkpoint: the same value and bit-identical gradients as the plain function, eagerly and under jit', () => {
  const [v0, g0] = valueAndGrad(plain)(params);
  blockRuns = 0;
  const [v1, g1] = valueAndGrad(remat)(params);
  assert.equal(blockRuns, 4, 'each block runs once forward and once more in the backward pass');
  assert.deepEqual(bits(v1), bits(v0));
  const [l0, l1] = [leaves(g0), leaves(g1)];
  assert.deepEqual(l1.map((l) => l.path), l0.map((l) => l.path));
  l0.forEach((l, i) => assert.deepEqual(bits(l1[i]!.tensor), bits(l.tensor), l.path));
  const step = jit(valueAndGrad(remat));
  step(params);
  const [v2, g2] = step(params);
  assert.deepEqual(bits(v2), bits(v0));
  leaves(g2).forEach((l, i) => assert.deepEqual(bits(l.tensor), bits(l0[i]!.tensor), l.path));
});

test('checkpoint: inputs without a wanted gradient get none, and nested gradients see through it', () => {
  // only the second block's weights are differentiated: the first block's inputs are constants there
  const onlyOut = (out: Tensor) => remat({ ...params, out });
  assert.deepEqual(bits(grad(onlyOut)(params.out)), bits(grad((out: Tensor) => plain({ ...params, out }))(params.out)));
  // a second derivative through a rematerialised function equals the plain one
  const cube = (z: Tensor) => sum(mul(mul(z, z), z));
  const s = rand(40, [4]), y = rand(41, [4]);
  const outer = (wrap: (g: (z: Tensor) => Tensor) => (z: Tensor) => Tensor) => (sv: Tensor) => sum(grad((yv: Tensor) => wrap(cube)(mul(sv, yv)))(y));
  assert.deepEqual(bits(grad(outer((g) => checkpoint(g)))(s)), bits(grad(outer((g) => g))(s)));
});

test('checkpoint: outside a gradient it is the function itself', () => {
  blockRuns = 0;
  assert.deepEqual(bits(remat(params)), bits(plain(params)));
  assert.equal(blockRuns, 4);
});

test('checkpoint under jit: a rematerialised training step peaks lower than the plain one (the trace holds nothing)', () => {
  const [B, T, D, F, L] = [4, 32, 32, 128, 6];
  const wide = (seed: number) => ({ norm: rand(seed, [D]), gate: rand(seed + 1, [D, F]), up: rand(seed + 2, [D, F]), down: rand(seed + 3, [F, D]) });
  const p = { layers: Array.from({ length: L }, (_, i) => wide(100 + 10 * i)), out: rand(200, [D, D]) };
  const xs = rand(300, [B, T, D]);
  const tg = fromArray(Int32Array.from({ length: B * T }, (_, i) => (i * 7) % D), [B, T], 'int32');
  const loss = (wrap: (g: typeof block) => typeof block) => (q: typeof p) =>
    crossEntropy(matmul(q.layers.reduce((h, l) => wrap(block)(h, l), xs), q.out) as Tensor<Shape, 'float32'>, tg);
  // the backend's peak while one step runs (a ballast above every earlier peak lets each run set its own)
  const peakOf = (f: (q: typeof p) => Tensor) => {
    const step = jit(valueAndGrad(f));
    const b = getBackend();
    const ballast = zeros([Math.ceil(b.memory().peakBytes / 4) + 1]);
    const live = b.memory().liveBytes;
    tidy(() => { step(p); });
    ballast.dispose();
    return b.memory().peakBytes - live;
  };
  const plainPeak = peakOf(loss((g) => g)), rematPeak = peakOf(loss((g) => checkpoint(g)));
  // plain: every layer's activations live until the backward pass; remat: one layer's, and each layer's input
  console.log(`# peaks: plain ${plainPeak}, remat ${rematPeak}`);
  assert.ok(rematPeak < 0.6 * plainPeak, `remat peak ${rematPeak} vs plain ${plainPeak}`);
});
