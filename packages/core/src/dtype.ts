/**
 * `bfloat16` is a storage dtype (frozen weights kept in 16 bits): its tensors hold the bits in a Uint16Array
 * (`dataSync`; `toArray` and `item` give values), only `cast`, `matmul` (with a float32 operand, computed in
 * float32), `gather` and `reshape` take them (`BF16_PRIMS`), and autograd treats them as constants, as int32.
 */
export type DType = 'float32' | 'float64' | 'int32' | 'bool' | 'bfloat16';
export type FloatDType = 'float32' | 'float64';

export interface TypedArrayOf {
  float32: Float32Array;
  float64: Float64Array;
  int32: Int32Array;
  bool: Uint8Array;
  bfloat16: Uint16Array;
}
export type TypedArray = TypedArrayOf[DType];

export const DTYPES: readonly DType[] = ['float32', 'float64', 'int32', 'bool', 'bfloat16'];

export function allocArray<D extends DType>(dtype: D, size: number): TypedArrayOf[D] {
  switch (dtype) {
    case 'float32': return new Float32Array(size) as TypedArrayOf[D];
    case 'float64': return new Float64Array(size) as TypedArrayOf[D];
    case 'int32': return new Int32Array(size) as TypedArrayOf[D];
    case 'bool': return new Uint8Array(size) as TypedArrayOf[D];
    case 'bfloat16': return new Uint16Array(size) as TypedArrayOf[D];
  }
  throw new Error(`unknown dtype ${String(dtype)}`);
}

/** The dtype a typed array stores (a Uint8Array stores bool, a Uint16Array bfloat16 bits). */
export const dtypeOfArray = (a: TypedArray): DType =>
  a instanceof Float32Array ? 'float32' : a instanceof Float64Array ? 'float64' : a instanceof Int32Array ? 'int32' : a instanceof Uint16Array ? 'bfloat16' : 'bool';

export const isFloat = (d: DType): d is FloatDType => d === 'float32' || d === 'float64';

const rank: Record<DType, number> = { bool: 0, int32: 1, bfloat16: 2, float32: 3, float64: 4 };

/** Result dtype of mixing two dtypes (bool < int32 < bfloat16 < float32 < float64), as NumPy without value-based casts. */
export const promote = (a: DType, b: DType): DType => (rank[a] >= rank[b] ? a : b);

/** Rounds a JS number to what the dtype stores, as a typed array would. */
export function roundTo(dtype: DType, v: number): number {
  switch (dtype) {
    case 'float32': return Math.fround(v);
    case 'float64': return v;
    case 'int32': return v | 0;
    case 'bool': return v ? 1 : 0;
    case 'bfloat16': return bf16Value(bf16Bits(v));
  }
}

const f32 = new Float32Array(1), u32 = new Uint32Array(f32.buffer);

/** The bfloat16 bits nearest a float32's bits `b` (ties to even; a NaN stays a quiet NaN, its sign kept). */
const bf16OfF32Bits = (b: number): number =>
  ((b & 0x7fffffff) > 0x7f800000 ? (b >>> 16) | 0x40 : (b + 0x7fff + ((b >>> 16) & 1)) >>> 16) & 0xffff;

/** The bfloat16 bits of `v` (rounded to float32, then to the nearest bfloat16, ties to even; NaN stays NaN). */
export function bf16Bits(v: number): number {
  f32[0] = v;
  return bf16OfF32Bits(u32[0]);
}

/** The value of bfloat16 bits. */
export function bf16Value(bits: number): number {
  u32[0] = bits << 16;
  return f32[0];
}

/** `dst[i] = bfloat16 bits of src[i]`. */
export function toBfloat16(src: ArrayLike<number>, dst: Uint16Array): Uint16Array {
  if (!(src instanceof Float32Array)) {
    for (let i = 0; i < dst.length; i++) dst[i] = bf16Bits(src[i]);
    return dst;
  }
  const bits = new Uint32Array(src.buffer, src.byteOffset, src.length); // the float32's own bits, no round trip
  for (let i = 0; i < dst.length; i++) dst[i] = bf16OfF32Bits(bits[i]);
  return dst;
}

/** `dst[i] = value of the bfloat16 bits src[i]` (exact: a bfloat16 is the top half of a float32). */
export function fromBfloat16(src: Uint16Array, dst: Float32Array): Float32Array {
  const bits = new Uint32Array(dst.buffer, dst.byteOffset, dst.length);
  for (let i = 0; i < bits.length; i++) bits[i] = src[i] << 16;
  return dst;
}

/** A bfloat16 array's values as a new Float32Array; any other array as it is. */
export const widenBfloat16 = (a: TypedArray): Exclude<TypedArray, Uint16Array> =>
  (a instanceof Uint16Array ? fromBfloat16(a, new Float32Array(a.length)) : a);

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
  bfloat16: DTypeMismatch<Op, 'bfloat16', 'float32 | float64 (cast it first)'>;
}[D];
type IsFractional<N> = number extends N ? false : `${N & number}` extends `${string}.${string}` | `${string}e-${string}` ? true : false;
/**
 * A JS number next to a tensor of dtype D takes D; a fractional literal next to an int32 tensor is an error
 * (at run time too, for numbers the compiler cannot see).
 */
export type NumberCheck<Op extends string, D extends DType, N> = {
  float32: unknown; float64: unknown; bool: unknown; bfloat16: unknown;
  int32: IsFractional<N> extends true ? DTypeMismatch<Op, 'int32', 'a float tensor next to a fractional number'> : unknown;
}[D];
/** `unknown` when DB is D or either is not known (`DType`), a DTypeMismatch for two different known dtypes. */
export type SameDType<Op extends string, D extends DType, DB extends DType> =
  [DB] extends [D] ? unknown : DType extends DB ? unknown : DType extends D ? unknown : DTypeMismatch<Op, DB, D & string>;
/** The dtype of two operands that must agree: the known one. */
export type Known<D extends DType, DB extends DType> = DType extends D ? DB : D;
