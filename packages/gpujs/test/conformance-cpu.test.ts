// The backend conformance suite of core on the gpu.js backend in cpu mode.
import { runConformanceSuite } from '@safekey-ts/core/testing';
import { NUM_RUNS, PRIMITIVE_TOL, forMode } from './support.js';

forMode('cpu', (make) => runConformanceSuite('gpujs cpu', make, { tol: PRIMITIVE_TOL.cpu, numRuns: NUM_RUNS.cpu }));
