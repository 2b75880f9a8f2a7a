import type { TypedArray } from '../dtype.js';
import type { TensorInfo } from '../primitives.js';
import { type View, contiguousView, readStrides } from '../ir/view.js';
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

/** For each element of `out`, the flat offset of the element of `view` that broadcasts onto it. */
export function viewOffsets(view: View, out: Shape): Int32Array {
  const st = readStrides(view, out);
  const offsets = new Int32Array(sizeOf(out));
  forEachIndex(out, (flat, idx) => { offsets[flat] = view.offset + offsetOf(idx, st); });
  return offsets;
}

/** For each element of `out`, the flat offset of the element of a stored `input` that broadcasts onto it. */
export const broadcastOffsets = (input: Shape, out: Shape): Int32Array => viewOffsets(contiguousView(input), out);

export const offsetOf = (idx: readonly number[], strides: readonly number[]): number =>
  idx.reduce((acc, i, d) => acc + i * strides[d], 0);
