// The W1 / W1-SK training step in jax-js (@jax-js/jax 0.1.25, wasm device), for the benchmark.
//
//   node w1.mjs [--threads N] [--variant w1|sk] [--warmup 2] [--steps 10] [--check]
//
// --threads N: a pool of N worker threads for the wasm kernels (node-compat.mjs); 0 runs them on the main
// thread. The whole step (loss, gradients and the AdamW update) is one jit-compiled function of the
// parameters, the optimizer moments and the batch; the first call traces and compiles it.
// Output: one JSON line, as ../torch/w1.py prints it ("times" in s, "median", "tok_s", "losses").
// jax-js counts references: a function consumes the arrays it is given, so an array used again is
// passed as `x.ref`; the loss function takes every input by `.ref` and disposes its trees at the end.
import { useWorkerThreads } from './node-compat.mjs';

const flag = (name) => process.argv.includes(`--${name}`);
const option = (name, fallback) => { const i = process.argv.indexOf(`--${name}`); return i < 0 ? fallback : process.argv[i + 1]; };
const variant = option('variant', 'w1');
const check = flag('check');
const threads = Number(option('threads', '0'));
const warmup = check ? 0 : Number(option('warmup', '2'));
const steps = check ? 20 : Number(option('steps', '10'));
if (variant !== 'w1' && variant !== 'sk') throw new Error(`--variant w1|sk, not ${variant}`);

useWorkerThreads(threads);
const { numpy: np, nn, tree, init, defaultDevice, jit, valueAndGrad, blockUntilReady } = await import('@jax-js/jax');

const VOCAB = 512, DIM = 128, LAYERS = 4, HEADS = 4, HEAD_DIM = 32, FFN = 344, BATCH = 8, SEQ = 128;
const NORM_EPS = 1e-5, ROPE_BASE = 10000, PROMPT_END = 32, KEY_START = 40, KEY_END = 60, CONTEXT_END = 40;
const LR = 1e-3, BETA1 = 0.9, BETA2 = 0.95, ADAM_EPS = 1e-8, DECAY = 0.1;
const REFERENCE = { w1: { 0: 6.26332, 19: 4.08097 }, sk: { 0: 7.66197, 19: 4.68802 } }; // step -> loss, every peer
const safekey = variant === 'sk';

// ---- the hashed start: value i of stream `seed` is lowbias32((i + seed * 0x9E3779B9) mod 2^32) ----
function hashStream(seed, count) {
  const offset = Math.imul(seed, 0x9e3779b9) >>> 0, out = new Uint32Array(count);
  for (let i = 0; i < count; i++) {
    let h = (offset + i) >>> 0;
    h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
    h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
    out[i] = (h ^ (h >>> 16)) >>> 0;
  }
  return out;
}
const floats = (values, shape) => np.array(Float32Array.from(values)).reshape(shape);
function hashedWeight(seed, shape) { // uniform, standard deviation 0.02, worked out in doubles
  const halfWidth = 0.02 * Math.sqrt(3);
  return floats(Array.from(hashStream(seed, shape.reduce((a, b) => a * b)), (h) => (2 * (h / 2 ** 32) - 1) * halfWidth), shape);
}

function initialParameters() {
  const layers = [];
  for (let l = 0; l < LAYERS; l++) {
    const s = 10 * (l + 1);
    layers.push({
      wq: hashedWeight(s, [DIM, DIM]), wk: hashedWeight(s + 1, [DIM, DIM]), wv: hashedWeight(s + 2, [DIM, DIM]), wo: hashedWeight(s + 3, [DIM, DIM]),
      wGate: hashedWeight(s + 4, [FFN, DIM]), wUp: hashedWeight(s + 5, [FFN, DIM]), wDown: hashedWeight(s + 6, [DIM, FFN]),
      attnNorm: np.ones([DIM]), mlpNorm: np.ones([DIM]),
    });
  }
  const params = { embed: hashedWeight(1, [VOCAB, DIM]), finalNorm: np.ones([DIM]), layers };
  if (safekey) params.safety = { weight: hashedWeight(90, [1, DIM]), bias: np.zeros([1]) };
  return params;
}

