export type DType = 'float32' | 'float64' | 'int32' | 'bool';
export type FloatDType = 'float32' | 'float64';

export interface TypedArrayOf {
  float32: Float32Array;
  float64: Float64Array;
  int32: Int32Array;
  bool: Uint8Array;
}
export type TypedArray = TypedArrayOf[DType];

export const DTYPES: readonly DType[] = ['float32', 'float64', 'int32', 'bool'];

export function allocArray<D extends DType>(dtype: D, size: number): TypedArrayOf[D] {
  switch (dtype) {
    case 'float32': return new Float32Array(size) as TypedArrayOf[D];
    case 'float64': return new Float64Array(size) as TypedArrayOf[D];
    case 'int32': return new Int32Array(size) as TypedArrayOf[D];
    case 'bool': return new Uint8Array(size) as TypedArrayOf[D];
  }
  throw new Error(`unknown dtype ${String(dtype)}`);
}

/** The dtype a typed array stores (a Uint8Array stores bool). */
export const dtypeOfArray = (a: TypedArray): DType =>
  a instanceof Float32Array ? 'float32' : a instanceof Float64Array ? 'float64' : a instanceof Int32Array ? 'int32' : 'bool';

export const isFloat = (d: DType): d is FloatDType => d === 'float32' || d === 'float64';

const rank: Record<DType, number> = { bool: 0, int32: 1, float32: 2, float64: 3 };

/** Result dtype of mixing two dtypes (bool < int32 < float32 < float64), as NumPy without value-based casts. */
export const promote = (a: DType, b: DType): DType => (rank[a] >= rank[b] ? a : b);

/** Rounds a JS number to what the dtype stores, as a typed array would. */
export function roundTo(dtype: DType, v: number): number {
  switch (dtype) {
    case 'float32': return Math.fround(v);
    case 'float64': return v;
    case 'int32': return v | 0;
    case 'bool': return v ? 1 : 0;
  }
}
