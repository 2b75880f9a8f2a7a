// fp32 matmul timing server for the benchmark (TensorFlow.js peer); bench/peers.ts starts it in this folder.
// Usage: node matmul.mjs --backend wasm|cpu [--threads N]   (N > 1: the threaded build, node-threads.mjs)
// Protocol: prints {"ready":true,...}; then per stdin line {"n","reps","warmup"} answers {"times_ms":[...]}.
import * as readline from 'node:readline';
import * as tf from '@tensorflow/tfjs';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { wasmThreads } from './node-threads.mjs';

const arg = (name, def) => { const i = process.argv.indexOf('--' + name); return i < 0 ? def : process.argv[i + 1]; };
const backend = arg('backend', 'wasm'), threads = +arg('threads', 1);
if (backend === 'wasm' && threads > 1) wasmThreads(threads);
await tf.setBackend(backend);
await tf.ready();
if (tf.getBackend() !== backend) throw new Error(`backend ${backend} did not start`);
const mats = new Map();
console.log(JSON.stringify({ ready: true, tfjs: tf.version.tfjs, backend, threads: backend === 'wasm' ? getThreadsCount() : 1 }));
const once = (a, b) => { const c = tf.matMul(a, b); c.dataSync(); c.dispose(); };
for await (const line of readline.createInterface({ input: process.stdin })) {
  const { n, reps, warmup = 0 } = JSON.parse(line);
  if (!mats.has(n)) mats.set(n, [tf.randomNormal([n, n], 0, 1, 'float32', 1), tf.randomNormal([n, n], 0, 1, 'float32', 2)]);
  const [a, b] = mats.get(n);
  for (let i = 0; i < warmup; i++) once(a, b);
  const ts = [];
  for (let i = 0; i < reps; i++) { const t0 = performance.now(); once(a, b); ts.push(performance.now() - t0); }
  console.log(JSON.stringify({ times_ms: ts }));
}
process.exit(0); // the wasm pthread workers would keep Node alive
