// The autograd test files (gradient properties, composites, second order, models, API), imported by the
// autograd-<path>.test.ts files after they have made a cpu backend the default, so every test in them runs
// on that path of the cpu backend.
import '../../autograd/test/primitive-grads.test.js';
import '../../autograd/test/composite-grads.test.js';
import '../../autograd/test/second-order.test.js';
import '../../autograd/test/models.test.js';
import '../../autograd/test/api.test.js';
