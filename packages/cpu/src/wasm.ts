// The WebAssembly SIMD path: the kernels of wasm/kernels.wat.mjs (assembled at install into
// wasm/out/kernels.wasm) over one shared memory, run by the main thread and a pool of worker threads.
//
// The pool is driven through a small SharedArrayBuffer with Atomics wait/notify (no message per call): the
// main thread writes the job, bumps a generation counter, works on its own share and waits for the others.
// Workers spin briefly before sleeping, so back-to-back products do not pay a wake-up each.
// Each thread computes whole rows (or whole batch entries) with the same kernel, so the result does not
// depend on the number of threads.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { GemmEngine } from './matmul.js';

// The few WebAssembly JS API types used here (the ES lib this project compiles against has none).
export interface WasmModule { readonly __wasmModule?: never }
interface WasmMemory { readonly buffer: SharedArrayBuffer; grow(pages: number): number }
interface WasmApi {
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (m: WasmModule, imports: object) => { readonly exports: unknown };
  Memory: new (d: { initial: number; maximum: number; shared: boolean }) => WasmMemory;
}
const WA = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;

export const wasmPath = fileURLToPath(new URL('../wasm/out/kernels.wasm', import.meta.url));

interface Exports {
  gemm(ta: number, tb: number, m: number, n: number, k: number, pA: number, pB: number, pC: number,
    pOffA: number, pOffB: number, t0: number, t1: number, r0: number, r1: number, scratch: number): void;
  scratchBytes(): number;
  mr(): number;
}

let compiled: { module: WasmModule } | { error: string } | undefined;

/** The compiled module, or why there is none. SAFEKEY_CPU_DISABLE_WASM=1 pretends it is missing. */
export function loadWasm(): { module: WasmModule } | { error: string } {
  if (compiled) return compiled;
  if (process.env.SAFEKEY_CPU_DISABLE_WASM) return (compiled = { error: 'wasm path disabled by SAFEKEY_CPU_DISABLE_WASM' });
  if (!WA) return (compiled = { error: 'WebAssembly is not available' });
  if (typeof SharedArrayBuffer === 'undefined') return (compiled = { error: 'SharedArrayBuffer is not available' });
  if (!existsSync(wasmPath)) return (compiled = { error: `wasm kernels not built (${wasmPath} missing: run node packages/cpu/scripts/build.mjs)` });
  try {
    compiled = { module: new WA.Module(readFileSync(wasmPath)) };
  } catch (e) {
    compiled = { error: `wasm kernels failed to compile (no SIMD or threads support?): ${(e as Error).message}` };
  }
  return compiled;
}

// control block layout (int32 slots)
const GEN = 0, DONE = 1, STOP = 2, ERR = 3, JOB = 4; // JOB..JOB+9: ta, tb, m, n, k, pA, pB, pC, pOffA, pOffB
const PER = 16, SLOT = 8; // per worker w: t0, t1, r0, r1, scratch at PER + SLOT*w

const workerSource = `
const { workerData } = require('node:worker_threads');
const { module, memory, ctrlBuf, id, spin } = workerData;
const ctrl = new Int32Array(ctrlBuf);
const { gemm } = new WebAssembly.Instance(module, { env: { memory } }).exports;
let seen = 0;
for (;;) {
  let n = 0;
  while (Atomics.load(ctrl, ${GEN}) === seen) {
    if (++n > spin) { Atomics.wait(ctrl, ${GEN}, seen); n = 0; }
  }
  seen = Atomics.load(ctrl, ${GEN});
  if (Atomics.load(ctrl, ${STOP})) break;
  const w = ${PER} + ${SLOT} * id;
  try {
    if (ctrl[w] < ctrl[w + 1] && ctrl[w + 2] < ctrl[w + 3])
      gemm(ctrl[${JOB}], ctrl[${JOB + 1}], ctrl[${JOB + 2}], ctrl[${JOB + 3}], ctrl[${JOB + 4}], ctrl[${JOB + 5}], ctrl[${JOB + 6}],
        ctrl[${JOB + 7}], ctrl[${JOB + 8}], ctrl[${JOB + 9}], ctrl[w], ctrl[w + 1], ctrl[w + 2], ctrl[w + 3], ctrl[w + 4]);
  } catch (e) {
    Atomics.store(ctrl, ${ERR}, 1);
  }
  Atomics.add(ctrl, ${DONE}, 1);
  Atomics.notify(ctrl, ${DONE});
}
`;

const align = (p: number) => (p + 63) & ~63;

/** A product below this many flops runs on the calling thread alone (a wake-up costs more). */
const PARALLEL_FLOPS = 2e6;

export class WasmGemm implements GemmEngine {
  readonly name = 'wasm';
  readonly #memory: WasmMemory;
  readonly #exports: Exports;
  readonly #ctrl: Int32Array;
  readonly #scratch: number;
  readonly #mr: number;
  #workers: Worker[] = [];
  #f32: Float32Array;
  #i32: Int32Array;

