import { agreementSuite } from './agreement-suite.js';
import { forMode } from './support.js';

forMode('webasm', (make) => agreementSuite('webasm', make));
