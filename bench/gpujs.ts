// gpu.js backend benchmarks per mode: matmul 128-1024, softmax, a fused element-wise chain (fused and
// unfused), one transformer block forward+backward (jit, fused and unfused), and kernel compile time.
// `runGpujsBench(opts)` returns JSON-line records; the CLI prints them (--json) or a table:
//   node --conditions=development --import tsx bench/gpujs.ts [--json] [--quick] [--modes=cpu,webasm,headlessgl]
// Every timing includes reading the result back (a GL or WebGPU queue only finishes when read).
import {
  type Backend, type Tensor, add, exp, fromArray, getBackend, jit, matmul, mul, setBackend, sigmoid, sin, softmax, tanh, tidy,
} from '@safekey-ts/core';
import { valueAndGrad } from '@safekey-ts/autograd';
import { type BlockConfig, blockLoss, initBlock } from '@safekey-ts/core/testing';
import { type GpujsBackend, type RequestedMode, gpujsBackend, probeHeadlessGL } from '@safekey-ts/gpujs';

export interface BenchRecord { bench: string; impl: string; size: string | number; median_ms: number; gflops?: number; note?: string }
export interface BenchOptions { modes?: readonly RequestedMode[]; quick?: boolean; log?: (r: BenchRecord) => void }

const values = (n: number, seed: number) => {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => { s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x9e3779b9) >>> 0; return (s >>> 8) / 2 ** 23 - 1; });
};
const rand = (shape: number[], seed: number) => fromArray(values(shape.reduce((a, b) => a * b, 1), seed), shape, 'float32');

function median(f: () => void, reps: number, maxMs: number): number {
  const ts: number[] = [];
  const start = performance.now();
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    f();
    ts.push(performance.now() - t0);
    if (performance.now() - start > maxMs && ts.length >= 3) break;
  }
  ts.sort((a, b) => a - b);
  return ts[ts.length >> 1];
}

function onBackend<R>(b: Backend, f: () => R): R {
  const prev = getBackend();
  setBackend(b);
  try { return f(); } finally { setBackend(prev); }
}

export const BENCH_BLOCK: BlockConfig = { batch: 4, seq: 32, dim: 64, heads: 4, hidden: 128 };

