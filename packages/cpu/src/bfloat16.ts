// Casts to and from bfloat16 (a storage dtype: tensors hold its bits), pooled, in JS: they run when weights are
// stored (once) and on gathered embedding rows, never in a step's hot loops.
import { type TensorInfo, type TypedArray, fromBfloat16, referenceKernels, toBfloat16 } from '@safekey-ts/core';
import type { Alloc } from './pool.js';

type In = { readonly data: TypedArray; readonly info: TensorInfo };

/** A cast to or from bfloat16 (core never asks for one from a dtype to itself). */
export function castBf16(x: In, out: TensorInfo, alloc: Alloc): TypedArray {
  const n = x.data.length;
  if (out.dtype === 'bfloat16') return toBfloat16(x.data, alloc('bfloat16', n) as Uint16Array);
  if (out.dtype === 'float32') return fromBfloat16(x.data as Uint16Array, alloc('float32', n) as Float32Array);
  return referenceKernels.cast([x], { dtype: out.dtype }, out);
}
