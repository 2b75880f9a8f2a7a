// W1 training step (Llama-style, vocab 512, d 128, 4 layers, 4 heads, SwiGLU 344, batch 8 x 128; forward +
// backward + AdamW), tokens/s: this project's model (@safekey-ts/safekey's jitted training step, each step in
// `tidy`, replaced tensors freed) on the cpu backend's paths, and the peers' scripts of
// ../shared/peers. Each timed iteration is one training step of 1024 tokens. Opt-in (`--bench w1` or
// `--bench matmul,w1`): a round spawns each peer for a few steps, which takes minutes.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { type Backend, type Tensor, getBackend, random, scalar, setBackend, tensorsIn, tidy } from '@safekey-ts/core';
import { type CpuPath, cpuBackend } from '@safekey-ts/cpu';
import { type LlamaConfig, type SampleSpans, batchTensors, initAdamW, initParams, initSafetyHead, makeBatch, makeSteps } from '@safekey-ts/safekey';
import type { BenchCase, CaseSource } from './cases.js';
import { type Log, setupPeers } from './peers.js';

const B = 8, T = 128, TOKENS = B * T;
const W1: LlamaConfig = {
  vocab_size: 512, hidden_size: 128, intermediate_size: 344, num_hidden_layers: 4, num_attention_heads: 4, num_key_value_heads: 4,
  rms_norm_eps: 1e-5, rope_theta: 10000, max_position_embeddings: 256, tie_word_embeddings: true,
};

/** Frees the tensors of `old` that `kept` does not hold. */
function release(old: unknown, kept: unknown): void {
  const keep = new Set(tensorsIn(kept));
  for (const t of tensorsIn(old)) if (!keep.has(t)) t.dispose();
}

/** This project's W1 step on the cpu backend's native and wasm paths (2 threads). */
export function ownW1Cases(): CaseSource {
  const backends: ReturnType<typeof cpuBackend>[] = [];
  const cases: BenchCase[] = (['native', 'wasm'] as CpuPath[]).map((path) => {
    let be: Backend | null = null;
    let step: (() => void) | null = null;
    const on = <R>(f: () => R): R => { const prev = getBackend(); setBackend(be!); try { return f(); } finally { setBackend(prev); } };
    return {
      bench: 'w1', impl: path, size: 'B8xT128', unit: 'tokens_per_s' as const, work: TOKENS,
      async prepare() {
        const b = cpuBackend({ path, threads: 2 });
        backends.push(b);
        be = b;
        on(() => {
          const u = random.uniformArray(random.key(1), TOKENS);
          const samples: SampleSpans[] = Array.from({ length: B }, (_, i) => ({
            ids: Array.from({ length: T }, (_, j) => Math.floor(u[i * T + j] * W1.vocab_size)), promptEnd: 32, keyStart: 40, keyEnd: 60, harmful: (i % 2) as 0 | 1,
          }));
          const batch = batchTensors(makeBatch(samples));
          let params = { model: initParams(random.key(2), W1), head: initSafetyHead(random.key(3), W1.hidden_size) };
          let opt = initAdamW(params);
          const steps = makeSteps(W1, 'sft', { qmm: 0.2, dpsh: 0.2 }, { beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1 }, undefined);
          // One tidy around gradients and update: it frees the step's tensors but not the constants a jit
          // replay returns (a zero gradient of a parameter the loss does not use is the same tensor every step).
          step = () => on(() => {
            const out = tidy(() => steps.update(params, steps.gradients(params, batch, false)[1], opt, scalar(1e-3) as Tensor));
            release({ params, opt }, out);
            params = out.params; opt = out.state;
            out.norm.dispose();
          });
        });
        for (let i = 0; i < 3; i++) step!();
      },
      async measure(reps) {
        const ts: number[] = [];
        for (let i = 0; i < reps; i++) { const t0 = performance.now(); step!(); ts.push(performance.now() - t0); }
        return ts;
      },
    };
  });
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