export function runGpujsBench(opts: BenchOptions = {}): BenchRecord[] {
  const modes = opts.modes ?? (['cpu', 'webasm', ...(probeHeadlessGL().ok ? ['headlessgl' as const] : [])] as RequestedMode[]);
  const out: BenchRecord[] = [];
  const emit = (r: BenchRecord) => { out.push(r); opts.log?.(r); };
  const sizes = opts.quick ? [128, 256] : [128, 256, 512, 1024];
  for (const mode of modes) {
    let b: GpujsBackend;
    try { b = gpujsBackend({ mode, warn: false }); } catch (e) { emit({ bench: 'unavailable', impl: `gpujs-${mode}`, size: '-', median_ms: NaN, note: (e as Error).message }); continue; }
    const impl = `gpujs-${b.mode}`;
    onBackend(b, () => {
      for (const n of sizes) {
        tidy(() => {
          const a = rand([n, n], 1), c = rand([n, n], 2);
          const s0 = b.stats();
          tidy(() => matmul(a, c).dataSync());                        // compile
          const s1 = b.stats();
          emit({ bench: 'kernel compile (matmul, first call incl. one run)', impl, size: n, median_ms: +(s1.compileMs - s0.compileMs).toFixed(2) });
          const reps = n >= 1024 ? 3 : n >= 512 ? 5 : 10;
          const ms = median(() => tidy(() => matmul(a, c).dataSync()), reps, 20000);
          emit({ bench: 'matmul', impl, size: n, median_ms: +ms.toFixed(3), gflops: +(2 * n ** 3 / ms / 1e6).toFixed(3) });
        });
      }
      tidy(() => {
        const x = rand([256, 1024], 3);
        tidy(() => softmax(x).dataSync());
        emit({ bench: 'softmax (eager, 5 kernels)', impl, size: '256x1024', median_ms: +median(() => tidy(() => softmax(x).dataSync()), 10, 5000).toFixed(3) });
        const sm = jit((t: Tensor) => softmax(t));
        tidy(() => sm(x).dataSync());
        emit({ bench: 'softmax (jit, fused)', impl, size: '256x1024', median_ms: +median(() => tidy(() => sm(x).dataSync()), 10, 5000).toFixed(3), note: `${sm.stats().kernels} kernels` });
        const chain = (t: Tensor) => tanh(add(mul(sigmoid(t), 2), sin(exp(mul(t, 0.25)))));
        const on = jit(chain), off = jit(chain, { fuse: false });
        tidy(() => { on(x).dataSync(); off(x).dataSync(); });
        emit({ bench: 'element-wise chain, fused', impl, size: '256x1024', median_ms: +median(() => tidy(() => on(x).dataSync()), 10, 5000).toFixed(3), note: `${on.stats().recordedOps} ops in ${on.stats().kernels} kernel(s)` });
        emit({ bench: 'element-wise chain, unfused', impl, size: '256x1024', median_ms: +median(() => tidy(() => off(x).dataSync()), 10, 5000).toFixed(3), note: `${off.stats().kernels} kernels` });
      });
      const cfg = opts.quick ? { batch: 2, seq: 8, dim: 16, heads: 2, hidden: 32 } : BENCH_BLOCK;
      tidy(() => {
        const p = initBlock(cfg, 1);
        const x = rand([cfg.batch, cfg.seq, cfg.dim], 4), target = rand([cfg.batch, cfg.seq, cfg.dim], 5);
        const step = (q: typeof p, xx: Tensor, tt: Tensor) => valueAndGrad(blockLoss(cfg))(q, xx, tt);
        const read = (r: [Tensor, unknown]) => r[0].dataSync();
        const size = `b${cfg.batch} t${cfg.seq} d${cfg.dim} h${cfg.heads}`;
        emit({ bench: 'transformer block fwd+bwd (eager)', impl, size, median_ms: +median(() => tidy(() => read(step(p, x, target))), 5, 15000).toFixed(2) });
        for (const fuse of [true, false]) {
          const g = jit(step, { fuse });
          const c0 = b.stats();
          tidy(() => read(g(p, x, target)));                      // traces (eager)
          tidy(() => read(g(p, x, target)));                      // first replay compiles the fused kernels
          const c1 = b.stats();
          tidy(() => read(g(p, x, target)));
          const launches = b.stats().kernelRuns - c1.kernelRuns;           // kernel launches of one replay
          const ms = median(() => tidy(() => read(g(p, x, target))), 5, 15000);
          emit({ bench: `transformer block fwd+bwd (jit, fusion ${fuse ? 'on' : 'off'})`, impl, size, median_ms: +ms.toFixed(2),
            note: `${g.stats().kernels} kernels (${g.stats().recordedOps} ops recorded), ${launches} launches a step; ${c1.kernelsCompiled - c0.kernelsCompiled} new kernels compiled in ${(c1.compileMs - c0.compileMs).toFixed(0)} ms` });
        }
      });
      const s = b.stats();
      emit({ bench: 'kernel compile, mean per kernel (whole run)', impl, size: `${s.kernelsCompiled} kernels`, median_ms: +(s.compileMs / Math.max(1, s.kernelsCompiled)).toFixed(2) });
    });
    b.destroy();
  }
  return out;
}

export function formatTable(rs: readonly BenchRecord[]): string {
  const rows = [['bench', 'impl', 'size', 'median ms', 'GFLOP/s', 'note'], ...rs.map((r) => [r.bench, r.impl, String(r.size), String(r.median_ms), r.gflops === undefined ? '' : String(r.gflops), r.note ?? ''])];
  const w = rows[0].map((_, j) => Math.max(...rows.map((r) => r[j].length)));
  return rows.map((r, i) => `| ${r.map((c, j) => c.padEnd(w[j])).join(' | ')} |${i === 0 ? `\n|${w.map((x) => '-'.repeat(x + 2)).join('|')}|` : ''}`).join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const json = process.argv.includes('--json');
  const modesArg = process.argv.find((a) => a.startsWith('--modes='));
  const rs = runGpujsBench({
    quick: process.argv.includes('--quick'),
    ...(modesArg ? { modes: modesArg.slice(8).split(',') as RequestedMode[] } : {}),
    log: json ? (r) => console.log(JSON.stringify(r)) : (r) => process.stderr.write(`${r.impl} ${r.bench} ${r.size}: ${r.median_ms} ms\n`),
  });
  if (!json) console.log(formatTable(rs));
}
