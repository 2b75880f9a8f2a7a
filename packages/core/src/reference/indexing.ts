import type { TypedArray } from '../dtype.js';
import type { TensorInfo } from '../primitives.js';
import { type View, broadcastView, contiguousView } from '../ir/view.js';
import { type Shape, sizeOf } from '../shape.js';

/** A kernel input: its values and what they are. */
export interface In { readonly data: TypedArray; readonly info: TensorInfo }

/** Calls `f(flat, multiIndex)` for every element of `shape`, in row-major order. */
export function forEachIndex(shape: Shape, f: (flat: number, idx: readonly number[]) => void): void {
  const n = sizeOf(shape);
  const idx = new Array<number>(shape.length).fill(0);
  for (let flat = 0; flat < n; flat++) {
    f(flat, idx);
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
}

/**
 * For each element of `out`, the flat offset of the element of `view` that broadcasts onto it; -1 where a
 * padded view reads its fill there.
 */
export function viewOffsets(view: View, out: Shape): Int32Array {
  const wide = broadcastView(view, out), st = wide.strides, bounds = wide.bounds;
  const offsets = new Int32Array(sizeOf(out));
  forEachIndex(out, (flat, idx) => {
    offsets[flat] = bounds && idx.some((i, d) => i < bounds[d][0] || i >= bounds[d][1]) ? -1 : view.offset + offsetOf(idx, st);
  });
  return offsets;
}

/** The values of `data` at `offsets` (`viewOffsets`), `fill` where an offset is -1. */
export const readAt = (data: TypedArray, offsets: Int32Array, fill = 0) => (i: number): number => (offsets[i] < 0 ? fill : data[offsets[i]]);

/** For each element of `out`, the flat offset of the element of a stored `input` that broadcasts onto it. */
export const broadcastOffsets = (input: Shape, out: Shape): Int32Array => viewOffsets(contiguousView(input), out);

export const offsetOf = (idx: readonly number[], strides: readonly number[]): number =>
  idx.reduce((acc, i, d) => acc + i * strides[d], 0);
