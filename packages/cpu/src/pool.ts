// Recycles the typed arrays of freed tensors. A fresh large typed array costs page faults and zeroing
// (measured here: ~1 ns per float32 element for a 512 KB array, three times the cost of a float32 multiply in
// the addon), and a training step frees and allocates the same sizes over and over. Arrays come back only
// through `free`, so nothing a tensor still references is reused; recycled arrays hold stale values, so a
// kernel that does not overwrite its whole output asks for `zeroed`.
import { type DType, type TypedArray, allocArray, dtypeOfArray } from '@safekey-ts/core';

export type Alloc = (dtype: DType, n: number, zeroed?: boolean) => TypedArray;

/** Where the backend's arrays come from and go back to: this pool, or the wasm path's arena (wasm-arena.ts). */
export interface Allocator {
  readonly alloc: Alloc;
  readonly release: (a: TypedArray) => void;
  /** Bytes held for reuse. */
  readonly bytes: number;
  hits: number;
  misses: number;
}

export class BufferPool implements Allocator {
  readonly #free = new Map<string, TypedArray[]>();
  #bytes = 0;
  /** Allocations served from the pool, and those that were not (for tuning). */
  hits = 0;
  misses = 0;

  /** At most `maxBytes` pooled in all, `perSize` arrays of one dtype and length, arrays of at least `minElems`. */
  constructor(readonly maxBytes = 512 << 20, readonly perSize = 64, readonly minElems = 1024) {}

  readonly alloc: Alloc = (dtype, n, zeroed = false) => {
    if (n >= this.minElems) {
      const list = this.#free.get(`${dtype}:${n}`);
      const a = list?.pop();
      if (a) {
        this.hits++;
        this.#bytes -= a.byteLength;
        if (zeroed) a.fill(0);
        return a;
      }
    }
    if (n >= this.minElems) this.misses++;
    return allocArray(dtype, n);
  };

  readonly release = (a: TypedArray): void => {
    if (a.length < this.minElems || a.byteOffset !== 0 || a.byteLength !== a.buffer.byteLength) return;
    if (this.#bytes + a.byteLength > this.maxBytes) return;
    const key = `${dtypeOfArray(a)}:${a.length}`;
    let list = this.#free.get(key);
    if (!list) { list = []; this.#free.set(key, list); }
    if (list.length >= this.perSize) return;
    list.push(a);
    this.#bytes += a.byteLength;
  };

  /** Bytes held for reuse. */
  get bytes(): number { return this.#bytes; }

  clear(): void { this.#free.clear(); this.#bytes = 0; }
}
