// Where a W1 (or W1-SK) training step's time goes on the cpu backend: median step time, then time and calls
// per primitive and per fused-kernel kind (SHAPES=1: keyed by shapes too).
//   node --conditions=development --import tsx bench/profile-w1.ts [native|wasm|js] [w1|sk]
// Env: N (timed steps, default 20), WARM (warm-up steps, 30 as in the bench: V8 has settled by then), TOP (rows,
// 30), TH (threads, 2), NOPROF=1 (time only).
import { type CpuPath, cpuBackend } from '@safekey-ts/cpu';
import { W1_TOKENS, type W1Variant, w1Step } from './w1-step.js';

const path = (process.argv[2] ?? 'native') as CpuPath;
const variant = (process.argv[3] ?? 'w1') as W1Variant;
const env = (k: string, d: number) => Number(process.env[k] ?? d);
const b = cpuBackend({ path, threads: env('TH', 2), profile: process.env.NOPROF ? false : process.env.SHAPES ? 'shapes' : true });
const step = w1Step(b, variant);
for (let i = 0; i < env('WARM', 30); i++) step();
b.profile(true);
const N = env('N', 20);
const times: number[] = [];
for (let i = 0; i < N; i++) { const t0 = performance.now(); step(); times.push(performance.now() - t0); }
const ms = times.sort((x, y) => x - y)[N >> 1];
console.log(`${path} ${variant}: median ${ms.toFixed(1)} ms/step, ${(W1_TOKENS / ms * 1000).toFixed(0)} tokens/s`);
if (!process.env.NOPROF) {
  const p = b.profile();
  const total = Object.values(p).reduce((s, v) => s + v.ms, 0);
  console.log(`in kernels: ${(total / N).toFixed(1)} ms/step`);
  for (const [k, v] of Object.entries(p).slice(0, env('TOP', 30))) console.log(`${(v.ms / N).toFixed(2).padStart(7)} ms ${String(v.calls / N).padStart(5)} calls  ${k}`);
}
b.close();
