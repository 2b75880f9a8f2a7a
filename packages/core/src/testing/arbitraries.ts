// fast-check generators and a tiny, self-contained row-major index calculus for the expected side of
// properties (it does not use the backend's `forEachIndex` / `broadcastOffsets` / `stridesOf`).
import fc from 'fast-check';
import type { DType } from '../dtype.js';
import { fromArray, tensor } from '../creation.js';
import type { Shape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import type { NestedNum } from './assert.js';

// ---------- index calculus ----------

export const numel = (shape: readonly number[]): number => { let n = 1; for (const d of shape) n *= d; return n; };

/** Multi-index of flat position `flat` in a row-major array of `shape`. */
export function unravel(flat: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) { idx[d] = flat % shape[d]; flat = Math.floor(flat / shape[d]); }
  return idx;
}

/** Flat position of a multi-index in a row-major array of `shape`. */
export function ravel(idx: readonly number[], shape: readonly number[]): number {
  let flat = 0;
  for (let d = 0; d < shape.length; d++) flat = flat * shape[d] + idx[d];
  return flat;
}

/** The NumPy broadcast of several shapes, or null when they do not broadcast. */
export function broadcastAll(shapes: readonly (readonly number[])[]): number[] | null {
  const n = Math.max(0, ...shapes.map((s) => s.length));
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    let d = 1;
    for (const s of shapes) {
      const x = s[s.length - n + i] ?? 1;
      if (x === 1) continue;
      if (d !== 1 && d !== x) return null;
      d = x;
    }
    out.push(d);
  }
  return out;
}

/** The element of `data` (of `shape`) that broadcasts onto output index `outIdx`. */
export function broadcastRead(data: ArrayLike<number>, shape: readonly number[], outIdx: readonly number[]): number {
  const lead = outIdx.length - shape.length;
  const idx = shape.map((d, i) => (d === 1 ? 0 : outIdx[lead + i]));
  return data[ravel(idx, shape)];
}

// ---------- building tensors ----------

export function typedArray(dtype: DType, values: ArrayLike<number>) {
  switch (dtype) {
    case 'float32': return Float32Array.from(values);
    case 'float64': return Float64Array.from(values);
    case 'int32': return Int32Array.from(values);
    case 'bool': return Uint8Array.from(values, (v) => (v ? 1 : 0));
  }
}

/** A tensor with dynamic (unchecked) shape from flat values. */
export function fromValues<D extends DType = 'float32'>(values: ArrayLike<number>, shape: readonly number[], dtype?: D): Tensor<Shape, D> {
  const d = dtype ?? ('float32' as D);
  return fromArray(typedArray(d, values) as never, shape, d) as Tensor<Shape, D>;
}

/** A tensor with dynamic (unchecked) shape from a nested literal, for exact cases and error cases. */
export function T<D extends DType = 'float32'>(v: NestedNum, dtype?: D): Tensor<Shape, D> {
  return tensor(v, dtype) as unknown as Tensor<Shape, D>;
}

// ---------- arbitraries ----------

export const dimArb = fc.integer({ min: 1, max: 4 });
export const shapeArb = (minRank = 0, maxRank = 3): fc.Arbitrary<number[]> => fc.array(dimArb, { minLength: minRank, maxLength: maxRank });

let flushSubnormals = false;
/** Builds arbitraries without float32 subnormals while `f` runs (for devices that flush them to zero). */
export function withoutSubnormals<R>(on: boolean, f: () => R): R {
  const before = flushSubnormals;
  flushSubnormals = on;
  try { return f(); } finally { flushSubnormals = before; }
}
const MIN_NORMAL_F32 = 1.1754943508222875e-38;

/** Finite float32 values in [-bound, bound] (including -0, and subnormals unless `withoutSubnormals`). */
export const f32Arb = (bound = 8): fc.Arbitrary<number> => {
  const a = fc.float({ min: -Math.fround(bound), max: Math.fround(bound), noNaN: true, noDefaultInfinity: true });
  return flushSubnormals ? a.map((v) => (Math.abs(v) < MIN_NORMAL_F32 ? 0 : v)) : a;
};

/** Multiples of 1/8 in [-8, 8]: exact in float32, so sums and differences of a few of them are exact too. */
export const gridArb: fc.Arbitrary<number> = fc.integer({ min: -64, max: 64 }).map((i) => i / 8);

export const valuesArb = (n: number, elem: fc.Arbitrary<number> = f32Arb()): fc.Arbitrary<number[]> => fc.array(elem, { minLength: n, maxLength: n });

export interface Sample { readonly shape: number[]; readonly data: number[] }

/** A shape with values for it. */
export const sampleArb = (shape: fc.Arbitrary<number[]> = shapeArb(), elem: fc.Arbitrary<number> = f32Arb()): fc.Arbitrary<Sample> =>
  shape.chain((s) => valuesArb(numel(s), elem).map((data) => ({ shape: s, data })));

/** A shape that broadcasts to `out`: some leading dims dropped, some dims replaced by 1. */
export const broadcastableTo = (out: readonly number[]): fc.Arbitrary<number[]> =>
  fc.tuple(fc.integer({ min: 0, max: out.length }), fc.array(fc.boolean(), { minLength: out.length, maxLength: out.length }))
    .map(([drop, ones]) => out.slice(drop).map((d, i) => (ones[drop + i] ? 1 : d)));

/** `count` mutually broadcastable shapes, each with values. */
export const broadcastSamplesArb = (count: number, elem: fc.Arbitrary<number> = f32Arb()): fc.Arbitrary<Sample[]> =>
  shapeArb().chain((out) => fc.tuple(...Array.from({ length: count }, () =>
    broadcastableTo(out).chain((s) => valuesArb(numel(s), elem).map((data): Sample => ({ shape: s, data }))))));

/** A permutation of `0..n-1`. */
export const permArb = (n: number): fc.Arbitrary<number[]> =>
  fc.array(fc.integer(), { minLength: n, maxLength: n })
    .map((keys) => keys.map((k, i) => [k, i] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]).map(([, i]) => i));
