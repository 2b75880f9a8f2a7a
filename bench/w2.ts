// W2-LoRA, W2-full and W3-LoRA (bench/w2-step.ts; issue 18): tokens/s and peak RSS of one SafeKey step on this
// project's native and wasm paths (and `native-bf16`: the native path with the LoRA base stored in bfloat16) and in
// PyTorch + PEFT (bench/peers/torch/w2.py, the companion package's environment), each run in a fresh process, one
// after another (warm-up 1 step, 3 timed). Opt-in: `--bench w2`
// (minutes: a 0.5B-parameter model on 2 cores). A workload the memory estimate says cannot fit a path is
// reported as refused, before anything is allocated.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { median } from './cases.js';
import { run } from './w1.js';
import { WORKLOADS, type WorkloadName } from './w2-step.js';

const proc = fileURLToPath(new URL('./w2-proc.ts', import.meta.url));
const peerDir = fileURLToPath(new URL('./peers/torch/', import.meta.url));
const envScript = fileURLToPath(new URL('../python/scripts/python-env.sh', import.meta.url));

export interface W2Row { readonly workload: string; readonly impl: string; readonly tokensPerS?: number; readonly peakMb?: number; readonly note?: string }

export async function w2Bench(log: (l: string) => void, impls: readonly string[]): Promise<W2Row[]> {
  const env = spawnSync('bash', [envScript], { encoding: 'utf8', env: { ...process.env, PIP_RETRIES: '0' } });
  const python = env.status === 0 ? env.stdout.trim().split('\n').pop() : undefined;
  if (!python) log(`pytorch: unavailable: ${env.stderr.trim().split('\n').pop()}`);
  const rows: W2Row[] = [];
  for (const workload of Object.keys(WORKLOADS) as WorkloadName[]) {
    const tokens = WORKLOADS[workload].tokens;
    for (const impl of impls) {
      if (impl === 'pytorch' && !python) continue;
      if (impl === 'native-bf16' && !('lora' in WORKLOADS[workload])) continue; // a full fine-tune trains its base
      log(`w2: ${workload} on ${impl} ...`);
      try {
        const r = impl === 'pytorch'
          ? await run(python!, ['w2.py', '--workload', workload, '--threads', '2'], peerDir)
          : await run(process.execPath, ['--conditions=development', '--import', 'tsx', proc, '--workload', workload,
            ...(impl === 'native-bf16' ? ['--path', 'native', '--base', 'bfloat16'] : ['--path', impl])], process.cwd(),
            impl === 'wasm' ? { SAFEKEY_CPU_WASM_NO_RELAXED: '1' } : {});
        if (typeof r.refused === 'string') rows.push({ workload, impl, note: `refused before starting: ${r.refused}` });
        else if (typeof r.outOfMemory === 'string') rows.push({ workload, impl, peakMb: r.peak_mb as number, note: `stopped by the memory guard: ${r.outOfMemory}` });
        else rows.push({ workload, impl, tokensPerS: tokens / median(r.times as number[]), peakMb: r.peak_mb as number });
      } catch (e) {
        rows.push({ workload, impl, note: `failed: ${(e as Error).message.split('\n')[0]}` });
      }
      log(`  ${JSON.stringify(rows[rows.length - 1])}`);
    }
  }
  return rows;
}
