import type { ReadableDType, WritableDType } from './dtypes.js';

/** A tensor read from a checkpoint: the file's dtype, the shape, and the values in row-major order. */
export interface LoadedTensor {
  readonly dtype: ReadableDType;
  readonly shape: readonly number[];
  /** F64: Float64Array; F32, F16, BF16: Float32Array; integer and BOOL dtypes: Int32Array. */
  readonly data: Float32Array | Float64Array | Int32Array;
}

/** A tensor to write: the dtype to store it as, its shape and row-major values (converted on write). */
export interface TensorToWrite {
  readonly dtype: WritableDType;
  readonly shape: readonly number[];
  readonly data: ArrayLike<number>;
}

export const shapeSize = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);
