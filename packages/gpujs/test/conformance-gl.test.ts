// The backend conformance suite of core on the gpu.js backend in headlessgl mode.
import { runConformanceSuite } from '@safekey-ts/core/testing';
import { NUM_RUNS, PRIMITIVE_TOL, forMode } from './support.js';

// llvmpipe (Mesa's GL on the CPU) flushes float32 subnormals to zero in arithmetic and comparisons
// (`eq(0, -1e-45)` is true there), so the suite's random inputs leave subnormals out.
forMode('headlessgl', (make) => runConformanceSuite('gpujs headless GL', make, { tol: PRIMITIVE_TOL.headlessgl, numRuns: NUM_RUNS.headlessgl, flushesSubnormals: true }));
