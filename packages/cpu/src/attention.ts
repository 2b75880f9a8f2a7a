// The attention primitive and its gradient on the native and wasm paths: one kernel call each (the addon's,
// native/attention.cc, or wasm/attention.wat.mjs), which keeps every entry's T x S weights in cache instead of
// storing them. The layout of the entries (a batch entry
// and query head each) comes from the core's `attentionLayout`; for the gradient, entries are grouped by the
// k/v rows they share, so one thread sums each group's dk and dv in entry order.
import { type TensorInfo, type TypedArray, attentionLayout } from '@safekey-ts/core';
import type { CompositeKernels } from './wasm-composites.js';

interface In { readonly data: TypedArray; readonly info: TensorInfo }

/** Entries sorted by k offset (stable), as [group starts..., end, entries...]. */
function groupsByK(kOff: Int32Array): Int32Array {
  const order = Array.from(kOff.keys()).sort((a, b) => kOff[a] - kOff[b] || a - b);
  const starts = order.flatMap((e, i) => (i === 0 || kOff[e] !== kOff[order[i - 1]] ? [i] : []));
  return Int32Array.from([...starts, order.length, ...order]);
}

/** True when the kernels can run this call (float32, no empty dims); otherwise the reference's loops run it. */
export const attentionFits = (q: TensorInfo, k: TensorInfo, v: TensorInfo): boolean =>
  q.dtype === 'float32' && [...q.shape, ...k.shape.slice(-3), ...v.shape.slice(-1)].every((d) => d > 0);

export function runAttention(kernels: CompositeKernels, [q, k, v, allowed, g]: readonly In[], scale: number, out: Float32Array): Float32Array {
  const L = attentionLayout(q.info, k.info, v.info, allowed.info);
  const offsets = new Int32Array(5 * L.entries);
  [L.qOff, L.kOff, L.vOff, L.outOff, L.maskOff].forEach((o, i) => offsets.set(o, i * L.entries));
  const dims = Int32Array.of(L.t, L.s, L.d, L.dv, L.qRow, L.kRow, L.vRow, L.outRow, L.maskRow, L.maskCol);
  kernels.attention(scale, q.data as Float32Array, k.data as Float32Array, v.data as Float32Array, allowed.data as Uint8Array,
    g ? g.data as Float32Array : null, out, offsets, dims, g ? groupsByK(L.kOff) : null);
  return out;
}
