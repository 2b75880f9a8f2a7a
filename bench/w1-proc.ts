// One W1 (or W1-SK) run of this project in a process of its own, as the peers' scripts run: warm-up steps,
// then timed steps; prints one JSON line {"times": [seconds per step], "rss_mb": [resident after each timed
// step], "peak_mb": {"<step>": high-water mark after that step}, "wasm_variant": the wasm build, on that path}. The benchmarks spawn it, so every
// implementation is measured the same way (a fresh process, its own warm-up).
//   node --conditions=development --import tsx bench/w1-proc.ts --path native|wasm|js
//     [--variant w1|sk] [--warmup 2] [--steps 10] [--threads 2] [--peak-at 50] [--gc-at 20,200]
// --gc-at (with node's --expose-gc): a full garbage collection before reading the resident set after those
// steps, so that it counts what is retained, not garbage V8 has not collected yet.
import { readFileSync } from 'node:fs';
import { type CpuPath, cpuBackend } from '@safekey-ts/cpu';
import { type W1Variant, w1Step } from './w1-step.js';

const argv = process.argv.slice(2);
const arg = (name: string, d: string) => { const i = argv.indexOf(`--${name}`); return i < 0 ? d : argv[i + 1]; };

/** Resident memory in MiB, and the high-water mark (Linux's VmHWM; the sampled maximum elsewhere). */
function memory(): { rss: number; hwm: number | null } {
  const rss = process.memoryUsage.rss() / 2 ** 20;
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    return { rss, hwm: m ? Number(m[1]) / 1024 : null };
  } catch {
    return { rss, hwm: null };
  }
}

const b = cpuBackend({ path: arg('path', 'native') as CpuPath, threads: Number(arg('threads', '2')) });
const step = w1Step(b, arg('variant', 'w1') as W1Variant);
const warmup = Number(arg('warmup', '2')), steps = Number(arg('steps', '10')), peakAt = Number(arg('peak-at', '0'));
const gcAt = new Set(arg('gc-at', '').split(',').filter(Boolean).map(Number));
const gc = (globalThis as { gc?: () => void }).gc;
for (let i = 0; i < warmup; i++) step();
const times: number[] = [], rss: number[] = [];
const peak: Record<string, number> = {};
let sampledMax = 0;
for (let i = 1; i <= steps; i++) {
  const t0 = performance.now();
  step();
  times.push((performance.now() - t0) / 1e3);
  if (gcAt.has(i)) gc?.();
  const m = memory();
  rss.push(+m.rss.toFixed(1));
  sampledMax = Math.max(sampledMax, m.rss);
  if (i === peakAt || i === steps) peak[String(i)] = +(m.hwm ?? sampledMax).toFixed(1);
}
b.close();
process.stdout.write(`${JSON.stringify({ times, rss_mb: rss, peak_mb: peak, ...(b.wasmVariant ? { wasm_variant: b.wasmVariant } : {}) })}\n`);
process.exit(0);
