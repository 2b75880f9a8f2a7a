// The backend conformance suite of core on the gpu.js backend in webasm mode.
import { runConformanceSuite } from '@safekey-ts/core/testing';
import { NUM_RUNS, PRIMITIVE_TOL, forMode } from './support.js';

forMode('webasm', (make) => runConformanceSuite('gpujs webasm', make, { tol: PRIMITIVE_TOL.webasm, numRuns: NUM_RUNS.webasm }));
