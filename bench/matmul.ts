// fp32 matmul N x N x N: this project's paths in-process (through the public `matmul` op, output freed each
// time) and the peers through their timing servers.
import { type Backend, fromData, matmul, referenceBackend } from '@safekey-ts/core';
import { type CpuPath, cpuBackend } from '@safekey-ts/cpu';
import type { BenchCase, CaseSource } from './cases.js';
import { type Log, PeerServer, setupPeers } from './peers.js';

const flops = (n: number) => 2 * n ** 3;

function randomMatrix(n: number, seed: number): Float32Array {
  const a = new Float32Array(n * n);
  let x = seed * 2654435761 >>> 0;
  for (let i = 0; i < a.length; i++) { x = (Math.imul(x, 1664525) + 1013904223) >>> 0; a[i] = x / 2 ** 32 - 0.5; }
  return a;
}

/** One in-process case on `backend`: `matmul(a, b)` then dispose, synchronously. */
function ownCase(impl: string, n: number, makeBackend: () => Backend, close?: () => void): BenchCase & { close?: () => void } {
  let a: ReturnType<typeof fromData> | null = null, b: ReturnType<typeof fromData> | null = null;
  const once = () => { matmul(a!, b!).dispose(); };
  return {
    bench: 'matmul', impl, size: n, unit: 'gflops', work: flops(n),
    async prepare() {
      const be = makeBackend();
      a = fromData(randomMatrix(n, 1), [n, n], 'float32', be);
      b = fromData(randomMatrix(n, 2), [n, n], 'float32', be);
      const t0 = performance.now();
      do once(); while (performance.now() - t0 < 200);
    },
    async measure(reps) {
      const ts: number[] = [];
      for (let i = 0; i < reps; i++) { const t0 = performance.now(); once(); ts.push(performance.now() - t0); }
      return ts;
    },
    ...(close ? { close } : {}),
  };
}

export interface MatmulOptions {
  readonly sizes: readonly number[];
  readonly peers: boolean;
  readonly log: Log;
}

/** This project's implementations: every cpu path at 2 and 1 threads, and the reference backend (N <= 256). */
export function ownMatmulCases(o: MatmulOptions): CaseSource {
  const backends = new Map<string, ReturnType<typeof cpuBackend>>();
  const get = (path: CpuPath, threads: number) => () => {
    const key = `${path}/${threads}`;
    if (!backends.has(key)) backends.set(key, cpuBackend({ path, threads }));
    return backends.get(key)!;
  };
  const cases: BenchCase[] = [];
  for (const n of o.sizes) {
    cases.push(ownCase('native', n, get('native', 2)), ownCase('native-1t', n, get('native', 1)));
    cases.push(ownCase('wasm', n, get('wasm', 2)), ownCase('wasm-1t', n, get('wasm', 1)));
    cases.push(ownCase('js', n, get('js', 1)));
    if (n <= 256) cases.push(ownCase('reference', n, referenceBackend));
  }
  return { cases, close: async () => { for (const b of backends.values()) b.close(); } };
}

/** The peers' matmul servers; a peer that cannot be set up or started is reported and left out. */
export async function peerMatmulCases(o: MatmulOptions): Promise<CaseSource> {
  const env = setupPeers(o.log);
  const servers: PeerServer[] = [];
  const cases: BenchCase[] = [];
  const add = (impl: string, server: PeerServer | string, maxN = Infinity) => {
    if (typeof server === 'string') { o.log(`peer ${impl}: unavailable: ${server}`); return; }
    servers.push(server);
    let started: Promise<void> | null = null;
    for (const n of o.sizes) {
      if (n > maxN) continue;
      cases.push({
        bench: 'matmul', impl, size: n, unit: 'gflops', work: flops(n), external: true,
        async prepare() {
          started ??= server.startWithRetry(o.log);
          await started;
          // warm-up: at least 2 products and ~0.2 s
          const r = await server.request({ n, reps: 2, warmup: 1 });
          const t = (r.times_ms as number[])[1];
          if (t < 100) await server.request({ n, reps: 0, warmup: Math.ceil(200 / Math.max(t, 0.05)) });
        },
        async measure(reps) { return (await server.request({ n, reps, warmup: 0 })).times_ms as number[]; },
      });
    }
  };
  const torch = 'python' in env.torch ? env.torch : null;
  add('pytorch', torch ? new PeerServer('pytorch', torch.python, ['matmul.py', '--threads', '2'], torch.dir) : (env.torch as { error: string }).error);
  add('pytorch-1t', torch ? new PeerServer('pytorch-1t', torch.python, ['matmul.py', '--threads', '1'], torch.dir) : (env.torch as { error: string }).error);
  const jx = 'dir' in env.jaxjs ? env.jaxjs.dir : null;
  add('jax-js-wasm', jx ? new PeerServer('jax-js-wasm', process.execPath, ['matmul.mjs', '--threads', '2'], jx) : (env.jaxjs as { error: string }).error);
  const tf = 'dir' in env.tfjs ? env.tfjs.dir : null;
  const tfErr = (env.tfjs as { error: string }).error;
  add('tfjs-wasm', tf ? new PeerServer('tfjs-wasm', process.execPath, ['matmul.mjs', '--backend', 'wasm', '--threads', '2'], tf) : tfErr);
  add('tfjs-wasm-1t', tf ? new PeerServer('tfjs-wasm-1t', process.execPath, ['matmul.mjs', '--backend', 'wasm', '--threads', '1'], tf) : tfErr);
  add('tfjs-cpu', tf ? new PeerServer('tfjs-cpu', process.execPath, ['matmul.mjs', '--backend', 'cpu'], tf) : tfErr, 512);
  return { cases, close: async () => { await Promise.all(servers.map((s) => s.close())); } };
}
