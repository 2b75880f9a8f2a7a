// gather (TF style, with batch dims) and its adjoint scatterAdd, as block copies.
//
// With x = [batch..., pre..., axis, post...] and idx = [batch..., rest...], gather's output is
// [batch..., pre..., rest..., post...]: for each (b, p, q) it copies the `post` elements of x row
// idx[b, q] of block (b, p). scatterAdd walks the same (b, p, q, post) order as the reference, adding into a
// float64 accumulator, so its sums are identical to the reference backend's.
import { type DType, type TensorInfo, type TypedArray, TensorError, allocArray } from '@safekey-ts/core';
import type { Alloc } from './pool.js';

const prod = (s: readonly number[]) => s.reduce((p, d) => p * d, 1);

function layout(xShape: readonly number[], idxShape: readonly number[], axis: number, batchDims: number) {
  return {
    nb: prod(xShape.slice(0, batchDims)),
    pre: prod(xShape.slice(batchDims, axis)),
    size: xShape[axis],
    nq: prod(idxShape.slice(batchDims)),
    post: prod(xShape.slice(axis + 1)),
  };
}

const outOfRange = (op: string, j: number, size: number) =>
  new TensorError({ kind: 'InvalidArgument', op, message: `index ${j} out of range [0, ${size})` });

export function gather(x: TypedArray, xInfo: TensorInfo, idx: Int32Array, idxInfo: TensorInfo, axis: number, batchDims: number, out: TensorInfo,
  alloc: Alloc = allocArray): TypedArray {
  const { nb, pre, size, nq, post } = layout(xInfo.shape, idxInfo.shape, axis, batchDims);
  const r = alloc(out.dtype, prod(out.shape));
  if (r.length === 0) return r;
  for (let i = 0; i < idx.length; i++) if (!(idx[i] >= 0 && idx[i] < size)) throw outOfRange('gather', idx[i], size);
  let o = 0;
  for (let b = 0; b < nb; b++) for (let p = 0; p < pre; p++) {
    const block = (b * pre + p) * size;
    for (let q = 0; q < nq; q++) {
      const src = (block + idx[b * nq + q]) * post;
      if (post >= 16) r.set(x.subarray(src, src + post), o);
      else for (let e = 0; e < post; e++) r[o + e] = x[src + e];
      o += post;
    }
  }
  return r;
}

export function scatterAdd(upd: TypedArray, idx: Int32Array, idxInfo: TensorInfo, axis: number, batchDims: number, out: TensorInfo,
  alloc: Alloc = allocArray): TypedArray {
  const { nb, pre, size, nq, post } = layout(out.shape, idxInfo.shape, axis, batchDims);
  const acc = alloc('float64', prod(out.shape), true) as Float64Array;
  if (upd.length > 0) {
    for (let i = 0; i < idx.length; i++) if (!(idx[i] >= 0 && idx[i] < size)) throw outOfRange('scatterAdd', idx[i], size);
    let u = 0;
    for (let b = 0; b < nb; b++) for (let p = 0; p < pre; p++) {
      const block = (b * pre + p) * size;
      for (let q = 0; q < nq; q++) {
        const dst = (block + idx[b * nq + q]) * post;
        for (let e = 0; e < post; e++) acc[dst + e] += upd[u + e];
        u += post;
      }
    }
  }
  return toDtype(acc, out.dtype, alloc);
}

function toDtype(acc: Float64Array, dtype: DType, alloc: Alloc): TypedArray {
  if (dtype === 'float64') return acc;
  const r = alloc(dtype, acc.length);
  r.set(acc);
  return r;
}