function batchConstants() {
  const tokens = Int32Array.from(hashStream(100, BATCH * SEQ), (h) => h % VOCAB);
  const targets = (first, end) => { // one-hot rows of tokens[:, first:end]
    const rows = BATCH * (end - first), out = new Float32Array(rows * VOCAB);
    for (let b = 0, r = 0; b < BATCH; b++) for (let t = first; t < end; t++, r++) out[r * VOCAB + tokens[b * SEQ + t]] = 1;
    return np.array(out).reshape([rows, VOCAB]);
  };
  const bias = (visible) => {
    const out = new Float32Array(SEQ * SEQ);
    for (let q = 0; q < SEQ; q++) for (let k = 0; k < SEQ; k++) out[q * SEQ + k] = visible(q, k) ? 0 : -1e9;
    return np.array(out).reshape([SEQ, SEQ]);
  };
  // RoPE angles as float32 would make them: frequency, then position x frequency, each rounded
  const cos = new Float32Array(SEQ * HEAD_DIM), sin = new Float32Array(SEQ * HEAD_DIM);
  for (let t = 0; t < SEQ; t++) for (let j = 0; j < HEAD_DIM; j++) {
    const freq = Math.fround(1 / ROPE_BASE ** ((2 * (j % (HEAD_DIM / 2))) / HEAD_DIM));
    const angle = Math.fround(t * freq);
    cos[t * HEAD_DIM + j] = Math.cos(angle);
    sin[t * HEAD_DIM + j] = Math.sin(angle);
  }
  const data = {
    tokens: np.array(tokens, { dtype: np.int32 }).reshape([BATCH, SEQ]),
    cos: np.array(cos).reshape([SEQ, 1, HEAD_DIM]), sin: np.array(sin).reshape([SEQ, 1, HEAD_DIM]),
    causal: bias((q, k) => k <= q),
  };
  if (!safekey) return { ...data, next: targets(1, SEQ) };
  return {
    ...data,
    // pass 2 hides the prompt's keys; prompt queries then see nothing (a uniform row that reaches no loss)
    noPrompt: bias((q, k) => k <= q && k >= PROMPT_END),
    response: targets(PROMPT_END, SEQ), keySpan: targets(KEY_START, KEY_END),
    harmful: floats(Array.from(hashStream(101, BATCH), (h) => h % 2), [BATCH, 1]),
  };
}

// ---- the model; every argument array is taken by .ref, the caller disposes the trees ----
const linear = (x, w) => np.matmul(x, w.ref.transpose()); // w is [out, in]
const rmsNorm = (x, gain) => x.ref.mul(np.reciprocal(np.sqrt(np.square(x).mean(-1, { keepdims: true }).add(NORM_EPS)))).mul(gain.ref);

function rotateHalf(x, d) { // x [B, T, H, hd]
  const first = x.ref.slice([], [], [], [0, HEAD_DIM / 2]), second = x.ref.slice([], [], [], [HEAD_DIM / 2, HEAD_DIM]);
  return x.mul(d.cos.ref).add(np.concatenate([second.neg(), first], -1).mul(d.sin.ref));
}

function decoder(p, d, bias) { // final-norm hidden states [B, T, D]
  let x = np.take(p.embed.ref, d.tokens.ref, 0);
  for (const w of p.layers) {
    const h = rmsNorm(x.ref, w.attnNorm);
    const heads = (y) => y.reshape([BATCH, SEQ, HEADS, HEAD_DIM]);
    const q = rotateHalf(heads(linear(h.ref, w.wq)), d), k = rotateHalf(heads(linear(h.ref, w.wk)), d);
    const attended = nn.dotProductAttention(q, k, heads(linear(h, w.wv)), { bias: bias.ref });
    x = x.add(linear(attended.reshape([BATCH, SEQ, DIM]), w.wo));
    const g = rmsNorm(x.ref, w.mlpNorm);
    x = x.add(linear(nn.silu(linear(g.ref, w.wGate)).mul(linear(g, w.wUp)), w.wDown));
  }
  return rmsNorm(x, p.finalNorm);
}

