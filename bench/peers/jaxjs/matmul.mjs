// fp32 matmul timing server for the benchmark (jax-js peer, wasm device); bench/peers.ts starts it here.
// Usage: node matmul.mjs [--threads N]   (N worker threads through node-compat.mjs; 0 = main thread only)
// Protocol: prints {"ready":true,...}; then per stdin line {"n","reps","warmup"} answers {"times_ms":[...]}.
import * as readline from 'node:readline';
import { useWorkerThreads } from './node-compat.mjs';

const arg = (name, def) => { const i = process.argv.indexOf('--' + name); return i < 0 ? def : process.argv[i + 1]; };
const threads = +arg('threads', 0);
useWorkerThreads(threads);
const { numpy: np, init, defaultDevice, jit, random } = await import('@jax-js/jax');
await init('wasm');
defaultDevice('wasm');
const mm = jit((x, y) => np.matmul(x, y));
const mats = new Map();
console.log(JSON.stringify({ ready: true, device: 'wasm', threads: threads || 1 }));
const once = async (a, b) => { const c = mm(a.ref, b.ref); await c.data(); };
for await (const line of readline.createInterface({ input: process.stdin })) {
  const { n, reps, warmup = 0 } = JSON.parse(line);
  if (!mats.has(n)) mats.set(n, [random.normal(random.key(n), [n, n]), random.normal(random.key(n + 1), [n, n])]);
  const [a, b] = mats.get(n);
  for (let i = 0; i < warmup; i++) await once(a, b);
  const ts = [];
  for (let i = 0; i < reps; i++) { const t0 = performance.now(); await once(a, b); ts.push(performance.now() - t0); }
  console.log(JSON.stringify({ times_ms: ts }));
}
process.exit(0);
