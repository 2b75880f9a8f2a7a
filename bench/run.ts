// The benchmark runner: `npm run bench [-- --json] [--sizes 128,512] [--impl native,pytorch] [--no-peers]
// [--rounds 5] [--bench matmul,w1,w1-sk,rss,w2,w1-share] [--load N]` (default: matmul; w1 and w1-sk run the peers' training steps,
// minutes; rss measures this project's memory over W1 steps in fresh processes; w2 runs one SafeKey step at
// real model sizes, W2-LoRA, W2-full and W3-LoRA, beside PyTorch + PEFT: many minutes).
//
// Every case is prepared (set up and warmed up) first; then the cases run in interleaved rounds (each round
// visits every case, sizes in order, implementations side by side), so slow drift of the machine hits all of
// them alike. Each round times as many iterations as fit in ~200 ms (at least one); the reported figure is
// the median of all of a case's iterations (at least `rounds`, default 5). Peers that cannot be set up are
// reported and left out. A table goes to stdout, or with --json one JSON object per line:
//   {"bench":"matmul","impl":"native","size":512,"median_ms":1.1,"gflops":240.3,"samples":40}
// (with --json the progress and the table go to stderr).
// To add a benchmark: a module returning a CaseSource (see cases.ts), registered in `sources` below.
import { type BenchCase, type CaseSource, median, rate } from './cases.js';
import { startLoad } from './load.js';
import { ownMatmulCases, peerMatmulCases } from './matmul.js';
import { rssBench } from './rss.js';
import { w1Share } from './share.js';
import { ownW1Cases, peerW1Cases } from './w1.js';
import { w2Bench } from './w2.js';

const argv = process.argv.slice(2);
const flag = (name: string) => argv.includes(`--${name}`);
const opt = (name: string): string | undefined => { const i = argv.indexOf(`--${name}`); return i < 0 ? undefined : argv[i + 1]; };
const json = flag('json');
const sizes = (opt('sizes') ?? '128,256,512,1024').split(',').map(Number);
const implFilter = opt('impl')?.split(',');
const benches = (opt('bench') ?? 'matmul').split(',');
const rounds = Math.max(5, Number(opt('rounds') ?? 5));
const peers = !flag('no-peers');
const load = Number(opt('load') ?? 0);
const log = (msg: string) => { (json ? process.stderr : process.stdout).write(`${msg}\n`); };
const out = (msg: string) => { (json ? process.stderr : process.stdout).write(`${msg}\n`); };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const wanted = (c: BenchCase) => (!implFilter || implFilter.some((f) => c.impl === f || c.impl.startsWith(`${f}-`) || (f.endsWith('*') && c.impl.startsWith(f.slice(0, -1)))))
  && benches.includes(c.bench);

