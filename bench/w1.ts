// W1 and W1-SK training steps (bench/w1-step.ts), tokens/s: this project's model on the cpu backend's paths
// and the peers' scripts in bench/peers/ with `--variant w1|sk`, every one the same way: each measurement
// is a fresh process (this project's: bench/w1-proc.ts) that runs its warm-up steps, then the timed steps of
// 1024 tokens each (WARMUP and STEPS below, alike for all but TensorFlow.js, whose steps take 1-13 s: it gets
// SLOW_WARMUP). Opt-in (`--bench w1,w1-sk`): a round spawns every implementation, which takes minutes.
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
import { type CpuPath, cpuBackend, wasmRelaxedPath } from '@safekey-ts/cpu';
import type { BenchCase, CaseSource } from './cases.js';
import { type Log, setupPeers } from './peers.js';
import { W1_TOKENS, type W1Variant } from './w1-step.js';

const benchName = (v: W1Variant) => (v === 'w1' ? 'w1' : 'w1-sk');
/**
 * Untimed steps at the start of each process, and timed steps at least. The JavaScript implementations settle
 * slowly while V8 optimises their code in the background (measured, wasm path / jax-js, median ms a step: steps
 * 5-9 135-144 / 282-302, steps 10-29 131 / 273-282, steps 30-59 121 / 265-268; PyTorch and the native path
 * settle within 2), so every implementation warms up for 30 steps and is timed at its steady speed.
 */
const WARMUP = 30, STEPS = 5, SLOW_WARMUP = 5;
const w1Proc = fileURLToPath(new URL('./w1-proc.ts', import.meta.url));

/**
 * This project's W1 (or W1-SK) step on the cpu backend's native and wasm paths (2 threads), and `wasm-relaxed`:
 * the wasm path's relaxed-SIMD build, in a Node started with --experimental-wasm-relaxed-simd (Node 20 has it
 * behind that flag; Node 22+ and current browsers run it by default).
 */
export function ownW1Cases(variants: readonly W1Variant[]): CaseSource {
  const impls: { impl: string; path: CpuPath; node: string[]; wasm?: string }[] = [
    { impl: 'native', path: 'native', node: [] },
    { impl: 'wasm', path: 'wasm', node: [], wasm: 'simd' },
    { impl: 'wasm-relaxed', path: 'wasm', node: ['--experimental-wasm-relaxed-simd'], wasm: 'relaxed-simd' },
  ];
  const cases: BenchCase[] = variants.flatMap((variant) => impls.map(({ impl, path, node, wasm }): BenchCase => ({
    bench: benchName(variant), impl, size: 'B8xT128', unit: 'tokens_per_s', work: W1_TOKENS, external: true,
    async prepare() {
      cpuBackend({ path }).close(); // throws, with the reason, where the path is unavailable
      if (impl === 'wasm-relaxed' && !existsSync(wasmRelaxedPath)) throw new Error('the relaxed-SIMD build was not built');
      if (node.length && spawnSync(process.execPath, [...node, '-e', '0']).status !== 0) throw new Error(`this Node does not take ${node.join(' ')}`);
    },
    async measure(reps) {
      const env: Record<string, string> = impl === 'wasm' ? { SAFEKEY_CPU_WASM_NO_RELAXED: '1' } : {};
      const r = await run(process.execPath, [...node, '--conditions=development', '--import', 'tsx', w1Proc, '--path', path, '--variant', variant,
        '--warmup', String(WARMUP), '--steps', String(Math.max(STEPS, reps))], process.cwd(), env);
      if (wasm && r.wasm_variant !== wasm) throw new Error(`${impl}: ran the ${String(r.wasm_variant)} build, not ${wasm}`);
      return (r.times as number[]).map((s) => s * 1e3);
    },
  })));
  return { cases, close: async () => undefined };
}

/** Runs a W1 script; resolves with the last JSON line it printed. */
export function run(cmd: string, args: string[], cwd: string, env: Record<string, string> = {}): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
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
  const add = (variant: W1Variant, impl: string, where: { dir: string } | { python: string } | { error: string }, cmd: () => [string, string[], string],
    warmup = WARMUP, steps = STEPS) => {
    if ('error' in where) { o.log(`peer ${impl} (${benchName(variant)}): unavailable: ${where.error}`); return; }
    cases.push({
      bench: benchName(variant), impl, size: 'B8xT128', unit: 'tokens_per_s', work: W1_TOKENS, external: true,
      async prepare() { /* each measurement is a fresh process with its own warm-up steps */ },
      async measure(reps) {
        const [c, args, cwd] = cmd();
        const r = await run(c, [...args, '--variant', variant, '--warmup', String(warmup), '--steps', String(Math.max(steps, reps))], cwd);
        return (r.times as number[]).map((s) => s * 1e3);
      },
    });
  };
  const [py, torchDir] = 'python' in env.torch ? [env.torch.python, env.torch.dir] : ['', '.'];
  for (const v of variants) {
    add(v, 'pytorch', env.torch, () => [py, ['w1.py', '--threads', '2'], torchDir]);
    add(v, 'pytorch-1t', env.torch, () => [py, ['w1.py', '--threads', '1'], torchDir]);
    add(v, 'jax-js-wasm', env.jaxjs, () => [process.execPath, ['w1.mjs', '--threads', '2'], 'dir' in env.jaxjs ? env.jaxjs.dir : '.']);
    add(v, 'tfjs-wasm', env.tfjs, () => [process.execPath, ['w1.mjs', '--backend', 'wasm', '--threads', '2'], 'dir' in env.tfjs ? env.tfjs.dir : '.'], SLOW_WARMUP);
    add(v, 'tfjs-cpu', env.tfjs, () => [process.execPath, ['w1.mjs', '--backend', 'cpu'], 'dir' in env.tfjs ? env.tfjs.dir : '.'], 1, 2);
  }
  return { cases, close: async () => undefined };
}
