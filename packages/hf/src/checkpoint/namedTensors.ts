import * as E from 'fp-ts/lib/Either.js';
import { type DType, type Shape, type Tensor, fromArray } from '@safekey-ts/core';
import { fmtDims } from './errors.js';
import type { LoadedTensor, TensorToWrite } from './tensorData.js';
import { type CheckpointDirError, dirError } from './dirErrors.js';

/** A tensor a file must hold: its name and exact shape. */
export interface ExpectedTensor { readonly name: string; readonly shape: readonly number[] }

const FLOAT_DTYPES = new Set(['F32', 'F16', 'BF16', 'F64']);

type Entries = readonly (ExpectedTensor & { readonly tensor: Tensor })[];

/**
 * A tensor whose shape differs from the expected one (a parameter tree that does not fit its config), or whose
 * dtype is not one of `dtypes`, as a Left naming `file` and the tensor; nothing is read.
 */
export function checkTensors(entries: Entries, file: string, dtypes: readonly DType[] = ['float32', 'float64']): E.Either<CheckpointDirError, void> {
  for (const { name, shape, tensor } of entries) {
    if (tensor.shape.length !== shape.length || tensor.shape.some((d, i) => d !== shape[i]))
      return E.left(dirError('ShapeMismatch', file, `shape ${fmtDims(tensor.shape)}, expected ${fmtDims(shape)}`, name));
    if (!dtypes.includes(tensor.dtype))
      return E.left(dirError('UnsupportedDType', file, `dtype ${tensor.dtype}, expected ${dtypes.join(' or ')}`, name));
  }
  return E.right(undefined);
}

/** Tensors to write as F32, by name, after `checkTensors`. */
export function toF32Tensors(entries: Entries, file: string): E.Either<CheckpointDirError, Record<string, TensorToWrite>> {
  const checked = checkTensors(entries, file);
  if (E.isLeft(checked)) return checked;
  return E.right(Object.fromEntries(entries.map(({ name, shape, tensor }) =>
    [name, { dtype: 'F32', shape: [...shape], data: tensor.dataSync() as Float32Array | Float64Array }])));
}

/**
 * Float32 tensors from a parsed file: each expected name present with exactly its shape, a float dtype (F32; F16,
 * BF16 and F64 are converted) and finite values; any other name is a Left too, unless `ignore` accepts it.
 * Every Left names `file` and the tensor.
 */
export function fromF32Tensors(
  tensors: ReadonlyMap<string, LoadedTensor>, expected: readonly ExpectedTensor[], file: string, ignore: (name: string) => boolean = () => false,
): E.Either<CheckpointDirError, Map<string, Tensor>> {
  const out = new Map<string, Tensor>();
  for (const { name, shape } of expected) {
    const t = tensors.get(name);
    if (t === undefined) return E.left(dirError('MissingTensor', file, 'missing', name));
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i]))
      return E.left(dirError('ShapeMismatch', file, `shape ${fmtDims(t.shape)}, expected ${fmtDims(shape)}`, name));
    if (!FLOAT_DTYPES.has(t.dtype)) return E.left(dirError('UnsupportedDType', file, `dtype ${t.dtype}, expected a float dtype (F32, F16, BF16 or F64)`, name));
    const data = t.data instanceof Float32Array ? t.data : Float32Array.from(t.data);
    const bad = data.findIndex((x) => !Number.isFinite(x));
    if (bad >= 0) return E.left(dirError('ValueOutOfRange', file, `value ${data[bad]} at index ${bad} is not finite`, name));
    out.set(name, fromArray(data, [...shape] as Shape, 'float32'));
  }
  const known = new Set(expected.map((e) => e.name));
  const extra = [...tensors.keys()].filter((n) => !known.has(n) && !ignore(n)).sort();
  if (extra.length > 0) return E.left(dirError('UnexpectedTensor', file, `not a tensor of this model${extra.length > 1 ? ` (nor ${extra.length - 1} more: ${extra.slice(1, 4).join(', ')}${extra.length > 4 ? ', ...' : ''})` : ''}`, extra[0]));
  return E.right(out);
}
