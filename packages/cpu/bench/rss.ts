// Memory of W1 training (`--bench rss`): each cpu path in a fresh process runs 200 W1 steps and reports its
// resident set: the peak over the first 50 steps, and the growth from step 20 (after warm-up, with the
// buffer pool filled) to step 200, which must stay near zero. Run as a child: `rss.ts --child <path> <steps>`.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type CpuPath, cpuBackend } from '@safekey-ts/cpu';
import type { Log } from './peers.js';
import { w1Step } from './w1-step.js';

const mb = (bytes: number) => bytes / 2 ** 20;

export interface RssResult { readonly impl: string; readonly peakMb50: number; readonly rssMb20: number; readonly rssMb200: number }

/** In the child: steps with RSS read after each one; prints one JSON line. */
function child(path: CpuPath, steps: number): void {
  const b = cpuBackend({ path, threads: 2 });
  const step = w1Step(b, 'w1');
  const rss: number[] = [];
  let peak50 = 0;
  for (let i = 1; i <= steps; i++) {
    step();
    rss[i] = mb(process.memoryUsage.rss());
    if (i === 50) peak50 = process.resourceUsage().maxRSS / 1024; // kB -> MB
  }
  b.close();
  process.stdout.write(`${JSON.stringify({ peakMb50: peak50, rssMb20: rss[20], rssMb200: rss[steps] })}\n`);
  process.exit(0);
}

/** Runs the child for each path; a path that fails is reported and skipped. */
export function rssBench(log: Log, paths: readonly CpuPath[] = ['native', 'wasm'], steps = 200): RssResult[] {
  const results: RssResult[] = [];
  for (const path of paths) {
    log(`rss: ${path}, ${steps} W1 steps in a fresh process`);
    const r = spawnSync(process.execPath, ['--conditions=development', '--import', 'tsx', fileURLToPath(import.meta.url), '--child', path, String(steps)],
      { encoding: 'utf8', timeout: 1_800_000 });
    const line = r.stdout.split('\n').filter((l) => l.startsWith('{')).pop();
    if (r.status !== 0 || !line) { log(`rss ${path}: failed (${r.status}): ${r.stderr.trim().split('\n').pop()}`); continue; }
    results.push({ impl: path, ...(JSON.parse(line) as Omit<RssResult, 'impl'>) });
  }
  return results;
}

const argv = process.argv.slice(2);
if (argv[0] === '--child') child(argv[1] as CpuPath, Number(argv[2]));
