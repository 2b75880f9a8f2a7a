import { fromData } from './bind.js';
import type { Tensor } from './tensor.js';
import { type FloatDType, allocArray, roundTo } from './dtype.js';
import { argError } from './errors.js';
import { type Norm, type Shape, checkDims, sizeOf } from './shape.js';

/**
 * A PRNG key: two uint32 words, as in JAX. Keys are values: `split` makes new independent keys, nothing is
 * mutated, so the same key always gives the same numbers.
 */
export type Key = readonly [number, number] & { readonly __key: true };

const asKey = (a: number, b: number): Key => [a >>> 0, b >>> 0] as unknown as Key;

/** A key from an integer seed (JAX `PRNGKey`: high word, low word). */
export function key(seed: number): Key {
  if (!Number.isSafeInteger(seed)) throw argError('key', `seed must be a safe integer, got ${seed}`);
  const s = BigInt.asUintN(64, BigInt(seed));
  return asKey(Number(s >> 32n), Number(s & 0xffffffffn));
}

const rotl = (x: number, r: number) => ((x << r) | (x >>> (32 - r))) >>> 0;
const ROT = [[13, 15, 26, 6], [17, 29, 16, 24]];

/** Threefry-2x32 with 20 rounds (Random123; the hash JAX uses) on one counter pair. */
export function threefry2x32(k: readonly [number, number], x0: number, x1: number): [number, number] {
  const ks = [k[0] >>> 0, k[1] >>> 0, (k[0] ^ k[1] ^ 0x1bd11bda) >>> 0];
  let a = (x0 + ks[0]) >>> 0, b = (x1 + ks[1]) >>> 0;
  for (let i = 0; i < 5; i++) {
    for (const r of ROT[i % 2]) { a = (a + b) >>> 0; b = rotl(b, r) ^ a; }
    a = (a + ks[(i + 1) % 3]) >>> 0;
    b = (b + ks[(i + 2) % 3] + i + 1) >>> 0;
  }
  return [a, b];
}

/** `n` uint32 words from a key: the hash of counters 0..n-1, split in two halves as JAX does. */
export function randomBits(k: Key, n: number): Uint32Array {
  const half = Math.ceil(n / 2);
  const out = new Uint32Array(2 * half);
  for (let i = 0; i < half; i++) {
    const [a, b] = threefry2x32(k, i, i + half);
    out[i] = a; out[i + half] = b;
  }
  return n === out.length ? out : out.slice(0, n);
}

/** `n` new keys, independent of each other and of `k`. */
export function split(k: Key, n = 2): Key[] {
  const bits = randomBits(k, 2 * n);
  return Array.from({ length: n }, (_, i) => asKey(bits[2 * i], bits[2 * i + 1]));
}

/** A new key derived from `k` and an integer (for per-step or per-layer keys). */
export function foldIn(k: Key, data: number): Key {
  const [a, b] = threefry2x32(k, 0, data >>> 0);
  return asKey(a, b);
}

/** Host-side uniform [0, 1) doubles with 53 random bits each. */
export function uniformArray(k: Key, n: number): Float64Array {
  const bits = randomBits(k, 2 * n);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = ((bits[2 * i] >>> 5) * 67108864 + (bits[2 * i + 1] >>> 6)) / 9007199254740992;
  return out;
}

function floatTensor<S extends Shape, D extends FloatDType>(values: Float64Array, shape: S, dtype: D): Tensor<Norm<S>, D> {
  const data = allocArray(dtype, values.length);
  data.set(values);
  return fromData(data, shape, dtype) as Tensor<Norm<S>, D>;
}

/** The largest value of `dtype` below `x`: a cap under which rounding to the dtype cannot reach `x`. */
function largestBelow(dtype: FloatDType, x: number): number {
  const r = roundTo(dtype, x);
  if (r < x) return r;
  if (r === 0) return dtype === 'float32' ? -(2 ** -149) : -Number.MIN_VALUE;
  const v = new DataView(new ArrayBuffer(8));
  if (dtype === 'float32') { v.setFloat32(0, r); v.setUint32(0, v.getUint32(0) + (r > 0 ? -1 : 1)); return v.getFloat32(0); }
  v.setFloat64(0, r); v.setBigUint64(0, v.getBigUint64(0) + (r > 0 ? -1n : 1n)); return v.getFloat64(0);
}

/** Uniform in `[low, high)`. */
export function uniform<const S extends Shape, D extends FloatDType = 'float32'>(k: Key, shape: S, opts: { low?: number; high?: number; dtype?: D } = {}): Tensor<Norm<S>, NoInfer<D>> {
  checkDims('uniform', shape);
  const { low = 0, high = 1 } = opts;
  const dtype = opts.dtype ?? ('float32' as D);
  // a double just below `high` can round up to it in the dtype (1 - 2^-30 is 1 in float32): cap it
  const top = largestBelow(dtype, high);
  const u = uniformArray(k, sizeOf(shape)).map((v) => Math.min(low + (high - low) * v, top));
  return floatTensor(u, shape, dtype);
}

/** Standard normal (Box-Muller), times `std`, plus `mean`. */
export function normal<const S extends Shape, D extends FloatDType = 'float32'>(k: Key, shape: S, opts: { mean?: number; std?: number; dtype?: D } = {}): Tensor<Norm<S>, NoInfer<D>> {
  checkDims('normal', shape);
  const { mean = 0, std = 1 } = opts;
  const n = sizeOf(shape);
  const u = uniformArray(k, 2 * n);
  const z = new Float64Array(n);
  for (let i = 0; i < n; i++) z[i] = mean + std * Math.sqrt(-2 * Math.log(1 - u[2 * i])) * Math.cos(2 * Math.PI * u[2 * i + 1]);
  return floatTensor(z, shape, opts.dtype ?? ('float32' as D));
}

/** True with probability `p`. */
export function bernoulli<const S extends Shape>(k: Key, p: number, shape: S): Tensor<Norm<S>, 'bool'> {
  if (!(p >= 0 && p <= 1)) throw argError('bernoulli', `p must be in [0, 1], got ${p}`);
  checkDims('bernoulli', shape);
  const u = uniformArray(k, sizeOf(shape));
  return fromData(Uint8Array.from(u, (v) => +(v < p)), shape, 'bool') as Tensor<Norm<S>, 'bool'>;
}

/** A uniformly random permutation of `0..n-1` (Fisher-Yates). */
export function permutation(k: Key, n: number): Tensor<[number], 'int32'> {
  if (!Number.isInteger(n) || n < 0) throw argError('permutation', `n must be a non-negative integer, got ${n}`);
  const u = uniformArray(k, n);
  const p = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(u[i] * (i + 1));
    [p[i], p[j]] = [p[j], p[i]];
  }
  return fromData(p, [n], 'int32');
}
