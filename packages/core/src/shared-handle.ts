import type { DataHandle } from './backend.js';
import { TensorError } from './errors.js';

/**
 * A backend's handle on storage that a tensor and its reshapes share (a reshape is a second handle, no copy):
 * the storage is freed when its last handle is. Every backend's `reshape` and `free` go through these.
 */
export interface SharedHandle<S> extends DataHandle { held: { readonly value: S; refs: number } | null }

/** The first handle on new storage. */
export const newHandle = <S>(backend: string, value: S): SharedHandle<S> => ({ backend, held: { value, refs: 1 } });

/** The storage behind a handle; a clear error for a disposed tensor's. */
export function heldValue<S>(h: DataHandle): S {
  const held = (h as SharedHandle<S>).held;
  if (!held) throw new TensorError({ kind: 'Disposed', op: h.backend, message: 'tensor was already disposed' });
  return held.value;
}

/** A second handle on the same storage (a reshape). */
export function shareHandle<S>(h: DataHandle): SharedHandle<S> {
  heldValue(h);
  const held = (h as SharedHandle<S>).held!;
  held.refs++;
  return { backend: h.backend, held };
}

/** Drops the handle's hold: the storage when this was its last handle (the caller frees it), else null. */
export function releaseHandle<S>(h: DataHandle): S | null {
  const handle = h as SharedHandle<S>, held = handle.held;
  if (!held) return null;
  handle.held = null;
  return --held.refs === 0 ? held.value : null;
}
