import { type TypedArray, allocArray, toBfloat16, widenBfloat16 } from '../dtype.js';
import type { PrimParams, Primitive, TensorInfo } from '../primitives.js';
import { sizeOf, stridesOf } from '../shape.js';
import { attentionGradReference, attentionReference } from './attention.js';
import { type In, broadcastOffsets, forEachIndex, offsetOf } from './indexing.js';
import type { BinaryPrim, UnaryPrim } from '../ir/ops.js';
import { checkIndex } from '../ir/gather.js';

/** A bfloat16 input as its float32 values (other inputs as they are). */
const valuesOf = (x: In): In => (x.info.dtype === 'bfloat16' ? { data: widenBfloat16(x.data), info: { ...x.info, dtype: 'float32' } } : x);

type Kernel<P extends Primitive> = (inputs: readonly In[], params: PrimParams[P], out: TensorInfo) => TypedArray;

const reduce = <P extends 'reduceSum' | 'reduceMax'>(init: number, step: (acc: number, v: number) => number): Kernel<P> => ([x], { axes }, out) => {
  const acc = new Float64Array(sizeOf(out.shape)).fill(init);
  // strides of the output seen as the input's rank with reduced axes of size 1
  const kept = x.info.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const st = stridesOf(kept);
  forEachIndex(x.info.shape, (flat, idx) => {
    let o = 0;
    for (let d = 0; d < idx.length; d++) if (!axes.includes(d)) o += idx[d] * st[d];
    acc[o] = step(acc[o], x.data[flat]);
  });
  const r = allocArray(out.dtype, acc.length);
  for (let i = 0; i < r.length; i++) r[i] = acc[i];
  return r;
};

/**
 * Walks the output of gather (= the updates of scatterAdd) and yields, for each element, the offset of
 * the element of x it reads (or writes).
 */
function gatherWalk(xShape: readonly number[], idx: In, axis: number, batchDims: number, op: string,
  f: (outFlat: number, xOffset: number) => void): void {
  const idxRest = idx.info.shape.length - batchDims;
  const outShape = [...xShape.slice(0, axis), ...idx.info.shape.slice(batchDims), ...xShape.slice(axis + 1)];
  const xs = stridesOf(xShape), is = stridesOf(idx.info.shape);
  forEachIndex(outShape, (flat, o) => {
    const iIdx = [...o.slice(0, batchDims), ...o.slice(axis, axis + idxRest)];
    const j = idx.data[offsetOf(iIdx, is)];
    checkIndex(op, j, xShape[axis]);
    const xIdx = [...o.slice(0, axis), j, ...o.slice(axis + idxRest)];
    f(flat, offsetOf(xIdx, xs));
  });
}

/**
 * The reference loops of what core does not lower to kernels (the routines, and bfloat16 casts and products),
 * and of the heads the kernel interpreter (`fused.ts`) calls: reductions and products.
 */
export type ReferencePrim = Exclude<Primitive, UnaryPrim | BinaryPrim | 'where' | 'permute' | 'broadcastTo' | 'slice' | 'pad' | 'concat' | 'iota'>;

export const kernels: { readonly [P in ReferencePrim]: Kernel<P> } = {
  cast: ([x0], _, out) => {
    const x = valuesOf(x0);
    if (out.dtype === 'bfloat16') return toBfloat16(x.data, new Uint16Array(x.data.length));
    const r = allocArray(out.dtype, x.data.length);
    const toInt = out.dtype === 'int32' && x.info.dtype !== 'int32';
    for (let i = 0; i < r.length; i++) r[i] = out.dtype === 'bool' ? +(x.data[i] !== 0) : toInt ? Math.trunc(x.data[i]) : x.data[i];
    return r;
  },
  reduceSum: reduce(0, (a, v) => a + v),
  reduceMax: reduce(-Infinity, (a, v) => (v > a || Number.isNaN(v) ? v : a)),
  matmul: (operands, { transA, transB }, out) => {
    const [a, b] = operands.map(valuesOf);
    const r = allocArray(out.dtype, sizeOf(out.shape));
    const sa = a.info.shape, sb = b.info.shape;
    const m = out.shape.at(-2)!, n = out.shape.at(-1)!, k = transA ? sa.at(-2)! : sa.at(-1)!;
    const batch = out.shape.slice(0, -2);
    const oa = broadcastOffsets(sa.slice(0, -2), batch), ob = broadcastOffsets(sb.slice(0, -2), batch);
    const [ai, ak] = transA ? [1, m] : [k, 1];   // element (i, p) of op(A) sits at i*ai + p*ak
    const [bk, bj] = transB ? [1, k] : [n, 1];   // element (p, j) of op(B) sits at p*bk + j*bj
    for (let t = 0; t < oa.length; t++) {
      const a0 = oa[t] * m * k, b0 = ob[t] * k * n, r0 = t * m * n;
      for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) s += a.data[a0 + i * ai + p * ak] * b.data[b0 + p * bk + j * bj];
        r[r0 + i * n + j] = s;
      }
    }
    return r;
  },
  reshape: ([x]) => x.data.slice(),
  gather: ([x, idx], { axis, batchDims }, out) => {
    const r = allocArray(out.dtype, sizeOf(out.shape));
    gatherWalk(x.info.shape, idx, axis, batchDims, 'gather', (o, xo) => { r[o] = x.data[xo]; });
    return r;
  },
  scatterAdd: ([upd, idx], { axis, batchDims }, out) => {
    const acc = new Float64Array(sizeOf(out.shape));
    gatherWalk(out.shape, idx, axis, batchDims, 'scatterAdd', (o, xo) => { acc[xo] += upd.data[o]; });
    const r = allocArray(out.dtype, acc.length);
    for (let i = 0; i < r.length; i++) r[i] = acc[i];
    return r;
  },
  attention: (xs, { scale }, out) => attentionReference(xs, scale, out),
  rope: ([x, c, s], _, out) => {
    const r = allocArray(out.dtype, x.data.length);
    const oc = broadcastOffsets(c.info.shape, out.shape), os = broadcastOffsets(s.info.shape, out.shape);
    const d = out.shape[out.shape.length - 1], h = d / 2;
    for (let i = 0; i < r.length; i++) {
      const j = i % d, rot = j < h ? -x.data[i + h] : x.data[i - h];
      r[i] = x.data[i] * c.data[oc[i]] + rot * s.data[os[i]];
    }
    return r;
  },
  attentionGrad: (xs, { scale }, out) => attentionGradReference(xs, scale, out),
};

