// One W2 / W3 run of this project in a process of its own (bench/w2.ts spawns it), then warm-up steps and
// timed steps; prints one JSON line {"times": [s], "peak_mb", "estimate_mb"} or {"refused": why}. On the wasm
// path (a hard 4 GiB address space) the memory estimate refuses what cannot fit before anything is allocated;
// on the native path the tensors may take 14 GiB of this 24 GiB machine (over the default half; at 17 GiB the
// OS killed a W2-LoRA run at 20 GB resident: pools and the runtime come on top), and the
// memory guard stops a step that would pass it with a TensorError rather than the OS killing the process.
//   node --conditions=development --import tsx bench/w2-proc.ts --workload w2-lora --path native|wasm [--base float32|bfloat16]
//     [--warmup 1] [--steps 3] [--threads 2]
import { readFileSync } from 'node:fs';
import { TensorError, formatBytes, memoryLimit, setMemoryLimit } from '@safekey-ts/core';
import { type CpuPath, cpuBackend } from '@safekey-ts/cpu';
import { type BaseDtype, estimateTrainingMemory } from '@safekey-ts/safekey';
import { WORKLOADS, type WorkloadName, w2Step } from './w2-step.js';

const argv = process.argv.slice(2);
const arg = (name: string, d: string) => { const i = argv.indexOf(`--${name}`); return i < 0 ? d : argv[i + 1]!; };
const hwmMb = () => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? NaN) / 1024;

const w = WORKLOADS[arg('workload', 'w2-lora') as WorkloadName];
const b = cpuBackend({ path: arg('path', 'native') as CpuPath, threads: Number(arg('threads', '2')) });
if (b.path === 'native') setMemoryLimit(14 * 2 ** 30);
const baseDtype = arg('base', 'float32') as BaseDtype;
const need = estimateTrainingMemory(w.config, 'safekey', 1, w.tokens, { ...('lora' in w ? { lora: w.lora, baseDtype } : {}), remat: true }).total, limit = memoryLimit(b);
if (b.path === 'wasm' && need > limit) {
  process.stdout.write(`${JSON.stringify({ refused: `needs about ${formatBytes(need)}, the ${b.path} path may use ${formatBytes(limit)}` })}\n`);
  process.exit(0);
}
const times: number[] = [];
try {
  const step = w2Step(b, w, baseDtype);
  for (let i = 0, n = Number(arg('warmup', '1')); i < n; i++) step();
  for (let i = 0, n = Number(arg('steps', '3')); i < n; i++) {
    const t0 = performance.now();
    step();
    times.push((performance.now() - t0) / 1e3);
  }
} catch (e) {
  if (!(e instanceof TensorError && e.kind === 'OutOfMemory')) throw e;
  process.stdout.write(`${JSON.stringify({ outOfMemory: e.message, peak_mb: +hwmMb().toFixed(1) })}\n`);
  process.exit(0);
}
b.close();
process.stdout.write(`${JSON.stringify({ times, peak_mb: +hwmMb().toFixed(1), estimate_mb: +(need / 2 ** 20).toFixed(1) })}\n`);
process.exit(0);
