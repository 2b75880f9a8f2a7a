// The WebAssembly SIMD path: the kernels of wasm/kernels.wat.mjs (assembled at install into
// wasm/out/kernels.wasm) over one shared memory, run by the main thread and a pool of worker threads.
// The backend's arrays live in that memory (wasm-arena.ts), so kernels take their addresses; an operand from
// elsewhere is copied in first.
//
// The pool is driven through a small SharedArrayBuffer with Atomics wait/notify (no message per call): the
// main thread writes the job, bumps a generation counter, works on its own share and waits for the others.
// Workers spin briefly before sleeping, so back-to-back products do not pay a wake-up each. A worker claims
// its share (a compare-and-swap of the generation into its claim word) before running it; a share still
// unclaimed when the main thread is done with its own, it claims and runs itself, so a worker that the OS has
// not scheduled (V8's background compilation competes for the cores while a process warms up) holds nothing up.
// Each thread computes whole rows (or whole batch entries) with the same kernel, so the result does not
// depend on the number of threads.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { type TypedArray, dtypeOfArray } from '@safekey-ts/core';
import type { GemmEngine } from './matmul.js';
import { type WasmMemory, WasmArena } from './wasm-arena.js';

// The few WebAssembly JS API types used here (the ES lib this project compiles against has none).
export interface WasmModule { readonly __wasmModule?: never }
interface WasmApi {
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (m: WasmModule, imports: object) => { readonly exports: unknown };
  Memory: new (d: { initial: number; maximum: number; shared: boolean }) => WasmMemory;
  validate(bytes: Uint8Array): boolean;
}
const WA = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;

export const wasmPath = fileURLToPath(new URL('../wasm/out/kernels.wasm', import.meta.url));
/** The same kernels with relaxed-SIMD multiply-adds in the products (see wasm/kernels.wat.mjs). */
export const wasmRelaxedPath = fileURLToPath(new URL('../wasm/out/kernels-relaxed.wasm', import.meta.url));

/** Which build runs: baseline SIMD, or relaxed SIMD (fused multiply-adds) where the engine has it. */
export type WasmVariant = 'simd' | 'relaxed-simd';

interface Exports {
  gemm(ta: number, tb: number, m: number, n: number, k: number, pA: number, pB: number, pC: number,
    pOffA: number, pOffB: number, t0: number, t1: number, r0: number, r1: number, scratch: number): void;
  /** The element-wise VM: the job's parameters (PARAMS of wasm/ewise.wat.mjs), then item0, item1, scratch. */
  ewise(...args: number[]): void;
  scratchBytes(): number;
  ewiseScratchBytes(): number;
  ewiseBlock(): number;
  /** RoPE rows [r0, r1) (wasm/rope.wat.mjs). */
  rope(x: number, c: number, s: number, o: number, shape: number, cst: number, sst: number, rank: number, r0: number, r1: number, scratch: number): void;
  /** Attention entries (groups) [w0, w1): ATTENTION_PARAMS of wasm/attention.wat.mjs, then w0, w1, pP, scratch. */
  attention(...args: number[]): void;
  mr(): number;
}

/** The JS engine's Math functions the VM calls (the reference backend's own, so the same bits). */
export const mathImports = { log: Math.log, sin: Math.sin, cos: Math.cos, tanh: Math.tanh, pow: Math.pow };

let compiled: { module: WasmModule; variant: WasmVariant } | { error: string } | undefined;

/**
 * The compiled module, or why there is none: the relaxed-SIMD build where this engine validates it (unless
 * SAFEKEY_CPU_WASM_NO_RELAXED=1), else the baseline one. SAFEKEY_CPU_DISABLE_WASM=1 pretends both are missing.
 */
export function loadWasm(): { module: WasmModule; variant: WasmVariant } | { error: string } {
  if (compiled) return compiled;
  if (process.env.SAFEKEY_CPU_DISABLE_WASM) return (compiled = { error: 'wasm path disabled by SAFEKEY_CPU_DISABLE_WASM' });
  if (!WA) return (compiled = { error: 'WebAssembly is not available' });
  if (typeof SharedArrayBuffer === 'undefined') return (compiled = { error: 'SharedArrayBuffer is not available' });
  if (!process.env.SAFEKEY_CPU_WASM_NO_RELAXED && existsSync(wasmRelaxedPath)) {
    const bytes = readFileSync(wasmRelaxedPath);
    if (WA.validate(bytes)) return (compiled = { module: new WA.Module(bytes), variant: 'relaxed-simd' });
  }
  if (!existsSync(wasmPath)) return (compiled = { error: `wasm kernels not built (${wasmPath} missing: run node packages/cpu/scripts/build.mjs)` });
  try {
    compiled = { module: new WA.Module(readFileSync(wasmPath)), variant: 'simd' };
  } catch (e) {
    compiled = { error: `wasm kernels failed to compile (no SIMD or threads support?): ${(e as Error).message}` };
  }
  return compiled;
}

