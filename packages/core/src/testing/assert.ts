// Assertions for tensor tests. Deliberately independent of the library's own helpers: the expected side of
// every comparison is built here, from plain nested arrays and plain loops.
import assert from 'node:assert/strict';
import type { DType } from '../dtype.js';
import { TensorError, type TensorErrorKind } from '../errors.js';
import type { Tensor } from '../tensor.js';

/** A nested array literal of numbers or booleans, as written in a test. */
export type NestedNum = number | boolean | readonly NestedNum[];

/** Shape and row-major values of a rectangular nested array (asserts it is rectangular). */
export function flatten(v: NestedNum): { shape: number[]; data: number[] } {
  const shape: number[] = [];
  for (let x: NestedNum = v; Array.isArray(x); x = (x as readonly NestedNum[])[0]) {
    shape.push(x.length);
    if (x.length === 0) break;
  }
  const data: number[] = [];
  const walk = (x: NestedNum, depth: number): void => {
    if (depth === shape.length) { assert.ok(!Array.isArray(x), 'ragged expectation'); data.push(+(x as number | boolean)); return; }
    assert.ok(Array.isArray(x) && x.length === shape[depth], 'ragged expectation');
    for (const y of x as readonly NestedNum[]) walk(y, depth + 1);
  };
  walk(v, 0);
  return { shape, data };
}

/**
 * `|a - e| <= tol * max(1, |e|)`: relative for large values, absolute near zero. NaN matches NaN, an
 * infinity only the same infinity. With `tol` 0 it is exact equality (0 and -0 are equal).
 */
export function close(a: number, e: number, tol: number): boolean {
  if (Number.isNaN(e)) return Number.isNaN(a);
  if (!Number.isFinite(e) || tol === 0) return a === e;
  return Math.abs(a - e) <= tol * Math.max(1, Math.abs(e));
}

export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what = 'values'): void {
  assert.equal(actual.length, expected.length, `${what}: length ${actual.length}, expected ${expected.length}`);
  for (let i = 0; i < expected.length; i++) {
    if (!close(actual[i], expected[i], tol))
      assert.fail(`${what}: at flat index ${i} got ${actual[i]}, expected ${expected[i]} (tol ${tol})\n  actual:   [${Array.from(actual).join(', ')}]\n  expected: [${Array.from(expected).join(', ')}]`);
  }
}

/** The value a dtype stores for a double, computed here (not with the library's `roundTo`). */
export function storeAs(dtype: DType, v: number): number {
  switch (dtype) {
    case 'float32': return Math.fround(v);
    case 'float64': return v;
    case 'int32': return v | 0;
    case 'bool': return v ? 1 : 0;
    case 'bfloat16': throw new Error('storeAs: a bfloat16 tensor reads back as bits: compare its cast to float32');
  }
}

/**
 * The tolerance a comparison uses for a dtype: ints and bools are exact; float64 allows a few ulps, since a
 * hand-written double is correctly rounded and a double op like `1 / Math.sqrt(x)` may be one ulp off.
 */
export const tolFor = (dtype: DType, tol: number): number =>
  dtype === 'float64' ? Math.max(tol, 4 * Number.EPSILON) : dtype === 'float32' ? tol : 0;

export interface Expect {
  /** Tolerance for float outputs (ints and bools are always exact; see `tolFor`). */
  readonly tol: number;
  /** Expected dtype; float32 when omitted. */
  readonly dtype?: DType;
  /** Expected shape when the nested literal cannot say it (e.g. `[2, 0]`). */
  readonly shape?: readonly number[];
}

/**
 * Checks a tensor's dtype, shape and values against a nested literal. A float32 expectation is rounded to
 * float32 first, so a single float32 op is compared against `Math.fround` of its exact double result.
 */
export function expectTensor(actual: Tensor, expected: NestedNum, opts: Expect): void {
  const dtype = opts.dtype ?? 'float32';
  const { shape, data } = flatten(expected);
  assert.equal(actual.dtype, dtype, `dtype ${actual.dtype}, expected ${dtype}`);
  assert.deepEqual([...actual.shape], [...(opts.shape ?? shape)], 'shape');
  const tol = tolFor(dtype, opts.tol);
  assertClose(Array.from(actual.dataSync() as ArrayLike<number>), data.map((v) => storeAs(dtype, v)), tol, `tensor ${JSON.stringify(actual.shape)} ${dtype}`);
}

/** Same as `expectTensor` with flat expected values and an explicit shape. */
export function expectFlat(actual: Tensor, shape: readonly number[], expected: ArrayLike<number>, opts: Omit<Expect, 'shape'>): void {
  const dtype = opts.dtype ?? 'float32';
  assert.equal(actual.dtype, dtype, `dtype ${actual.dtype}, expected ${dtype}`);
  assert.deepEqual([...actual.shape], [...shape], 'shape');
  const tol = tolFor(dtype, opts.tol);
  assertClose(Array.from(actual.dataSync() as ArrayLike<number>), Array.from(expected, (v) => storeAs(dtype, v)), tol, `tensor ${JSON.stringify(shape)} ${dtype}`);
}

export interface ExpectedError {
  readonly kind: TensorErrorKind;
  readonly op: string;
  /** Checked when given. */
  readonly shapes?: readonly (readonly number[])[];
  /** Checked when given. */
  readonly path?: string;
}

/** Asserts that `f` throws a TensorError with the given kind, op (and shapes / path when given). */
export function expectError(f: () => unknown, want: ExpectedError): TensorError {
  let caught: unknown = undefined;
  let threw = false;
  try { f(); } catch (e) { caught = e; threw = true; }
  assert.ok(threw, `expected a TensorError ${want.kind} from ${want.op}, but nothing was thrown`);
  return expectErrorValue(caught, want);
}

/** Asserts that a value (e.g. the Left of an Either) is a TensorError with the given fields. */
export function expectErrorValue(e: unknown, want: ExpectedError): TensorError {
  assert.ok(e instanceof TensorError, `expected a TensorError, got ${String(e)}`);
  assert.equal(e.kind, want.kind, `kind (message: ${e.message})`);
  assert.equal(e.op, want.op, `op (message: ${e.message})`);
  if (want.shapes !== undefined) assert.deepEqual(e.shapes?.map((s) => [...s]), want.shapes.map((s) => [...s]), 'shapes');
  if (want.path !== undefined) assert.equal(e.path, want.path, 'path');
  return e;
}
