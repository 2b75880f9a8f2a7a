// Memory of W1 training (`--bench rss`): each cpu path runs 200 W1 steps in a fresh process (bench/w1-proc.ts)
// and reports its resident set: the high-water mark over setup and the first 50 steps, and the growth from
// step 20 (after warm-up, with the buffer pool filled) to step 200, which must stay near zero. Both of those
// are read after a full garbage collection: without it they mostly measure when V8 chose to collect.
import { fileURLToPath } from 'node:url';
import type { CpuPath } from '@safekey-ts/cpu';
import type { Log } from './peers.js';
import { run } from './w1.js';

export interface RssResult { readonly impl: string; readonly peakMb50: number; readonly rssMb20: number; readonly rssMb200: number }

const w1Proc = fileURLToPath(new URL('./w1-proc.ts', import.meta.url));

/** Runs the measurement for each path; a path that fails is reported and skipped. */
export async function rssBench(log: Log, paths: readonly CpuPath[] = ['native', 'wasm'], steps = 200): Promise<RssResult[]> {
  const results: RssResult[] = [];
  for (const path of paths) {
    log(`rss: ${path}, ${steps} W1 steps in a fresh process`);
    try {
      const r = await run(process.execPath, ['--expose-gc', '--conditions=development', '--import', 'tsx', w1Proc, '--path', path, '--warmup', '0',
        '--steps', String(steps), '--peak-at', '50', '--gc-at', `20,${steps}`], process.cwd());
      const rss = r.rss_mb as number[], peak = r.peak_mb as Record<string, number>;
      results.push({ impl: path, peakMb50: peak['50'], rssMb20: rss[19], rssMb200: rss[steps - 1] });
    } catch (e) {
      log(`rss ${path}: failed: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  return results;
}
