import { gradSuite } from './grad-suite.js';
import { NUM_RUNS, forMode } from './support.js';

forMode('webasm', (make) => gradSuite('gpujs webasm', make, NUM_RUNS.webasm));
