// Batched matmul with transpose flags and batch broadcasting: the shape logic shared by every engine.
//
// A float32 product is handed to an engine (oneDNN, WebAssembly SIMD or JS) as one call over all batch
// entries: `offA[t]` / `offB[t]` are the element offsets of entry t's operands (broadcast entries repeat an
// offset) and C is contiguous. When B is shared by every entry and A is not transposed, the batch is folded
// into the rows of one product ([batch*m, k] x [k, n]), which is one large GEMM instead of many small ones.
// float64 products run in plain JS with the reference's summation order.
import { type TensorInfo, type TypedArray, allocArray, broadcastStrides, sizeOf, widenBfloat16 } from '@safekey-ts/core';
import type { Alloc } from './pool.js';

export interface GemmEngine {
  readonly name: string;
  /** C[t] = op(A @ offA[t]) x op(B @ offB[t]) for every t, float32, row-major. m, n, k > 0. */
  sgemm(ta: boolean, tb: boolean, m: number, n: number, k: number, A: Float32Array, B: Float32Array, C: Float32Array, offA: Int32Array, offB: Int32Array): void;
  /**
   * C = A x op(B) for one product with B stored as bfloat16 bits, computed in float32 (B's values widened a
   * block of columns at a time, so a weight is never held in float32 whole). Engines without it widen B whole.
   */
  sgemmBf16B?(tb: boolean, m: number, n: number, k: number, A: Float32Array, B: Uint16Array, C: Float32Array): void;
}

/** Element offsets of each batch entry's matrix, for batch dims `inBatch` broadcast to `batch`. */
export function batchOffsets(inBatch: readonly number[], batch: readonly number[], matSize: number): Int32Array {
  const n = sizeOf(batch), off = new Int32Array(n);
  if (n <= 1) return off;
  const st = broadcastStrides(inBatch, batch), idx = new Array<number>(batch.length).fill(0);
  for (let t = 0, o = 0; t < n; t++) {
    off[t] = o * matSize;
    for (let d = batch.length - 1; d >= 0; d--) {
      o += st[d];
      if (++idx[d] < batch[d]) break;
      o -= st[d] * batch[d];
      idx[d] = 0;
    }
  }
  return off;
}

export function matmul(engine: GemmEngine, a: TypedArray, aInfo: TensorInfo, b: TypedArray, bInfo: TensorInfo,
  transA: boolean, transB: boolean, out: TensorInfo, alloc: Alloc = allocArray): TypedArray {
  const sa = aInfo.shape, sb = bInfo.shape;
  const m = out.shape[out.shape.length - 2], n = out.shape[out.shape.length - 1];
  const k = transA ? sa[sa.length - 2] : sa[sa.length - 1];
  const batchShape = out.shape.slice(0, -2), batch = sizeOf(batchShape);
  const isF64 = out.dtype === 'float64';
  const C = alloc(out.dtype, batch * m * n, k === 0) as Float32Array | Float64Array;
  if (C.length === 0 || k === 0) return C;
  const aBatch = sa.slice(0, -2), bBatch = sb.slice(0, -2);
  if (a instanceof Uint16Array || b instanceof Uint16Array) {
    // a bfloat16 operand (a stored weight): the engine widens B by blocks where it can, else it is widened whole
    if (engine.sgemmBf16B && a instanceof Float32Array && b instanceof Uint16Array && !transA && sizeOf(bBatch) === 1) {
      engine.sgemmBf16B(transB, batch * m, n, k, a, b, C as Float32Array);
      return C;
    }
    a = widenBfloat16(a); b = widenBfloat16(b);
  }
  if (!transA && sizeOf(bBatch) === 1 && sizeOf(aBatch) === batch && batch > 1) {
    // fold the batch into A's rows
    const zero = new Int32Array(1);
    if (isF64) jsGemm64(false, transB, batch * m, n, k, a as Float64Array, b as Float64Array, C as Float64Array, zero, zero);
    else engine.sgemm(false, transB, batch * m, n, k, a as Float32Array, b as Float32Array, C as Float32Array, zero, zero);
    return C;
  }
  const offA = batchOffsets(aBatch, batchShape, m * k), offB = batchOffsets(bBatch, batchShape, k * n);
  if (isF64) jsGemm64(transA, transB, m, n, k, a as Float64Array, b as Float64Array, C as Float64Array, offA, offB);
  else engine.sgemm(transA, transB, m, n, k, a as Float32Array, b as Float32Array, C as Float32Array, offA, offB);
  return C;
}

type Arr = Float32Array | Float64Array;

/**
 * Plain JS product, accumulating each row of C in float64 with p ascending: the reference backend's order,
 * so float64 results are identical to it and float32 results are its float64 sums rounded once.
 */
function jsGemm(ta: boolean, tb: boolean, m: number, n: number, k: number, A: Arr, B: Arr, C: Arr, offA: Int32Array, offB: Int32Array): void {
  const row = new Float64Array(n);
  // op(B) as a contiguous k x n block, so the inner loop runs over contiguous memory
  const Bt = tb ? new Float64Array(k * n) : null;
  for (let t = 0; t < offA.length; t++) {
    const a0 = offA[t], b0 = offB[t], c0 = t * m * n;
    let bArr: Arr = B, bBase = b0;
    if (Bt) {
      for (let j = 0; j < n; j++) for (let p = 0; p < k; p++) Bt[p * n + j] = B[b0 + j * k + p];
      bArr = Bt; bBase = 0;
    }
    for (let i = 0; i < m; i++) {
      row.fill(0);
      for (let p = 0; p < k; p++) {
        const av = ta ? A[a0 + p * m + i] : A[a0 + i * k + p];
        const bo = bBase + p * n;
        for (let j = 0; j < n; j++) row[j] += av * bArr[bo + j];
      }
      C.set(row, c0 + i * n);
    }
  }
}

export const jsGemm64 = jsGemm;

export const jsEngine: GemmEngine = {
  name: 'js',
  sgemm: (ta, tb, m, n, k, A, B, C, offA, offB) => jsGemm(ta, tb, m, n, k, A, B, C, offA, offB),
};
