// Runs primitives and fused kernels on a cpu backend and on the reference backend, straight through the
// Backend interface, and compares the results.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  type Backend, type DType, type FusedKernel, type PrimParams, type Primitive, type TensorInfo, type TypedArray,
  allocArray, primitives, referenceBackend, runPrimitive,
} from '@safekey-ts/core';
import { type CpuBackend, type CpuPath, cpuBackend, loadNative, loadWasm } from '@safekey-ts/cpu';

export interface HostTensor { readonly data: TypedArray; readonly info: TensorInfo }

export const ref = referenceBackend();

/**
 * The paths this machine can run, with the reason for each one it cannot. A CI run must have them all.
 * SAFEKEY_CPU_TEST_PATHS=wasm (a comma list) keeps only those (a child run testing the other wasm build).
 */
export function availablePaths(): { paths: CpuPath[]; missing: string[] } {
  const paths: CpuPath[] = [], missing: string[] = [];
  const n = loadNative();
  if ('addon' in n) paths.push('native'); else missing.push(`native: ${n.error}`);
  const w = loadWasm();
  if ('module' in w) paths.push('wasm'); else missing.push(`wasm: ${w.error}`);
  paths.push('js');
  const only = process.env.SAFEKEY_CPU_TEST_PATHS?.split(',');
  return only ? { paths: paths.filter((p) => only.includes(p)), missing: [] } : { paths, missing };
}

const backends = new Map<string, CpuBackend>();
export function backendFor(path: CpuPath, threads = 2, vmMinElements?: number): CpuBackend {
  const key = `${path}/${threads}/${vmMinElements}`;
  let b = backends.get(key);
  if (!b) { b = cpuBackend({ path, threads, ...(vmMinElements !== undefined ? { vmMinElements } : {}) }); backends.set(key, b); }
  return b;
}

export function host(data: ArrayLike<number>, shape: readonly number[], dtype: DType): HostTensor {
  const a = allocArray(dtype, data.length);
  for (let i = 0; i < data.length; i++) a[i] = data[i];
  return { data: a, info: { shape: [...shape], dtype } };
}

/** Runs `prim` on `b`; the output info comes from the primitive table, as the core computes it. */
export function runOn<P extends Primitive>(b: Backend, prim: P, xs: readonly HostTensor[], params: PrimParams[P]): HostTensor {
  const info = primitives[prim].infer(xs.map((x) => x.info), params);
  const hs = xs.map((x) => ({ handle: b.upload(x.data, x.info), info: x.info }));
  const h = runPrimitive(b, prim, hs, params, info);
  const data = b.read(h, info);
  b.free(h);
  for (const x of hs) b.free(x.handle);
  return { data, info };
}

export function runFusedOn(b: Backend, k: FusedKernel, xs: readonly HostTensor[]): TypedArray {
  const hs = xs.map((x) => ({ handle: b.upload(x.data, x.info), info: x.info }));
  const h = b.runKernel(k, hs);
  const data = b.read(h, k.out);
  b.free(h);
  for (const x of hs) b.free(x.handle);
  return data;
}

/** Bitwise equality (NaN equals NaN, -0 differs from 0). */
export function assertSame(got: TypedArray, want: TypedArray, what: string): void {
  assert.equal(got.constructor.name, want.constructor.name, `${what}: array type`);
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++)
    if (!Object.is(got[i], want[i])) assert.fail(`${what}: at ${i} got ${got[i]}, want ${want[i]}`);
}

// ---------- generators ----------

export const dimsArb = (rank: number, max = 4) => fc.array(fc.integer({ min: 1, max }), { minLength: rank, maxLength: rank });
export const shapeArb = (minRank = 0, maxRank = 4, max = 4) => fc.integer({ min: minRank, max: maxRank }).chain((r) => dimsArb(r, max));

/** `n` shapes broadcasting to a common one: leading dims dropped and some dims set to 1. */
export const broadcastShapesArb = (n: number, max = 4, maxRank = 4) => shapeArb(0, maxRank, max).chain((out) =>
  fc.tuple(...Array.from({ length: n }, () => fc.tuple(
    fc.integer({ min: 0, max: out.length }),
    fc.array(fc.boolean(), { minLength: out.length, maxLength: out.length }),
  ).map(([drop, ones]) => out.map((d, i) => (ones[i] ? 1 : d)).slice(drop)))));

/** Values for a dtype: floats with some specials, small ints, bools. */
export const valuesArb = (dtype: DType, size: number, specials = true) => {
  const v = dtype === 'bool' ? fc.integer({ min: 0, max: 1 })
    : dtype === 'int32' ? fc.oneof(fc.integer({ min: -9, max: 9 }), fc.integer())
    : specials ? fc.oneof({ weight: 8, arbitrary: fc.double({ min: -4, max: 4, noNaN: true }) },
      { weight: 1, arbitrary: fc.constantFrom(0, -0, NaN, Infinity, -Infinity, 1e30, -1e-30) })
    : fc.double({ min: -2, max: 2, noNaN: true });
  return fc.array(v, { minLength: size, maxLength: size });
};

export const hostArb = (shape: readonly number[], dtype: DType, specials = true) =>
  valuesArb(dtype, shape.reduce((p, d) => p * d, 1), specials).map((v) => host(v, shape, dtype));

/** The NumPy broadcast of several shapes (assumed compatible). */
export function broadcastAll(shapes: readonly (readonly number[])[]): number[] {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  return Array.from({ length: rank }, (_, i) => Math.max(1, ...shapes.map((s) => s[s.length - rank + i] ?? 1)));
}
