// Attention and its gradient as plain loops in float64, one (batch entry, query head) at a time: the oracle
// for the backends' fused kernels and for the decomposition into primitives.
import { allocArray, type TypedArray } from '../dtype.js';
import { MASK_FILL, type TensorInfo } from '../primitives.js';
import { sizeOf } from '../shape.js';
import { type In, broadcastOffsets } from './indexing.js';

/** Where each (batch entry, query head)'s rows start in q/out, k, v and the mask, with the row strides. */
export interface AttentionLayout {
  readonly t: number; readonly s: number; readonly d: number; readonly dv: number; readonly entries: number;
  readonly qOff: Int32Array; readonly kOff: Int32Array; readonly vOff: Int32Array; readonly outOff: Int32Array; readonly maskOff: Int32Array;
  /** row strides of q, k, v and out; the mask's row and column strides (0 where broadcast) */
  readonly qRow: number; readonly kRow: number; readonly vRow: number; readonly outRow: number; readonly maskRow: number; readonly maskCol: number;
}

export function attentionLayout(q: TensorInfo, k: TensorInfo, v: TensorInfo, allowed: TensorInfo): AttentionLayout {
  const [t, n, d] = q.shape.slice(-3), [s, kh] = k.shape.slice(-3), dv = v.shape.at(-1)!;
  const rep = n / kh, batch = q.shape.slice(0, -3), entries = sizeOf(batch) * n;
  const kEntry = broadcastOffsets(k.shape.slice(0, -3), batch);
  const ms = [...new Array<number>(Math.max(0, batch.length + 3 - allowed.shape.length)).fill(1), ...allowed.shape];
  const mt = ms.at(-2)!, mc = ms.at(-1)!;
  const maskEntry = broadcastOffsets(ms.slice(0, -2), [...batch, n]);
  const qOff = new Int32Array(entries), kOff = new Int32Array(entries), vOff = new Int32Array(entries), outOff = new Int32Array(entries);
  for (let e = 0; e < entries; e++) {
    const b = Math.floor(e / n), h = e % n, kvh = Math.floor(h / rep);
    qOff[e] = b * t * n * d + h * d;
    outOff[e] = b * t * n * dv + h * dv;
    kOff[e] = kEntry[b] * s * kh * d + kvh * d;
    vOff[e] = kEntry[b] * s * kh * dv + kvh * dv;
  }
  return {
    t, s, d, dv, entries, qOff, kOff, vOff, outOff, maskOff: maskEntry.map((o) => o * mt * mc),
    qRow: n * d, kRow: kh * d, vRow: kh * dv, outRow: n * dv, maskRow: mt === 1 ? 0 : mc, maskCol: mc === 1 ? 0 : 1,
  };
}

/** Row i of entry e's attention weights (masked, softmaxed scores) into p. */
function weights(L: AttentionLayout, scale: number, q: TypedArray, k: TypedArray, allowed: TypedArray, e: number, i: number, p: Float64Array): void {
  const q0 = L.qOff[e] + i * L.qRow, m0 = L.maskOff[e] + i * L.maskRow;
  let max = -Infinity;
  for (let j = 0; j < L.s; j++) {
    const k0 = L.kOff[e] + j * L.kRow;
    let dot = 0;
    for (let c = 0; c < L.d; c++) dot += q[q0 + c] * k[k0 + c];
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
    const o0 = L.outOff[e] + i * L.outRow;
    for (let j = 0; j < L.s; j++) for (let c = 0; c < L.dv; c++) acc[o0 + c] += p[j] * v.data[L.vOff[e] + j * L.vRow + c];
  }
  return rounded(out.dtype, acc);
}

/**
 * dv = P^T g, dP = g v^T, dScores = P (dP - rowsum(P dP)) where allowed (else 0), times scale; dq = dScores k,
 * dk = dScores^T q. Heads and entries that share k and v add into the same dk, dv.
 */
export function attentionGradReference([q, k, v, allowed, g]: readonly In[], scale: number, out: TensorInfo): TypedArray {
  const L = attentionLayout(q.info, k.info, v.info, allowed.info);
  const nq = q.data.length, nk = k.data.length;
  const acc = new Float64Array(sizeOf(out.shape)), p = new Float64Array(L.s), dp = new Float64Array(L.s);
  for (let e = 0; e < L.entries; e++) for (let i = 0; i < L.t; i++) {
    weights(L, scale, q.data, k.data, allowed.data, e, i, p);
    const g0 = L.outOff[e] + i * L.outRow, q0 = L.qOff[e] + i * L.qRow, m0 = L.maskOff[e] + i * L.maskRow;
    let rowSum = 0;
    for (let j = 0; j < L.s; j++) {
      const v0 = L.vOff[e] + j * L.vRow;
      let dot = 0;
      for (let c = 0; c < L.dv; c++) {
        dot += g.data[g0 + c] * v.data[v0 + c];
        acc[nq + nk + v0 + c] += p[j] * g.data[g0 + c];
      }
      dp[j] = dot;
      rowSum += p[j] * dot;
    }
    for (let j = 0; j < L.s; j++) {
      const ds = allowed.data[m0 + j * L.maskCol] ? scale * p[j] * (dp[j] - rowSum) : 0, k0 = L.kOff[e] + j * L.kRow;
      for (let c = 0; c < L.d; c++) {
        acc[q0 + c] += ds * k.data[k0 + c];
        acc[nq + k0 + c] += ds * q.data[q0 + c];
      }
    }
  }
  return rounded(out.dtype, acc);
}
