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

// ---------- type level ----------
// The checks are lookups in a record keyed by dtype, not conditional types, so that they resolve for a generic
// `D extends FloatDType` too (a lookup with a generic key must hold for every dtype the key may be); for the
// unknown `DType` the lookup is a union that includes `unknown`, so everything passes.

/** Compile-time description of a dtype error; an argument of this type cannot be supplied. */
export interface DTypeMismatch<Op extends string, Got, Want extends string> {
  readonly __dtypeMismatch: Op;
  readonly got: Got;
  readonly want: Want;
}
/** `unknown` when D is a float dtype (or unknown), a DTypeMismatch otherwise. */
export type FloatCheck<Op extends string, D extends DType> = {
  float32: unknown; float64: unknown;
  int32: DTypeMismatch<Op, 'int32', 'float32 | float64'>; bool: DTypeMismatch<Op, 'bool', 'float32 | float64'>;
}[D];
type IsFractional<N> = number extends N ? false : `${N & number}` extends `${string}.${string}` | `${string}e-${string}` ? true : false;
/**
 * A JS number next to a tensor of dtype D takes D; a fractional literal next to an int32 tensor is an error
 * (at run time too, for numbers the compiler cannot see).
 */
export type NumberCheck<Op extends string, D extends DType, N> = {
  float32: unknown; float64: unknown; bool: unknown;
  int32: IsFractional<N> extends true ? DTypeMismatch<Op, 'int32', 'a float tensor next to a fractional number'> : unknown;
}[D];
/** `unknown` when DB is D or either is not known (`DType`), a DTypeMismatch for two different known dtypes. */
export type SameDType<Op extends string, D extends DType, DB extends DType> =
  [DB] extends [D] ? unknown : DType extends DB ? unknown : DType extends D ? unknown : DTypeMismatch<Op, DB, D & string>;
/** The dtype of two operands that must agree: the known one. */
export type Known<D extends DType, DB extends DType> = DType extends D ? DB : D;
