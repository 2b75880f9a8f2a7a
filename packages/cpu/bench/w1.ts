// W1 training step (Llama-style, vocab 512, d 128, 4 layers, batch 8 x 128; forward + backward + AdamW),
// tokens/s: the peers' scripts of ../shared/peers (each timed iteration is one training step of 1024 tokens).
// Opt-in (`--bench w1` or `--bench matmul,w1`): a round spawns each peer for a few steps, which takes minutes.
//
// This project's own W1 entry goes here when the model package exports its training step: a BenchCase with
// unit 'tokens_per_s', work 1024, whose prepare() builds the model and batch on `cpuBackend({ path, threads })`
// and runs two warm-up steps, and whose measure(reps) times `reps` steps.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { BenchCase, CaseSource } from './cases.js';
import { type Log, setupPeers } from './peers.js';

const TOKENS = 8 * 128;

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

export function peerW1Cases(o: { log: Log }): CaseSource {
  const env = setupPeers(o.log);
  const cases: BenchCase[] = [];
  const add = (impl: string, where: { dir: string } | { python: string } | { error: string }, cmd: () => [string, string[], string], warmup = 2) => {
    if ('error' in where) { o.log(`peer ${impl} (w1): unavailable: ${where.error}`); return; }
    cases.push({
      bench: 'w1', impl, size: 'B8xT128', unit: 'tokens_per_s', work: TOKENS, external: true,
      async prepare() { /* each measurement is a fresh process with its own warm-up steps */ },
      async measure(reps) {
        const [c, args, cwd] = cmd();
        const r = await run(c, [...args, '--warmup', String(warmup), '--steps', String(Math.max(2, reps))], cwd);
        return (r.times as number[]).map((s) => s * 1e3);
      },
    });
  };
  const peersDir = 'dir' in env.tfjs ? join(env.tfjs.dir, '..') : 'dir' in env.jaxjs ? join(env.jaxjs.dir, '..') : '';
  const py = 'python' in env.torch ? env.torch.python : '';
  add('pytorch', env.torch, () => [py, ['torch_w1.py', '--threads', '2'], peersDir || '.']);
  add('pytorch-1t', env.torch, () => [py, ['torch_w1.py', '--threads', '1'], peersDir || '.']);
  add('jax-js-wasm', env.jaxjs, () => [process.execPath, ['w1.mjs', '--threads', '2'], 'dir' in env.jaxjs ? env.jaxjs.dir : '.']);
  add('tfjs-wasm', env.tfjs, () => [process.execPath, ['w1.mjs', '--backend', 'wasm', '--threads', '2'], 'dir' in env.tfjs ? env.tfjs.dir : '.']);
  add('tfjs-cpu', env.tfjs, () => [process.execPath, ['w1.mjs', '--backend', 'cpu'], 'dir' in env.tfjs ? env.tfjs.dir : '.'], 1);
  return { cases, close: async () => undefined };
}
