import { gradSuite } from './grad-suite.js';
import { NUM_RUNS, forMode } from './support.js';

forMode('cpu', (make) => gradSuite('gpujs cpu', make, NUM_RUNS.cpu));
