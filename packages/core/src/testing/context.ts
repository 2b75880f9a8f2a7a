import { test } from 'node:test';
import type { Backend } from '../backend.js';
import type { DType } from '../dtype.js';
import { tidy } from '../scope.js';

/** What each group of the conformance suite gets. */
export interface SuiteContext {
  /** The backend under test (the default backend while the suite runs). */
  readonly backend: Backend;
  /** Makes another instance of the backend under test (for backend-mismatch checks). */
  readonly makeBackend: () => Backend;
  /** Relative tolerance for one float primitive against `Math.fround` of its exact double result. */
  readonly tol: number;
  /** Tolerance for chains of float32 ops (composites, properties) against a double computation. */
  readonly chainTol: number;
  /** fast-check runs per property. */
  readonly numRuns: number;
  readonly supports: (dtype: DType) => boolean;
}

/** A test whose body runs inside `tidy`, so the backend's buffers are freed afterwards. */
export function check(name: string, body: () => void, opts: { skip?: boolean | string } = {}): void {
  test(name, opts, () => { tidy(body); });
}
