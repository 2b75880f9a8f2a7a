// Loads the N-API addon (native/*.cc over oneDNN) that `npm ci` builds; reports why when it cannot.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { TypedArray } from '@safekey-ts/core';
import type { GemmEngine } from './matmul.js';

export interface NativeAddon {
  sgemm(ta: boolean, tb: boolean, m: number, n: number, k: number, A: Float32Array, B: Float32Array, C: Float32Array, offA: Int32Array, offB: Int32Array): void;
  sgemmBf16B(tb: boolean, m: number, n: number, k: number, A: Float32Array, B: Uint16Array, C: Float32Array): void;
  setThreads(n: number): number;
  info(): { dnnl: string; runtime: string; maxThreads: number; procs: number };
  ewise(prog: Int32Array, consts: Float64Array, nregs: number, result: number, shape: Int32Array, out: TypedArray,
    outOff: number, outStrides: Int32Array, inputs: readonly TypedArray[], inOffs: Int32Array, inStrides: Int32Array, floatMode: boolean,
    reduce?: 0 | 1 | 2): void;
  reduce(max: boolean, x: TypedArray, shape: Int32Array, xStrides: Int32Array, oStrides: Int32Array, acc: Float64Array): void;
  attention(scale: number, q: Float32Array, k: Float32Array, v: Float32Array, mask: Uint8Array, g: Float32Array | null, out: Float32Array,
    offsets: Int32Array, dims: Int32Array, groups: Int32Array | null): void;
  rope(x: Float32Array, cos: Float32Array, sin: Float32Array, out: Float32Array, shape: Int32Array, cosStrides: Int32Array, sinStrides: Int32Array): void;
}

/** Where `scripts/build.mjs` puts the addon (src/ and dist/ are both one level below the package root). */
export const addonPath = fileURLToPath(new URL('../native/build/Release/safekey_cpu.node', import.meta.url));

let loaded: { addon: NativeAddon } | { error: string } | undefined;

/** The addon, or why it is not available. Loaded once per process; SAFEKEY_CPU_DISABLE_NATIVE=1 pretends it is missing. */
export function loadNative(): { addon: NativeAddon } | { error: string } {
  if (loaded) return loaded;
  if (process.env.SAFEKEY_CPU_DISABLE_NATIVE) {
    loaded = { error: 'native path disabled by SAFEKEY_CPU_DISABLE_NATIVE' };
  } else if (!existsSync(addonPath)) {
    loaded = { error: `native addon not built (${addonPath} missing: see the install log of scripts/build.mjs)` };
  } else {
    try {
      // OpenMP defaults that suit a Node process, unless the user set them (libgomp reads them when the addon
      // loads it, now; they are removed again afterwards so that child processes do not inherit them):
      // - GOMP_SPINCOUNT=10000: idle threads spin briefly, not libgomp's 300000 spins, which stall whole
      //   products when other processes keep the cores busy;
      // (the addon pins its worker threads itself, see Placement in native/threads.cc)
      const defaults: Record<string, string> = {};
      if (process.env.OMP_WAIT_POLICY === undefined && process.env.GOMP_SPINCOUNT === undefined) defaults.GOMP_SPINCOUNT = '10000';
      Object.assign(process.env, defaults);
      let raw: NativeAddon;
      try { raw = createRequire(import.meta.url)(addonPath) as NativeAddon; } finally { for (const k of Object.keys(defaults)) delete process.env[k]; }
      // a plain object over the addon's (read-only) functions, so tests can wrap them
      loaded = { addon: { sgemm: raw.sgemm, sgemmBf16B: raw.sgemmBf16B, setThreads: raw.setThreads, info: raw.info, ewise: raw.ewise, reduce: raw.reduce, attention: raw.attention, rope: raw.rope } };
    } catch (e) {
      loaded = { error: `native addon failed to load: ${(e as Error).message.split('\n')[0]}` };
    }
  }
  return loaded;
}

let currentThreads = -1;

/** Sets the addon's (process-wide) OpenMP thread count when it differs from what the caller wants. */
export function useThreads(addon: NativeAddon, threads: number): void {
  if (currentThreads !== threads) { addon.setThreads(threads); currentThreads = threads; }
}

/** oneDNN's sgemm through the addon; the OpenMP thread count is set to `threads` before each call that needs it. */
export function nativeEngine(addon: NativeAddon, threads: number): GemmEngine {
  return {
    name: 'native',
    sgemm(ta, tb, m, n, k, A, B, C, offA, offB) {
      useThreads(addon, threads);
      addon.sgemm(ta, tb, m, n, k, A, B, C, offA, offB);
    },
    sgemmBf16B(tb, m, n, k, A, B, C) {
      useThreads(addon, threads);
      addon.sgemmBf16B(tb, m, n, k, A, B, C);
    },
  };
}
