// The W1 / W1-SK training step in TensorFlow.js 4.22 (wasm or cpu backend), for the benchmark.
//
//   node w1.mjs [--backend wasm|cpu] [--threads N] [--nn] [--variant w1|sk] [--warmup 2] [--steps 10] [--check]
//
// --threads N (wasm): N > 1 starts the threaded SIMD build (node-threads.mjs); 1 is the single-threaded one.
// --nn: every matrix product, forward and backward, is a 2-D product of untransposed operands. The wasm
//   backend sends only those to XNNPACK; a product with a transposed operand or a batch dimension runs a
//   slow generic loop there. Without --nn the model is written as a tfjs user would write it.
// The token embedding is a product with one-hot rows: the gradient of tf.gather needs UnsortedSegmentSum,
// which the wasm backend lacks. AdamW is written out (tf.train has Adam without decoupled weight decay).
// Output: one JSON line, as ../torch/w1.py prints it ("times" in s, "median", "tok_s", "losses").
import * as tf from '@tensorflow/tfjs'; // the whole library: the cpu backend and every op's gradient
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { wasmThreads } from './node-threads.mjs';

const flag = (name) => process.argv.includes(`--${name}`);
const option = (name, fallback) => { const i = process.argv.indexOf(`--${name}`); return i < 0 ? fallback : process.argv[i + 1]; };
const backend = option('backend', 'wasm'), variant = option('variant', 'w1'), threads = Number(option('threads', '1'));
const check = flag('check'), twoD = flag('nn');
const warmup = check ? 0 : Number(option('warmup', '2')), steps = check ? 20 : Number(option('steps', '10'));
if (variant !== 'w1' && variant !== 'sk') throw new Error(`--variant w1|sk, not ${variant}`);
const safekey = variant === 'sk';

const VOCAB = 512, DIM = 128, LAYERS = 4, HEADS = 4, HEAD_DIM = 32, FFN = 344, BATCH = 8, SEQ = 128, ROWS = BATCH * SEQ;
const NORM_EPS = 1e-5, ROPE_BASE = 10000, PROMPT_END = 32, KEY_START = 40, KEY_END = 60, CONTEXT_END = 40;
const LR = 1e-3, BETA1 = 0.9, BETA2 = 0.95, ADAM_EPS = 1e-8, DECAY = 0.1;
const REFERENCE = { w1: { 0: 6.26332, 19: 4.08097 }, sk: { 0: 7.66197, 19: 4.68802 } }; // step -> loss, every peer

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
function hashedWeight(seed, shape) { // uniform, standard deviation 0.02, worked out in doubles
  const halfWidth = 0.02 * Math.sqrt(3), h = hashStream(seed, shape.reduce((a, b) => a * b));
  return tf.variable(tf.tensor(Float32Array.from(h, (v) => (2 * (v / 2 ** 32) - 1) * halfWidth), shape));
}

// ---- matrix products: x @ w^T for a weight w [out, in], and the two batched attention products ----
// --nn: `plain` is a 2-D untransposed product whose gradient is made of 2-D untransposed products too
const plain = tf.customGrad((a, b, save) => {
  save([a, b]);
  return { value: tf.matMul(a, b), gradFunc: (dy, [a0, b0]) => [tf.matMul(dy, tf.transpose(b0)), tf.matMul(tf.transpose(a0), dy)] };
});
const products = twoD ? {
  linear: (x, w) => plain(x, tf.transpose(w)),
  embed: (oneHot, table) => plain(oneHot, table),
  // [N, M, K] x [N, K, P] (or [N, P, K] with transposeB) one 2-D product a slice
  batched: (a, b, transposeB) => {
    const bs = tf.unstack(b);
    return tf.stack(tf.unstack(a).map((ai, i) => plain(ai, transposeB ? tf.transpose(bs[i]) : bs[i])));
  },
} : {
  linear: (x, w) => tf.matMul(x, w, false, true),
  embed: (oneHot, table) => tf.matMul(oneHot, table),
  batched: (a, b, transposeB) => tf.matMul(a, b, false, transposeB),
};

// ---- the model, on rows [B*T, D] ----
const rmsNorm = (x, gain) => tf.mul(tf.mul(x, tf.rsqrt(tf.add(tf.mean(tf.square(x), -1, true), NORM_EPS))), gain);

