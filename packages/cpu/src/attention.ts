// The attention primitive and its gradient on the native path: one addon call each (native/cpu.cc), which
// keeps every batch entry's T x S weights in cache instead of storing them. This file lays out the batch:
// each entry's K/V entry and mask offset, and for the gradient the entries grouped by the K/V entry they share.
import type { TensorInfo, TypedArray } from '@safekey-ts/core';
import { batchOffsets } from './matmul.js';
import type { NativeAddon } from './native.js';

interface In { readonly data: TypedArray; readonly info: TensorInfo }

/** Entries sorted by K entry (stable), as [group starts..., end, entries...]. */
function groupsByK(kEntry: Int32Array): Int32Array {
  const order = Array.from(kEntry.keys()).sort((a, b) => kEntry[a] - kEntry[b] || a - b);
  const starts = order.flatMap((e, i) => (i === 0 || kEntry[e] !== kEntry[order[i - 1]] ? [i] : []));
  return Int32Array.from([...starts, order.length, ...order]);
}

/** True when the addon can run this call (float32, no empty dims); otherwise the caller decomposes it. */
export const nativeAttentionFits = (q: TensorInfo, k: TensorInfo, v: TensorInfo): boolean =>
  q.dtype === 'float32' && [...q.shape, ...k.shape.slice(-2), ...v.shape.slice(-1)].every((d) => d > 0);

export function nativeAttention(addon: NativeAddon, [q, k, v, allowed, g]: readonly In[], scale: number, out: Float32Array): Float32Array {
  const [t, d] = q.info.shape.slice(-2), s = k.info.shape.at(-2)!, dv = v.info.shape.at(-1)!;
  const batch = q.info.shape.slice(0, -2);
  const ms = allowed.info.shape, mt = ms.at(-2)!, mc = ms.at(-1)!;
  const kEntry = batchOffsets(k.info.shape.slice(0, -2), batch, 1);
  const maskOff = batchOffsets(ms.slice(0, -2), batch, mt * mc);
  const dims = Int32Array.of(t, s, d, dv, mt === 1 ? 0 : mc, mc === 1 ? 0 : 1);
  addon.attention(scale, q.data as Float32Array, k.data as Float32Array, v.data as Float32Array, allowed.data as Uint8Array,
    g ? g.data as Float32Array : null, out, kEntry, maskOff, dims, g ? groupsByK(kEntry) : null);
  return out;
}
