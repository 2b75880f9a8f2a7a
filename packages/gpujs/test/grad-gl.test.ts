import { gradSuite } from './grad-suite.js';
import { NUM_RUNS, forMode } from './support.js';

forMode('headlessgl', (make) => gradSuite('gpujs headlessgl', make, NUM_RUNS.headlessgl));
