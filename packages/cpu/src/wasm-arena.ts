// The wasm path's allocator: every array of the backend lives in the WebAssembly memory, so the wasm kernels
// (products, the element-wise VM) read and write tensors where they are, with no copy in or out.
//
// Blocks come in size classes (four per doubling, 64-byte aligned) and go back to a free list of their class
// when a tensor is freed; an array the program drops without freeing goes back when it is garbage collected
// (FinalizationRegistry). The memory only grows (WebAssembly memories cannot shrink); its high-water mark is
// the peak of live arrays plus what the free lists hold.
import { BYTES_PER_ELEMENT, type DType, type TypedArray, TensorError } from '@safekey-ts/core';
import type { Allocator } from './pool.js';

export interface WasmMemory { readonly buffer: SharedArrayBuffer; grow(pages: number): number }

const CTOR = { float32: Float32Array, float64: Float64Array, int32: Int32Array, bool: Uint8Array, bfloat16: Uint16Array };
const PAGE = 65536;
/** Bytes kept readable past the last block: the VM's vector loads may read up to 12 bytes past an array. */
const GUARD = 64;

/** The size class of a block of `bytes`: at least 64, rounded up to a quarter of the power of two below it (< 25% over). */
export function classBytes(bytes: number): number {
  if (bytes <= 64) return 64;
  const q = 2 ** Math.max(6, Math.floor(Math.log2(bytes)) - 2);
  return Math.ceil(bytes / q) * q;
}

export class WasmArena implements Allocator {
  readonly #free = new Map<number, number[]>();
  readonly #buffers = new Set<SharedArrayBuffer>();
  readonly #finalizer = new FinalizationRegistry<{ addr: number; size: number }>(({ addr, size }) => this.#push(addr, size));
  #top: number;
  #held = 0;
  hits = 0;
  misses = 0;

  /** Blocks are carved from `memory` above byte `base` (below it: the kernels' scratch and job areas). */
  constructor(readonly memory: WasmMemory, base: number) {
    this.#top = Math.ceil(base / 64) * 64;
    this.#ensure(this.#top + GUARD);
  }

  #ensure(end: number): void {
    const have = this.memory.buffer.byteLength;
    if (end > have) {
      try { this.memory.grow(Math.ceil((end - have) / PAGE)); } catch (e) {
        throw new TensorError({
          kind: 'OutOfMemory', op: 'alloc',
          message: `cpu backend (wasm): the wasm memory cannot grow to ${(end / 2 ** 20).toFixed(0)} MiB `
            + `(${(have / 2 ** 20).toFixed(0)} MiB in use or free for reuse, 4096 MiB at most): ${(e as Error).message}`,
        });
      }
    }
    this.#buffers.add(this.memory.buffer);
  }

  #push(addr: number, size: number): void {
    let list = this.#free.get(size);
    if (!list) { list = []; this.#free.set(size, list); }
    list.push(addr);
    this.#held += size;
  }

  readonly alloc = (dtype: DType, n: number, zeroed = false): TypedArray => {
    const size = classBytes(n * BYTES_PER_ELEMENT[dtype]);
    let addr = this.#free.get(size)?.pop();
    if (addr !== undefined) { this.hits++; this.#held -= size; }
    else {
      addr = this.#top;
      this.#ensure(addr + size + GUARD); // throws before anything changes
      this.#top = addr + size;
      this.misses++;
    }
    const a = new CTOR[dtype](this.memory.buffer as unknown as ArrayBuffer, addr, n);
    if (zeroed) a.fill(0);
    this.#finalizer.register(a, { addr, size }, a);
    return a;
  };

  readonly release = (a: TypedArray): void => {
    if (!this.owns(a)) return;
    this.#finalizer.unregister(a);
    this.#push(a.byteOffset, classBytes(a.byteLength));
  };

  /** Whether `a` is a view of this memory (its byte offset is then its address in the wasm kernels). */
  owns(a: TypedArray): boolean { return this.#buffers.has(a.buffer as SharedArrayBuffer); }

  /** Bytes held in the free lists for reuse. */
  get bytes(): number { return this.#held; }
  /** The end of the highest block handed out so far. */
  get top(): number { return this.#top; }
}