// mean CE of tokens first..end-1 of each row, each predicted from the state one position earlier
function nextTokenCe(p, hidden, first, end, oneHot) {
  const rows = BATCH * (end - first);
  const logits = linear(hidden.slice([], [first - 1, end - 1]).reshape([rows, DIM]), p.embed); // tied output layer
  return nn.logsumexp(logits.ref, -1).sum().sub(logits.mul(oneHot.ref).sum()).div(rows);
}

function objective(p, d) {
  const hidden = decoder(p, d, d.causal);
  let loss;
  if (!safekey) loss = nextTokenCe(p, hidden, 1, SEQ, d.next);
  else {
    const masked = decoder(p, d, d.noPrompt);
    const logit = linear(hidden.ref.slice([], [0, CONTEXT_END]).mean(1), p.safety.weight).add(p.safety.bias.ref); // [B, 1]
    const bce = nn.softplus(logit.ref).sub(logit.mul(d.harmful.ref)).mean();
    loss = nextTokenCe(p, hidden, PROMPT_END, SEQ, d.response)
      .add(nextTokenCe(p, masked, KEY_START, KEY_END, d.keySpan).mul(0.2))
      .add(bce.mul(0.2));
  }
  tree.dispose(p);
  tree.dispose(d);
  return loss;
}

// AdamW as torch.optim.AdamW: decay, moments, bias-corrected step; `stepSize` = lr / (1 - beta1^t),
// `rootCorrection` = sqrt(1 - beta2^t), both arrays so that the compiled step serves every t
const trainStep = jit((state, data, stepSize, rootCorrection) => {
  const [loss, grads] = valueAndGrad(objective)(tree.ref(state.params), data);
  const update = (p, g, m, v) => {
    const m2 = m.mul(BETA1).add(g.ref.mul(1 - BETA1));
    const v2 = v.mul(BETA2).add(np.square(g).mul(1 - BETA2));
    const denominator = np.sqrt(v2.ref).div(rootCorrection.ref).add(ADAM_EPS);
    const p2 = p.mul(1 - LR * DECAY).sub(m2.ref.div(denominator).mul(stepSize.ref));
    return [p2, m2, v2];
  };
  const [params, gl, ml, vl] = [state.params, grads, state.m, state.v].map((t) => tree.flatten(t));
  const updated = params[0].map((p, i) => update(p, gl[0][i], ml[0][i], vl[0][i]));
  stepSize.dispose(); rootCorrection.dispose();
  const unflat = (k) => tree.unflatten(params[1], updated.map((u) => u[k]));
  return { loss, params: unflat(0), m: unflat(1), v: unflat(2) };
});

await init('wasm');
defaultDevice('wasm');
const params = initialParameters();
let state = { params, m: tree.map((x) => np.zerosLike(x.ref), params), v: tree.map((x) => np.zerosLike(x.ref), params) };
const data = batchConstants();

const losses = [], seconds = [];
for (let t = 1; t <= warmup + steps; t++) {
  const start = performance.now();
  const out = trainStep(state, tree.ref(data), np.array(LR / (1 - BETA1 ** t)), np.array(Math.sqrt(1 - BETA2 ** t)));
  state = { params: out.params, m: out.m, v: out.v };
  await blockUntilReady(state);
  losses.push((await out.loss.data())[0]); // data() consumes the array
  seconds.push((performance.now() - start) / 1e3);
}

const timed = seconds.slice(warmup), sorted = [...timed].sort((a, b) => a - b), n = sorted.length;
const median = n % 2 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
const report = { impl: 'jax-js-wasm', threads: threads || 1, variant, warmup_s: seconds.slice(0, warmup), times: timed,
  min: sorted[0], median, max: sorted[n - 1], tok_s: (BATCH * SEQ) / median, losses };
if (check) {
  const rows = Object.entries(REFERENCE[variant]).map(([step, want]) => {
    const got = losses[Number(step)];
    return { step: Number(step), want, got, ok: got !== undefined && Math.abs(got - want) <= 1e-4 };
  });
  report.check = { ok: rows.every((r) => r.ok), steps: rows };
}
console.log(JSON.stringify(report));
process.exit(report.check && !report.check.ok ? 1 : 0);
