// The main job, for now: trains a small MLP with the tensor DSL and autograd on the reference backend.
// The SafeKey experiment (issue 8) replaces this demo once the model, losses and trainer exist.
import { add, argmax, cast, crossEntropy, eq, fromArray, matmul, mean, mul, random, sub, tanh, type Tensor } from '@safekey-ts/core';
import { noGrad, valueAndGrad } from '@safekey-ts/autograd';

const [kData, kW1, kW2] = random.split(random.key(0), 3);

// Two rings around the origin (inner: class 0, outer: class 1), 200 points.
const n = 200;
const u = random.uniformArray(kData, n);
const xs = new Float32Array(2 * n), ys = new Int32Array(n);
for (let i = 0; i < n; i++) {
  const cls = i % 2, r = cls === 0 ? 0.3 + 0.3 * u[i] : 0.9 + 0.3 * u[i], a = 2 * Math.PI * ((i * 0.618034) % 1);
  xs[2 * i] = r * Math.cos(a); xs[2 * i + 1] = r * Math.sin(a); ys[i] = cls;
}
const x = fromArray(xs, [n, 2], 'float32'), y = fromArray(ys, [n], 'int32');

type Params = { w1: Tensor; b1: Tensor; w2: Tensor; b2: Tensor };
let params: Params = {
  w1: random.normal(kW1, [2, 32], { std: 1 }), b1: fromArray(new Float32Array(32), [32], 'float32'),
  w2: random.normal(kW2, [32, 2], { std: 0.2 }), b2: fromArray(new Float32Array(2), [2], 'float32'),
};
const logits = (p: Params) => add(matmul(tanh(add(matmul(x, p.w1), p.b1)), p.w2), p.b2);
const step = valueAndGrad((p: Params) => crossEntropy(logits(p), y));
const accuracy = (p: Params) => noGrad(() => mean(cast(eq(argmax(logits(p)), y), 'float32')).item());

const t0 = Date.now();
for (let it = 0; it <= 300; it++) {
  const [loss, g] = step(params);
  params = noGrad(() => ({
    w1: sub(params.w1, mul(g.w1, 0.5)), b1: sub(params.b1, mul(g.b1, 0.5)),
    w2: sub(params.w2, mul(g.w2, 0.5)), b2: sub(params.b2, mul(g.b2, 0.5)),
  }));
  if (it % 50 === 0) console.log(`step ${String(it).padStart(3)}  loss ${loss.item().toFixed(4)}  accuracy ${accuracy(params).toFixed(3)}`);
}
console.log(`trained in ${((Date.now() - t0) / 1000).toFixed(1)} s on the reference backend`);
