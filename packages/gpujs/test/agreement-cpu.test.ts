import { agreementSuite } from './agreement-suite.js';
import { forMode } from './support.js';

forMode('cpu', (make) => agreementSuite('cpu', make));