  constructor(readonly module: WasmModule, readonly threads: number) {
    this.#memory = new WA!.Memory({ initial: 64, maximum: 65536, shared: true });
    this.#exports = new WA!.Instance(module, { env: { memory: this.#memory } }).exports as unknown as Exports;
    this.#scratch = align(this.#exports.scratchBytes());
    this.#mr = this.#exports.mr();
    this.#ctrl = new Int32Array(new SharedArrayBuffer(4 * (PER + SLOT * Math.max(1, threads))));
    this.#f32 = new Float32Array(this.#memory.buffer);
    this.#i32 = new Int32Array(this.#memory.buffer);
  }

  #ensure(bytes: number): void {
    const have = this.#memory.buffer.byteLength;
    if (bytes > have) this.#memory.grow(Math.ceil((bytes - have) / 65536));
    if (this.#f32.buffer.byteLength !== this.#memory.buffer.byteLength) {
      this.#f32 = new Float32Array(this.#memory.buffer);
      this.#i32 = new Int32Array(this.#memory.buffer);
    }
  }

  #startWorkers(): void {
    const spin = 20000;
    for (let id = 1; id < this.threads; id++) {
      const w = new Worker(workerSource, { eval: true, workerData: { module: this.module, memory: this.#memory, ctrlBuf: this.#ctrl.buffer, id, spin } });
      w.unref();
      this.#workers.push(w);
    }
  }

  sgemm(ta: boolean, tb: boolean, m: number, n: number, k: number, A: Float32Array, B: Float32Array, C: Float32Array, offA: Int32Array, offB: Int32Array): void {
    const batch = offA.length;
    const threads = 2 * m * n * k * batch < PARALLEL_FLOPS ? 1 : this.threads;
    const base = 1024 + this.#scratch * this.threads;
    const pA = align(base), pB = align(pA + 4 * A.length), pC = align(pB + 4 * B.length);
    const pOffA = align(pC + 4 * C.length), pOffB = align(pOffA + 4 * batch), end = align(pOffB + 4 * batch);
    this.#ensure(end);
    this.#f32.set(A, pA >> 2);
    this.#f32.set(B, pB >> 2);
    this.#i32.set(offA, pOffA >> 2);
    this.#i32.set(offB, pOffB >> 2);
    const gemm = this.#exports.gemm;
    if (threads === 1) {
      gemm(+ta, +tb, m, n, k, pA, pB, pC, pOffA, pOffB, 0, batch, 0, m, 1024);
    } else {
      if (this.#workers.length === 0) this.#startWorkers();
      const ctrl = this.#ctrl;
      const ranges: [number, number, number, number][] = [];
      if (batch >= threads) {
        for (let w = 0; w < threads; w++) ranges.push([Math.floor((w * batch) / threads), Math.floor(((w + 1) * batch) / threads), 0, m]);
      } else {
        const chunk = Math.ceil(m / threads / this.#mr) * this.#mr;
        for (let w = 0; w < threads; w++) ranges.push([0, batch, Math.min(m, w * chunk), Math.min(m, (w + 1) * chunk)]);
      }
      ctrl.set([+ta, +tb, m, n, k, pA, pB, pC, pOffA, pOffB], JOB);
      for (let w = 1; w < threads; w++) ctrl.set([...ranges[w], 1024 + this.#scratch * w], PER + SLOT * w);
      Atomics.store(ctrl, DONE, 0);
      Atomics.store(ctrl, ERR, 0);
      Atomics.add(ctrl, GEN, 1);
      Atomics.notify(ctrl, GEN);
      const [t0, t1, r0, r1] = ranges[0];
      let error: unknown = null;
      try {
        if (t0 < t1 && r0 < r1) gemm(+ta, +tb, m, n, k, pA, pB, pC, pOffA, pOffB, t0, t1, r0, r1, 1024);
      } catch (e) { error = e; }
      const need = threads - 1;
      for (let spins = 0; ;) {
        const done = Atomics.load(ctrl, DONE);
        if (done >= need) break;
        if (++spins > 1000) Atomics.wait(ctrl, DONE, done, 50);
      }
      if (error) throw error;
      if (Atomics.load(ctrl, ERR)) throw new Error('cpu backend: a wasm worker failed in gemm');
    }
    C.set(this.#f32.subarray(pC >> 2, (pC >> 2) + C.length));
  }

  /** Stops the worker threads (they are unref'd, so a process also exits without this). */
  close(): void {
    if (this.#workers.length === 0) return;
    Atomics.store(this.#ctrl, STOP, 1);
    Atomics.add(this.#ctrl, GEN, 1);
    Atomics.notify(this.#ctrl, GEN);
    for (const w of this.#workers) void w.terminate();
    this.#workers = [];
  }
}