function attention(q, k, v, bias, rope) { // rows [B*T, D] -> rows
  const heads = (x) => tf.reshape(tf.transpose(tf.reshape(x, [BATCH, SEQ, HEADS, HEAD_DIM]), [0, 2, 1, 3]), [BATCH * HEADS, SEQ, HEAD_DIM]);
  const rotate = (x) => { // rotate-half RoPE on [B*H, T, hd]
    const [first, second] = tf.split(x, 2, -1);
    return tf.add(tf.mul(x, rope.cos), tf.mul(tf.concat([tf.neg(second), first], -1), rope.sin));
  };
  const scores = tf.add(tf.mul(products.batched(rotate(heads(q)), rotate(heads(k)), true), 1 / Math.sqrt(HEAD_DIM)), bias);
  const out = products.batched(tf.softmax(scores), heads(v), false); // [B*H, T, hd]
  return tf.reshape(tf.transpose(tf.reshape(out, [BATCH, HEADS, SEQ, HEAD_DIM]), [0, 2, 1, 3]), [ROWS, DIM]);
}

function decoder(p, c, bias) { // final-norm hidden states [B, T, D]
  let x = products.embed(c.tokenRows, p.embed);
  for (const w of p.layers) {
    const h = rmsNorm(x, w.attnNorm);
    x = tf.add(x, products.linear(attention(products.linear(h, w.wq), products.linear(h, w.wk), products.linear(h, w.wv), bias, c), w.wo));
    const g = rmsNorm(x, w.mlpNorm);
    const gate = products.linear(g, w.wGate);
    x = tf.add(x, products.linear(tf.mul(tf.mul(gate, tf.sigmoid(gate)), products.linear(g, w.wUp)), w.wDown));
  }
  return tf.reshape(rmsNorm(x, p.finalNorm), [BATCH, SEQ, DIM]);
}

// mean CE of tokens first..end-1 of each row, each predicted from the state one position earlier
function nextTokenCe(p, hidden, first, end, oneHot) {
  const rows = BATCH * (end - first);
  const logits = products.linear(tf.reshape(tf.slice(hidden, [0, first - 1, 0], [BATCH, end - first, DIM]), [rows, DIM]), p.embed);
  return tf.sub(tf.mean(tf.logSumExp(logits, -1)), tf.div(tf.sum(tf.mul(logits, oneHot)), rows));
}

function objective(p, c) {
  const hidden = decoder(p, c, c.causal);
  if (!safekey) return nextTokenCe(p, hidden, 1, SEQ, c.next);
  const masked = decoder(p, c, c.noPrompt);
  const logit = tf.add(products.linear(tf.mean(tf.slice(hidden, [0, 0, 0], [BATCH, CONTEXT_END, DIM]), 1), p.safety.weight), p.safety.bias); // [B, 1]
  const bce = tf.mean(tf.sub(tf.softplus(logit), tf.mul(logit, c.harmful)));
  return tf.addN([nextTokenCe(p, hidden, PROMPT_END, SEQ, c.response), tf.mul(nextTokenCe(p, masked, KEY_START, KEY_END, c.keySpan), 0.2), tf.mul(bce, 0.2)]);
}

function initialParameters() {
  const layers = [];
  for (let l = 0; l < LAYERS; l++) {
    const s = 10 * (l + 1);
    layers.push({
      wq: hashedWeight(s, [DIM, DIM]), wk: hashedWeight(s + 1, [DIM, DIM]), wv: hashedWeight(s + 2, [DIM, DIM]), wo: hashedWeight(s + 3, [DIM, DIM]),
      wGate: hashedWeight(s + 4, [FFN, DIM]), wUp: hashedWeight(s + 5, [FFN, DIM]), wDown: hashedWeight(s + 6, [DIM, FFN]),
      attnNorm: tf.variable(tf.ones([DIM])), mlpNorm: tf.variable(tf.ones([DIM])),
    });
  }
  const p = { embed: hashedWeight(1, [VOCAB, DIM]), finalNorm: tf.variable(tf.ones([DIM])), layers };
  if (safekey) p.safety = { weight: hashedWeight(90, [1, DIM]), bias: tf.variable(tf.zeros([1])) };
  return p;
}