// control block layout (int32 slots)
const GEN = 0, STOP = 2, ERR = 3, KIND = 4, NJOB = 5, NRANGE = 6, JOB = 7; // JOB..: the kernel's job parameters
// per worker w at PER + SLOT*w: its range (up to 4 values), its scratch at +4, the generation whose share was
// claimed last at +5 (by the worker or the main thread) and the last one the worker finished at +6
const JOB_SLOTS = 28, PER = JOB + JOB_SLOTS, SLOT = 8, SCRATCH = 4, CLAIM = 5, DONE = 6;
/** The kernels the pool runs; each takes (...job, ...range, scratch). */
const KERNELS = ['gemm', 'ewise', 'rope', 'attention'] as const;
export type Kernel = (typeof KERNELS)[number];

/** The worker's module: `../src/` from the sources and from dist/ alike (it is plain JS, not compiled). */
const WORKER = new URL('../src/wasm-worker.mjs', import.meta.url);
const LAYOUT = { GEN, STOP, ERR, KIND, NJOB, NRANGE, JOB, PER, SLOT, SCRATCH, CLAIM, DONE };

const align = (p: number) => (p + 63) & ~63;

/** Bytes of the job area (the tables of one kernel call: a gemm's batch offsets, an ewise program and its strides). */
export const JOB_BYTES = 1 << 16;

/**
 * One instance of the kernels over one shared memory: the arena the backend allocates from, the job area,
 * each thread's scratch, and the worker pool that runs a kernel's ranges in parallel.
 */
export class WasmRuntime {
  readonly memory: WasmMemory;
  readonly exports: Exports;
  readonly arena: WasmArena;
  readonly mr: number;
  /** Byte address of the job area. */
  readonly job: number;
  readonly #scratch: number;
  readonly #ctrl: Int32Array;
  #workers: Worker[] = [];
  #sharesRunHere = 0;

  constructor(readonly module: WasmModule, readonly threads: number, readonly variant: WasmVariant = 'simd') {
    this.memory = new WA!.Memory({ initial: 64, maximum: 65536, shared: true });
    this.exports = new WA!.Instance(module, { env: { memory: this.memory }, math: mathImports }).exports as unknown as Exports;
    this.#scratch = align(Math.max(this.exports.scratchBytes(), this.exports.ewiseScratchBytes()));
    this.mr = this.exports.mr();
    this.job = 1024 + this.#scratch * threads;
    this.arena = new WasmArena(this.memory, this.job + JOB_BYTES);
    this.#ctrl = new Int32Array(new SharedArrayBuffer(4 * (PER + SLOT * Math.max(1, threads))));
  }

