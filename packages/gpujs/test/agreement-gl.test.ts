import { agreementSuite } from './agreement-suite.js';
import { forMode } from './support.js';

forMode('headlessgl', (make) => agreementSuite('headlessgl', make));