function constants() {
  const tokens = Int32Array.from(hashStream(100, ROWS), (h) => h % VOCAB);
  const oneHots = (first, end) => { // one-hot rows of tokens[:, first:end]
    const out = new Float32Array(BATCH * (end - first) * VOCAB);
    for (let b = 0, r = 0; b < BATCH; b++) for (let t = first; t < end; t++, r++) out[r * VOCAB + tokens[b * SEQ + t]] = 1;
    return tf.tensor2d(out, [BATCH * (end - first), VOCAB]);
  };
  const bias = (visible) => {
    const out = new Float32Array(SEQ * SEQ);
    for (let q = 0; q < SEQ; q++) for (let k = 0; k < SEQ; k++) out[q * SEQ + k] = visible(q, k) ? 0 : -1e9;
    return tf.tensor2d(out, [SEQ, SEQ]);
  };
  // RoPE angles as float32 would make them: frequency, then position x frequency, each rounded
  const cos = new Float32Array(SEQ * HEAD_DIM), sin = new Float32Array(SEQ * HEAD_DIM);
  for (let t = 0; t < SEQ; t++) for (let j = 0; j < HEAD_DIM; j++) {
    const angle = Math.fround(t * Math.fround(1 / ROPE_BASE ** ((2 * (j % (HEAD_DIM / 2))) / HEAD_DIM)));
    cos[t * HEAD_DIM + j] = Math.cos(angle);
    sin[t * HEAD_DIM + j] = Math.sin(angle);
  }
  const c = { tokenRows: oneHots(0, SEQ), cos: tf.tensor2d(cos, [SEQ, HEAD_DIM]), sin: tf.tensor2d(sin, [SEQ, HEAD_DIM]), causal: bias((q, k) => k <= q) };
  if (!safekey) return { ...c, next: oneHots(1, SEQ) };
  return {
    ...c,
    // pass 2 hides the prompt's keys; prompt queries then see nothing (a uniform row that reaches no loss)
    noPrompt: bias((q, k) => k <= q && k >= PROMPT_END),
    response: oneHots(PROMPT_END, SEQ), keySpan: oneHots(KEY_START, KEY_END),
    harmful: tf.tensor2d(Float32Array.from(hashStream(101, BATCH), (h) => h % 2), [BATCH, 1]),
  };
}

// ---- set up the backend ----
if (backend === 'wasm' && threads > 1) wasmThreads(threads);
if (!(await tf.setBackend(backend))) throw new Error(`tfjs backend ${backend} did not start`);
await tf.ready();
const actualThreads = backend === 'wasm' ? getThreadsCount() : 1;
if (backend === 'wasm' && actualThreads !== threads) throw new Error(`tfjs-wasm runs ${actualThreads} threads, not ${threads}`);

const params = initialParameters();
const c = constants();
const variables = [];
(function collect(node) { for (const v of Object.values(node)) (v instanceof tf.Variable ? variables.push(v) : collect(v)); })(params);
const moments = variables.map((v) => [tf.variable(tf.zerosLike(v)), tf.variable(tf.zerosLike(v))]);

let t = 0;
function trainStep() { // returns the loss (a scalar tensor the caller disposes)
  t += 1;
  const stepSize = LR / (1 - BETA1 ** t), rootCorrection = Math.sqrt(1 - BETA2 ** t);
  return tf.tidy(() => {
    const { value, grads } = tf.variableGrads(() => objective(params, c), variables);
    variables.forEach((p, i) => {
      const g = grads[p.name], [m, v] = moments[i];
      m.assign(tf.add(tf.mul(m, BETA1), tf.mul(g, 1 - BETA1)));
      v.assign(tf.add(tf.mul(v, BETA2), tf.mul(tf.square(g), 1 - BETA2)));
      const denominator = tf.add(tf.div(tf.sqrt(v), rootCorrection), ADAM_EPS);
      p.assign(tf.sub(tf.mul(p, 1 - LR * DECAY), tf.mul(tf.div(m, denominator), stepSize)));
    });
    return value;
  });
}

const losses = [], seconds = [];
for (let i = 0; i < warmup + steps; i++) {
  const start = performance.now();
  const loss = trainStep();
  losses.push(loss.dataSync()[0]);
  loss.dispose();
  seconds.push((performance.now() - start) / 1e3);
}

const timed = seconds.slice(warmup), sorted = [...timed].sort((a, b) => a - b), n = sorted.length;
const median = n % 2 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
const report = { impl: `tfjs-${backend}${twoD ? '-nn' : ''}`, tfjs: tf.version.tfjs, threads: actualThreads, variant,
  warmup_s: seconds.slice(0, warmup), times: timed, min: sorted[0], median, max: sorted[n - 1], tok_s: ROWS / median, losses,
  tensors_alive: tf.memory().numTensors };
if (check) {
  const rows = Object.entries(REFERENCE[variant]).map(([step, want]) => {
    const got = losses[Number(step)];
    return { step: Number(step), want, got, ok: got !== undefined && Math.abs(got - want) <= 1e-4 };
  });
  report.check = { ok: rows.every((r) => r.ok), steps: rows };
}
console.log(JSON.stringify(report));
process.exit(report.check && !report.check.ok ? 1 : 0); // the wasm pthreads would keep Node alive