  /** How many workers' shares this thread has run because their worker had not claimed them yet. */
  get sharesRunHere(): number { return this.#sharesRunHere; }

  /** Thread w's scratch area. */
  scratch(w: number): number { return 1024 + this.#scratch * w; }

  /**
   * Writes tables into the job area one after another (a Float32Array or Float64Array as floats, anything else
   * as int32s) and returns their addresses. One kernel call at a time uses the area.
   */
  tables(...xs: ArrayLike<number>[]): number[] {
    const words = xs.reduce((n, x) => n + x.length, 0);
    if (words > JOB_BYTES >> 2) throw new RangeError(`cpu backend (wasm): ${words} words of tables are more than the job area's ${JOB_BYTES >> 2}`);
    const b = this.memory.buffer, i32 = new Int32Array(b, this.job, words);
    let f32: Float32Array | null = null, at = 0;
    return xs.map((x) => {
      if (x instanceof Float32Array || x instanceof Float64Array) (f32 ??= new Float32Array(b, this.job, words)).set(x, at);
      else i32.set(x, at);
      at += x.length;
      return this.job + 4 * (at - x.length);
    });
  }

  /** `a`'s address in the memory, or -1 when it lives elsewhere. */
  address(a: TypedArray): number { return this.arena.owns(a) ? a.byteOffset : -1; }

  #startWorkers(): void {
    // ~1 ms of spinning before a worker sleeps: a training step's kernels follow each other closer than that,
    // and a wake-up from Atomics.wait costs tens of microseconds (measured: W1 5% faster than with 0.1 ms)
    const spin = 200000;
    for (let id = 1; id < this.threads; id++) {
      const w = new Worker(WORKER, { workerData: { module: this.module, memory: this.memory, ctrlBuf: this.#ctrl.buffer, id, spin, layout: LAYOUT, kernelNames: KERNELS, mathNames: Object.keys(mathImports) } });
      w.unref();
      this.#workers.push(w);
    }
  }

  /**
   * Runs `kernel` with `job` over `ranges` (one per thread, each of the kernel's range length): a single range
   * on this thread; else ranges[0] here and the others on the workers. An empty range is skipped.
   */
  run(kernel: Kernel, job: readonly number[], ranges: readonly (readonly number[])[]): void {
    if (ranges.length === 1) this.#runHere(kernel, job, ranges[0], 0);
    else this.#parallel(kernel, job, ranges);
  }

  /** Thread w's range (skipped when empty), run on this thread. */
  #runHere(kernel: Kernel, job: readonly number[], r: readonly number[], w: number): void {
    if (r[0] < r[1] && (r.length < 4 || r[2] < r[3])) (this.exports[kernel] as (...a: number[]) => void)(...job, ...r, this.scratch(w));
  }

  #parallel(kernel: Kernel, job: readonly number[], ranges: readonly (readonly number[])[]): void {
    if (job.length > JOB_SLOTS) throw new RangeError(`cpu backend (wasm): ${kernel} has ${job.length} job parameters, more than ${JOB_SLOTS}`);
    if (this.#workers.length === 0) this.#startWorkers();
    const ctrl = this.#ctrl, nRange = ranges[0].length;
    ctrl[KIND] = KERNELS.indexOf(kernel);
    ctrl[NJOB] = job.length;
    ctrl[NRANGE] = nRange;
    ctrl.set(job, JOB);
    for (let w = 1; w < this.threads; w++) {
      ctrl.fill(0, PER + SLOT * w, PER + SLOT * w + 4);
      if (ranges[w]) ctrl.set(ranges[w], PER + SLOT * w);
      ctrl[PER + SLOT * w + SCRATCH] = this.scratch(w);
    }
    Atomics.store(ctrl, ERR, 0);
    const gen = (Atomics.add(ctrl, GEN, 1) + 1) | 0;
    Atomics.notify(ctrl, GEN);
    let error: unknown = null;
    try { this.#runHere(kernel, job, ranges[0], 0); } catch (e) { error = e; }
    for (let w = 1; w < this.threads; w++) {
      const at = PER + SLOT * w, claimed = Atomics.load(ctrl, at + CLAIM);
      if (claimed !== gen && Atomics.compareExchange(ctrl, at + CLAIM, claimed, gen) === claimed) {
        // the worker has not started: its share runs here
        this.#sharesRunHere++;
        if (!error && ranges[w]) try { this.#runHere(kernel, job, ranges[w], w); } catch (e) { error = e; }
        continue;
      }
      for (let spins = 0; ;) {
        const done = Atomics.load(ctrl, at + DONE);
        if (done === gen) break;
        if (++spins > 1000) Atomics.wait(ctrl, at + DONE, done, 50);
      }
    }
    if (error) throw error;
    if (Atomics.load(ctrl, ERR)) throw new Error(`cpu backend: a wasm worker failed in ${kernel}`);
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

/** [0, n) split into one range per thread (empty ones included). */
export const split = (n: number, threads: number): [number, number][] =>
  Array.from({ length: threads }, (_, w) => [Math.floor((n * w) / threads), Math.floor((n * (w + 1)) / threads)]);

/** A product below this many flops runs on the calling thread alone (a wake-up costs more). */
const PARALLEL_FLOPS = 2e6;

/** Runs `f` with `xs` as addresses in the memory: arrays from elsewhere are copied into temporary blocks (and `out` back). */
export function withAddresses(rt: WasmRuntime, xs: readonly TypedArray[], out: TypedArray | null, f: (addrs: number[], outAddr: number) => void): void {
  const temps: TypedArray[] = [];
  const place = (a: TypedArray, copy: boolean): number => {
    const at = rt.address(a);
    if (at >= 0) return at;
    const t = rt.arena.alloc(dtypeOfArray(a), a.length);
    if (copy) t.set(a);
    temps.push(t);
    return t.byteOffset;
  };
  try {
    const addrs = xs.map((a) => place(a, true));
    const outAddr = out ? place(out, false) : -1;
    f(addrs, outAddr);
    if (out && rt.address(out) < 0) out.set(temps[temps.length - 1]);
  } finally {
    for (const t of temps) rt.arena.release(t);
  }
}

export class WasmGemm implements GemmEngine {
  readonly name = 'wasm';
  constructor(readonly rt: WasmRuntime) {}

  sgemm(ta: boolean, tb: boolean, m: number, n: number, k: number, A: Float32Array, B: Float32Array, C: Float32Array, offA: Int32Array, offB: Int32Array): void {
    const rt = this.rt, batch = offA.length;
    const threads = 2 * m * n * k * batch < PARALLEL_FLOPS ? 1 : rt.threads;
    withAddresses(rt, [A, B], C, ([pA, pB], pC) => {
      const [pOffA, pOffB] = rt.tables(offA, offB);
      // whole batch entries per thread, or rows in multiples of MR
      const chunk = Math.ceil(m / threads / rt.mr) * rt.mr;
      const ranges = threads === 1 ? [[0, batch, 0, m]]
        : batch >= threads ? split(batch, threads).map(([t0, t1]) => [t0, t1, 0, m])
          : Array.from({ length: threads }, (_, w) => [0, batch, Math.min(m, w * chunk), Math.min(m, (w + 1) * chunk)]);
      rt.run('gemm', [+ta, +tb, m, n, k, pA, pB, pC, pOffA, pOffB], ranges);
    });
  }
}
