// Casts to and from bfloat16 (a storage dtype: tensors hold its bits), pooled, in JS: they run when weights are
// stored (once) and on gathered embedding rows, never in a step's hot loops.
import { type TensorInfo, type TypedArray, fromBfloat16, referenceKernels, toBfloat16 } from '@safekey-ts/core';
import type { Alloc } from './pool.js';

type In = { readonly data: TypedArray; readonly info: TensorInfo };

export function castBf16(x: In, out: TensorInfo, alloc: Alloc): TypedArray {
  const n = x.data.length;
  if (out.dtype === 'bfloat16') {
    const r = alloc('bfloat16', n) as Uint16Array;
    if (x.info.dtype === 'bfloat16') r.set(x.data);
    else toBfloat16(x.data, r);
    return r;
  }
  if (out.dtype === 'float32') return fromBfloat16(x.data as Uint16Array, alloc('float32', n) as Float32Array);
  return referenceKernels.cast([x], { dtype: out.dtype }, out);
}

/** A bfloat16 operand's values as float32 (other operands as they are). */
export const asFloat32 = (a: TypedArray): TypedArray => (a instanceof Uint16Array ? fromBfloat16(a, new Float32Array(a.length)) : a);
