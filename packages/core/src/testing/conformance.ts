/**
 * The backend conformance suite: every backend (reference, a gpu.js backend, a fast CPU backend) runs the
 * same exact cases and properties through the public ops. Use it from a `*.test.ts` file:
 *
 *   runConformanceSuite('reference', () => referenceBackend());
 *   runConformanceSuite('webgl', () => gpuBackend(), { tol: 1e-5 });
 *
 * It defines `node:test` suites and uses fast-check (a peer dependency of this sub-path).
 */
import { after, before, describe } from 'node:test';
import type { Backend } from '../backend.js';
import { getBackend, setBackend } from '../bind.js';
import { compositeSuite } from './composite-cases.js';
import type { SuiteContext } from './context.js';
import { errorSuite } from './error-cases.js';
import { jitSuite } from './jit-cases.js';
import { memorySuite } from './memory-cases.js';
import { primitiveSuite, specialValueSuite } from './primitive-cases.js';
import { propertySuite } from './properties.js';
import { withoutSubnormals } from './arbitraries.js';

export interface ConformanceOptions {
  /**
   * Relative tolerance of one float primitive against `Math.fround` of its exact double result
   * (`|got - want| <= tol * max(1, |want|)`). 0, the default, demands exact results, which the reference
   * backend gives; a GPU backend with approximate transcendentals wants about 1e-5.
   */
  readonly tol?: number;
  /** Tolerance for chains of float32 ops against double arithmetic; default `max(tol, 1e-5)`. */
  readonly chainTol?: number;
  /** fast-check runs per property; default 60. */
  readonly numRuns?: number;
  /** The device flushes float32 subnormals to zero (Mesa llvmpipe, many GPUs): random inputs leave them out. */
  readonly flushesSubnormals?: boolean;
}

/**
 * Defines the conformance suite for one backend. `makeBackend` is called once for the backend under test
 * (made the default backend while the suite runs; the previous default is restored afterwards) and once
 * more for a second instance in the backend-mismatch check.
 */
export function runConformanceSuite(name: string, makeBackend: () => Backend, opts: ConformanceOptions = {}): void {
  const backend = makeBackend();
  const tol = opts.tol ?? 0;
  const ctx: SuiteContext = {
    backend, makeBackend, tol,
    chainTol: opts.chainTol ?? Math.max(tol, 1e-5),
    numRuns: opts.numRuns ?? 60,
    supports: (dtype) => backend.dtypes.includes(dtype),
  };
  describe(`backend conformance: ${name}`, () => withoutSubnormals(opts.flushesSubnormals ?? false, () => {
    let previous: Backend | undefined;
    before(() => { previous = getBackend(); setBackend(backend); });
    after(() => { if (previous) setBackend(previous); });
    primitiveSuite(ctx);
    specialValueSuite(ctx);
    compositeSuite(ctx);
    propertySuite(ctx);
    errorSuite(ctx);
    memorySuite(ctx);
    jitSuite(ctx);
  }));
}

export type { SuiteContext } from './context.js';
export { close, assertClose, expectTensor, expectFlat, expectError, expectErrorValue, flatten, type NestedNum, type ExpectedError } from './assert.js';