async function main(): Promise<void> {
  const opts = { sizes, peers, log };
  const sources: CaseSource[] = [];
  if (benches.includes('matmul')) {
    sources.push(ownMatmulCases(opts));
    if (peers) sources.push(await peerMatmulCases(opts));
  }
  const variants = (['w1', 'sk'] as const).filter((v) => benches.includes(v === 'w1' ? 'w1' : 'w1-sk'));
  if (variants.length) {
    sources.push(ownW1Cases(variants));
    if (peers) sources.push(peerW1Cases(opts, variants));
  }
  if (!peers) log('peers: skipped (--no-peers)');

  const cases: BenchCase[] = [];
  for (const s of sources) for (const c of s.cases) {
    if (!wanted(c)) continue;
    try {
      await c.prepare();
      cases.push(c);
    } catch (e) {
      log(`${c.impl} ${c.bench} ${c.size}: unavailable: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  // interleaved rounds, sizes in order, implementations side by side
  cases.sort((a, b) => (a.bench === b.bench ? Number(a.size) - Number(b.size) : a.bench < b.bench ? -1 : 1));
  const samples = new Map<BenchCase, number[]>(cases.map((c) => [c, []]));
  if (load > 0) log(`under load: ${load} competing CPU-bound process${load > 1 ? 'es' : ''} while the rounds run`);
  const stopLoad = startLoad(load);
  for (let r = 0; r < rounds; r++) {
    log(`round ${r + 1}/${rounds}`);
    for (const c of cases) {
      const prev = samples.get(c)!;
      const est = prev.length ? median(prev) : Infinity;
      const reps = Math.min(50, Math.max(1, Math.floor(200 / est)));
      try {
        prev.push(...await c.measure(reps));
      } catch (e) {
        log(`${c.impl} ${c.bench} ${c.size}: failed: ${(e as Error).message.split('\n')[0]}`);
        samples.delete(c);
        cases.splice(cases.indexOf(c), 1);
      }
      // let the threads of the case just run stop spinning (OpenMP, XNNPACK and our pools spin a while after
      // work, MKL's Intel OpenMP in PyTorch 200 ms; on 2 cores a spinning thread of another process stalls
      // a 2-thread product of the next case)
      await sleep(c.external ? 300 : 30);
    }
  }
  stopLoad();
  for (const s of sources) await s.close();

  const results = cases.map((c) => {
    const ts = samples.get(c)!, med = median(ts);
    return { c, med, value: rate(c, med), n: ts.length };
  });
  if (json) for (const { c, med, value, n } of results)
    process.stdout.write(`${JSON.stringify({ bench: c.bench, impl: c.impl, size: c.size, median_ms: +med.toFixed(4), [c.unit]: +value.toFixed(3), samples: n, ...(load ? { load } : {}) })}\n`);
  table(results);
  if (benches.includes('rss')) await memory();
  if (benches.includes('w1-share')) shares();
  if (benches.includes('w2')) await realSizes();
}

/** W2-LoRA, W2-full, W3-LoRA (bench/w2.ts): fresh processes, one at a time, after the interleaved benchmarks. */
async function realSizes(): Promise<void> {
  const impls = ['native', 'native-bf16', 'wasm', 'pytorch'].filter((i) => !implFilter || implFilter.includes(i));
  const rows = await w2Bench(log, impls);
  if (json) for (const r of rows) process.stdout.write(`${JSON.stringify({ bench: r.workload, impl: r.impl, tokens_per_s: r.tokensPerS ?? null, peak_rss_mb: r.peakMb ?? null, ...(r.note ? { note: r.note } : {}) })}\n`);
  out('\nSafeKey step at real sizes (tokens/s, peak RSS MiB; one sequence, rematerialised layers, 2 threads)');
  out(['workload'.padEnd(10), 'impl'.padEnd(12), 'tokens/s'.padStart(10), 'peak MiB'.padStart(10), '  vs pytorch'].join(''));
  for (const r of rows) {
    const p = rows.find((x) => x.workload === r.workload && x.impl === 'pytorch');
    const vs = r.impl !== 'pytorch' && p?.tokensPerS && r.tokensPerS ? `  ${((100 * r.tokensPerS) / p.tokensPerS).toFixed(0)}% speed, ${(r.peakMb! / p.peakMb!).toFixed(2)}x memory` : '';
    out([r.workload.padEnd(10), r.impl.padEnd(12), (r.tokensPerS?.toFixed(1) ?? '-').padStart(10), (r.peakMb?.toFixed(0) ?? '-').padStart(10), r.note ? `  ${r.note}` : vs].join(''));
  }
}

/** Where a W1 step's kernel time goes (bench/share.ts), per cpu path, after the timed benchmarks. */
function shares(): void {
  const rows = w1Share(log, (['native', 'wasm'] as const).filter((p) => !implFilter || implFilter.includes(p)));
  if (json) for (const r of rows) process.stdout.write(`${JSON.stringify({ bench: 'w1-share', impl: r.path, step_ms: r.stepMs, kernel_ms: r.kernelMs, elementwise_ms: +r.elementwiseMs.toFixed(2), reduction_ms: +r.reductionMs.toFixed(2), movement_ms: +r.movementMs.toFixed(2) })}\n`);
  out('\nW1 step on the cpu backend: ms per step in kernels by kind (profiled, so a little slower than unprofiled)');
  out(['path'.padEnd(8), 'step'.padStart(8), 'kernels'.padStart(9), 'elementwise'.padStart(13), 'reductions'.padStart(12), 'movement'.padStart(10), '  share e+r'].join(''));
  for (const r of rows) out([r.path.padEnd(8), r.stepMs.toFixed(1).padStart(8), r.kernelMs.toFixed(1).padStart(9), r.elementwiseMs.toFixed(1).padStart(13),
    r.reductionMs.toFixed(1).padStart(12), r.movementMs.toFixed(1).padStart(10), `  ${((100 * (r.elementwiseMs + r.reductionMs)) / r.kernelMs).toFixed(0)}%`].join(''));
}

/** The memory benchmark, after the timed ones (it runs in fresh processes, one path at a time). */
async function memory(): Promise<void> {
  const rows = await rssBench(log, (['native', 'wasm'] as const).filter((p) => !implFilter || implFilter.includes(p)));
  if (json) for (const r of rows) {
    process.stdout.write(`${JSON.stringify({ bench: 'rss', impl: r.impl, size: 'W1 50 steps', peak_rss_mb: +r.peakMb50.toFixed(1) })}\n`);
    process.stdout.write(`${JSON.stringify({ bench: 'rss-growth', impl: r.impl, size: 'W1 steps 20-200', growth_mb: +(r.rssMb200 - r.rssMb20).toFixed(1) })}\n`);
  }
  out('\nrss (MiB): peak over 50 W1 steps; resident at step 20 and step 200');
  out(['impl'.padEnd(14), 'peak 50'.padStart(12), 'step 20'.padStart(12), 'step 200'.padStart(12), 'growth'.padStart(12)].join(''));
  for (const r of rows) out([r.impl.padEnd(14), ...[r.peakMb50, r.rssMb20, r.rssMb200, r.rssMb200 - r.rssMb20].map((v) => v.toFixed(1).padStart(12))].join(''));
}

function table(results: { c: BenchCase; value: number }[]): void {
  for (const bench of [...new Set(results.map((r) => r.c.bench))]) {
    const rows = results.filter((r) => r.c.bench === bench);
    const unit = rows[0].c.unit === 'gflops' ? 'GFLOP/s' : 'tokens/s';
    const sizeList = [...new Set(rows.map((r) => r.c.size))];
    const impls = [...new Set(rows.map((r) => r.c.impl))];
    const at = (impl: string, size: number | string) => rows.find((r) => r.c.impl === impl && r.c.size === size)?.value;
    const w = 12;
    out(`\n${bench} (${unit}, median${load ? `, under ${load} competing CPU-bound process${load > 1 ? 'es' : ''}` : ''})`);
    out(['impl'.padEnd(14), ...sizeList.map((s) => String(s).padStart(w))].join(''));
    for (const impl of impls) out([impl.padEnd(14), ...sizeList.map((s) => { const v = at(impl, s); return (v === undefined ? '-' : v.toFixed(v < 10 ? 2 : 1)).padStart(w); })].join(''));
    if (impls.includes('pytorch')) for (const impl of impls.filter((i) => !i.startsWith('pytorch'))) {
      const ratios = sizeList.map((s) => { const a = at(impl, s), p = at('pytorch', s); return a !== undefined && p ? `${((100 * a) / p).toFixed(0)}%` : '-'; });
      if (impl === 'native' || impl === 'wasm') out([`${impl}/pytorch`.padEnd(14), ...ratios.map((r) => r.padStart(w))].join(''));
    }
  }
}

await main();
process.exit(0); // worker threads of peers or pools must not keep the process alive
