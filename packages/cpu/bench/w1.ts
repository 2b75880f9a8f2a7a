// W1 and W1-SK training steps (bench/w1-step.ts), tokens/s: this project's model on the cpu backend's paths,
// and the peers' scripts of ../shared/peers with `--variant w1|sk`. Each timed iteration is one training step
// of 1024 tokens. Opt-in (`--bench w1,w1-sk`): a round spawns each peer for a few steps, which takes minutes.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { type CpuPath, cpuBackend } from '@safekey-ts/cpu';
import type { BenchCase, CaseSource } from './cases.js';
import { type Log, setupPeers } from './peers.js';
import { W1_TOKENS, type W1Variant, w1Step } from './w1-step.js';

const benchName = (v: W1Variant) => (v === 'w1' ? 'w1' : 'w1-sk');

/** This project's W1 (or W1-SK) step on the cpu backend's native and wasm paths (2 threads). */
export function ownW1Cases(variants: readonly W1Variant[]): CaseSource {
  const backends: ReturnType<typeof cpuBackend>[] = [];
  const cases: BenchCase[] = variants.flatMap((variant) => (['native', 'wasm'] as CpuPath[]).map((path): BenchCase => {
    let step: (() => void) | null = null;
    return {
      bench: benchName(variant), impl: path, size: 'B8xT128', unit: 'tokens_per_s', work: W1_TOKENS,
      async prepare() {
        const b = cpuBackend({ path, threads: 2 });
        backends.push(b);
        step = w1Step(b, variant);
        for (let i = 0; i < 3; i++) step();
      },
      async measure(reps) {
        // as the peers do (--warmup 2 in each process): a step after another process ran finds caches cold,
        // so each round's first step is not timed
        step!();
        const ts: number[] = [];
        for (let i = 0; i < Math.max(3, reps); i++) { const t0 = performance.now(); step!(); ts.push(performance.now() - t0); }
        return ts;
      },
    };
  }));
  return { cases, close: async () => { for (const b of backends) b.close(); } };
}

function run(cmd: string, args: string[], cwd: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    p.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    p.stderr.on('data', (d: Buffer) => { err = (err + d.toString()).slice(-2000); });
    p.on('error', reject);
    p.on('close', (code) => {
      const line = out.split('\n').filter((l) => l.startsWith('{')).pop();
      if (code !== 0 || !line) reject(new Error(`${cmd} ${args.join(' ')} failed (${code}): ${err.trim().split('\n').pop()}`));
      else resolve(JSON.parse(line) as Record<string, unknown>);
    });
  });
}

export function peerW1Cases(o: { log: Log }, variants: readonly W1Variant[]): CaseSource {
  const env = setupPeers(o.log);
  const cases: BenchCase[] = [];
  const add = (variant: W1Variant, impl: string, where: { dir: string } | { python: string } | { error: string }, cmd: () => [string, string[], string], warmup = 2) => {
    if ('error' in where) { o.log(`peer ${impl} (${benchName(variant)}): unavailable: ${where.error}`); return; }
    cases.push({
      bench: benchName(variant), impl, size: 'B8xT128', unit: 'tokens_per_s', work: W1_TOKENS, external: true,
      async prepare() { /* each measurement is a fresh process with its own warm-up steps */ },
      async measure(reps) {
        const [c, args, cwd] = cmd();
        const r = await run(c, [...args, '--variant', variant, '--warmup', String(warmup), '--steps', String(Math.max(2, reps))], cwd);
        return (r.times as number[]).map((s) => s * 1e3);
      },
    });
  };
  const peersDir = 'dir' in env.tfjs ? join(env.tfjs.dir, '..') : 'dir' in env.jaxjs ? join(env.jaxjs.dir, '..') : '';
  const py = 'python' in env.torch ? env.torch.python : '';
  for (const v of variants) {
    add(v, 'pytorch', env.torch, () => [py, ['torch_w1.py', '--threads', '2'], peersDir || '.']);
    add(v, 'pytorch-1t', env.torch, () => [py, ['torch_w1.py', '--threads', '1'], peersDir || '.']);
    add(v, 'jax-js-wasm', env.jaxjs, () => [process.execPath, ['w1.mjs', '--threads', '2'], 'dir' in env.jaxjs ? env.jaxjs.dir : '.']);
    add(v, 'tfjs-wasm', env.tfjs, () => [process.execPath, ['w1.mjs', '--backend', 'wasm', '--threads', '2'], 'dir' in env.tfjs ? env.tfjs.dir : '.']);
    add(v, 'tfjs-cpu', env.tfjs, () => [process.execPath, ['w1.mjs', '--backend', 'cpu'], 'dir' in env.tfjs ? env.tfjs.dir : '.'], 1);
  }
  return { cases, close: async () => undefined };
}
