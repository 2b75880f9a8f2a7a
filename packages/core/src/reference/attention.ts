// Attention and its gradient as plain loops in float64, one batch entry at a time: the oracle for the
// backends' fused kernels and for the decomposition into primitives.
import { allocArray, type TypedArray } from '../dtype.js';
import { MASK_FILL, type TensorInfo } from '../primitives.js';
import { sizeOf } from '../shape.js';
import { broadcastOffsets } from './indexing.js';
import type { In } from './kernels.js';

/** Where each batch entry's matrices start, and the mask's row and column strides (0 where broadcast). */
export function attentionLayout(q: TensorInfo, k: TensorInfo, v: TensorInfo, allowed: TensorInfo) {
  const [t, d] = q.shape.slice(-2), s = k.shape.at(-2)!, dv = v.shape.at(-1)!;
  const batch = q.shape.slice(0, -2);
  const ms = allowed.shape, mt = ms.length >= 2 ? ms.at(-2)! : 1, mc = ms.at(-1)!;
  const kOff = broadcastOffsets(k.shape.slice(0, -2), batch);
  const mOff = broadcastOffsets(ms.slice(0, -2), batch);
  return {
    t, s, d, dv, entries: sizeOf(batch),
    /** element offsets of entry e's q (and out), k, v and mask */
    q: (e: number) => e * t * d, out: (e: number) => e * t * dv,
    k: (e: number) => kOff[e] * s * d, v: (e: number) => kOff[e] * s * dv, mask: (e: number) => mOff[e] * mt * mc,
    maskRow: mt === 1 ? 0 : mc, maskCol: mc === 1 ? 0 : 1,
  };
}
type Layout = ReturnType<typeof attentionLayout>;

/** Row i of entry e's attention weights (masked, softmaxed scores) into p. */
function weights(L: Layout, scale: number, q: TypedArray, k: TypedArray, allowed: TypedArray, e: number, i: number, p: Float64Array): void {
  const q0 = L.q(e) + i * L.d, k0 = L.k(e), m0 = L.mask(e) + i * L.maskRow;
  let max = -Infinity;
  for (let j = 0; j < L.s; j++) {
    let dot = 0;
    for (let c = 0; c < L.d; c++) dot += q[q0 + c] * k[k0 + j * L.d + c];
    p[j] = allowed[m0 + j * L.maskCol] ? scale * dot : MASK_FILL;
    if (p[j] > max) max = p[j];
  }
  let sum = 0;
  for (let j = 0; j < L.s; j++) { p[j] = Math.exp(p[j] - max); sum += p[j]; }
  for (let j = 0; j < L.s; j++) p[j] /= sum;
}

const rounded = (dtype: TensorInfo['dtype'], acc: Float64Array): TypedArray => {
  const r = allocArray(dtype, acc.length);
  r.set(acc);
  return r;
};

export function attentionReference([q, k, v, allowed]: readonly In[], scale: number, out: TensorInfo): TypedArray {
  const L = attentionLayout(q.info, k.info, v.info, allowed.info);
  const acc = new Float64Array(sizeOf(out.shape)), p = new Float64Array(L.s);
  for (let e = 0; e < L.entries; e++) for (let i = 0; i < L.t; i++) {
    weights(L, scale, q.data, k.data, allowed.data, e, i, p);
    const o0 = L.out(e) + i * L.dv, v0 = L.v(e);
    for (let j = 0; j < L.s; j++) for (let c = 0; c < L.dv; c++) acc[o0 + c] += p[j] * v.data[v0 + j * L.dv + c];
  }
  return rounded(out.dtype, acc);
}

/**
 * dv = P^T g, dP = g v^T, dScores = P (dP - rowsum(P dP)) where allowed (else 0), times scale; dq = dScores k,
 * dk = dScores^T q. Entries that share k and v add into the same dk, dv.
 */
export function attentionGradReference([q, k, v, allowed, g]: readonly In[], scale: number, out: TensorInfo): TypedArray {
  const L = attentionLayout(q.info, k.info, v.info, allowed.info);
  const nq = q.data.length, nk = k.data.length;
  const acc = new Float64Array(sizeOf(out.shape)), p = new Float64Array(L.s), dp = new Float64Array(L.s);
  for (let e = 0; e < L.entries; e++) for (let i = 0; i < L.t; i++) {
    weights(L, scale, q.data, k.data, allowed.data, e, i, p);
    const g0 = L.out(e) + i * L.dv, v0 = L.v(e), k0 = L.k(e), q0 = L.q(e) + i * L.d, m0 = L.mask(e) + i * L.maskRow;
    let rowSum = 0;
    for (let j = 0; j < L.s; j++) {
      let dot = 0;
      for (let c = 0; c < L.dv; c++) {
        dot += g.data[g0 + c] * v.data[v0 + j * L.dv + c];
        acc[nq + nk + v0 + j * L.dv + c] += p[j] * g.data[g0 + c];
      }
      dp[j] = dot;
      rowSum += p[j] * dot;
    }
    for (let j = 0; j < L.s; j++) {
      const ds = allowed.data[m0 + j * L.maskCol] ? scale * p[j] * (dp[j] - rowSum) : 0;
      for (let c = 0; c < L.d; c++) {
        acc[q0 + c] += ds * k.data[k0 + j * L.d + c];
        acc[nq + k0 + j * L.d + c] += ds * q.data[q0 + c];
      }
    }
  }
  return rounded(out.dtype, acc);
}
