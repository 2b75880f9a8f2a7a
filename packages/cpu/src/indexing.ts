// scatterAdd, the adjoint of TF-style gather (with batch dims); gather itself is a kernel (core's indexed read).
//
// With out = [batch..., pre..., axis, post...] and idx = [batch..., rest...], the updates are
// [batch..., pre..., rest..., post...]: for each (b, p, q) the `post` elements of update row (b, p, q) go to
// row idx[b, q] of block (b, p). scatterAdd walks the (b, p, q, post) order of the reference and sums rows
// hit more than once in float64, so its results are identical to the reference backend's.
import { type TensorInfo, type TypedArray, allocArray, checkIndices, sizeOf } from '@safekey-ts/core';
import type { Alloc } from './pool.js';

function layout(xShape: readonly number[], idxShape: readonly number[], axis: number, batchDims: number) {
  return {
    nb: sizeOf(xShape.slice(0, batchDims)),
    pre: sizeOf(xShape.slice(batchDims, axis)),
    size: xShape[axis],
    nq: sizeOf(idxShape.slice(batchDims)),
    post: sizeOf(xShape.slice(axis + 1)),
  };
}

export function scatterAdd(upd: TypedArray, idx: Int32Array, idxInfo: TensorInfo, axis: number, batchDims: number, out: TensorInfo,
  alloc: Alloc = allocArray): TypedArray {
  const { nb, pre, size, nq, post } = layout(out.shape, idxInfo.shape, axis, batchDims);
  const n = sizeOf(out.shape);
  if (upd.length === 0) return alloc(out.dtype, n, true);
  checkIndices('scatterAdd', idx, size);
  // destination row of each update row, in the reference's order
  const dst = new Int32Array(nb * pre * nq);
  let u = 0;
  for (let b = 0; b < nb; b++) for (let p = 0; p < pre; p++) {
    const block = (b * pre + p) * size;
    for (let q = 0; q < nq; q++) dst[u++] = (block + idx[b * nq + q]) * post;
  }
  const hits = new Map<number, number>();
  for (let i = 0; i < dst.length; i++) hits.set(dst[i], (hits.get(dst[i]) ?? 0) + 1);
  if (out.dtype === 'float64') return scatterInto(alloc('float64', n, true) as Float64Array, upd, dst, post);
  // A row hit once is its update rounded once (a copy); only rows hit more than once are summed in float64
  // first, so the result equals the reference's float64 accumulation without a float64 copy of the output.
  const r = alloc(out.dtype, n, true);
  const shared = new Map<number, Float64Array>();
  for (let i = 0, o = 0; i < dst.length; i++, o += post) {
    const d = dst[i];
    if (hits.get(d) === 1) {
      for (let e = 0; e < post; e++) r[d + e] = upd[o + e] + 0; // + 0: -0 becomes 0, as 0 + -0 does in the sum
      continue;
    }
    let acc = shared.get(d);
    if (!acc) { acc = new Float64Array(post); shared.set(d, acc); }
    for (let e = 0; e < post; e++) acc[e] += upd[o + e];
  }
  for (const [d, acc] of shared) r.set(acc, d);
  return r;
}

function scatterInto(acc: Float64Array, upd: TypedArray, dst: Int32Array, post: number): Float64Array {
  for (let i = 0, o = 0; i < dst.length; i++, o += post) for (let e = 0; e < post; e++) acc[dst[i] + e] += upd[o + e];
  return acc;
}
