import fc from 'fast-check';
import { type Shape, type Tensor, fromArray, sizeOf } from '@safekey-ts/core';

/** Plain data for a float64 tensor; tensors are built inside properties, so shrinking stays cheap. */
export interface Data { readonly shape: number[]; readonly values: number[] }

export const t64 = (d: Data): Tensor => fromArray(Float64Array.from(d.values), d.shape, 'float64');

export const dimsArb = (rank: number, max = 3) => fc.array(fc.integer({ min: 1, max }), { minLength: rank, maxLength: rank });
export const shapeArb = (minRank = 0, maxRank = 3) => fc.integer({ min: minRank, max: maxRank }).chain((r) => dimsArb(r));

/** `n` shapes that broadcast together: a common shape with leading dims dropped and some dims set to 1. */
export const broadcastShapesArb = (n: number, minRank = 0) => shapeArb(minRank).chain((out) =>
  fc.tuple(...Array.from({ length: n }, () => fc.tuple(
    fc.integer({ min: 0, max: out.length - minRank }),
    fc.array(fc.boolean(), { minLength: out.length, maxLength: out.length }),
  ).map(([drop, ones]) => out.map((d, i) => (ones[i] ? 1 : d)).slice(drop)))));

export interface ValueOpts {
  readonly min?: number;
  readonly max?: number;
  /** Keep |x| >= this (away from a non-differentiable point or a pole at 0). */
  readonly awayFromZero?: number;
}

export const valuesArb = (size: number, o: ValueOpts = {}) => {
  const { min = -2, max = 2, awayFromZero = 0 } = o;
  const v = fc.double({ min, max, noNaN: true, noDefaultInfinity: true });
  const away = v.map((x) => (Math.abs(x) >= awayFromZero ? x : x < 0 ? x - awayFromZero : x + awayFromZero));
  return fc.array(away, { minLength: size, maxLength: size });
};

export const dataArb = (shape: Shape, o: ValueOpts = {}): fc.Arbitrary<Data> =>
  valuesArb(sizeOf(shape), o).map((values) => ({ shape: [...shape], values }));

/** Distinct values (no ties for max/min), spaced at least 0.1 apart. */
export const distinctDataArb = (shape: Shape): fc.Arbitrary<Data> =>
  fc.uniqueArray(fc.integer({ min: -40, max: 40 }), { minLength: sizeOf(shape), maxLength: sizeOf(shape) })
    .map((ints) => ({ shape: [...shape], values: ints.map((i) => i / 10 + 0.013) }));

export const indicesArb = (shape: Shape, bound: number) =>
  fc.array(fc.integer({ min: 0, max: bound - 1 }), { minLength: sizeOf(shape), maxLength: sizeOf(shape) });
