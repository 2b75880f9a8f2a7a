// Autograd on every backend of the list. Where the backend stores float64: autograd's suites against central
// differences (every primitive, the composite ops, second order, small models). Elsewhere (gpu.js): the
// gradients computed in float32 against the reference backend's in float64 at the same points. On all: the
// gradients at the edges (saturation, huge logits, kinks, empty inputs) against analytic derivatives.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Backend, getBackend, setBackend } from '@safekey-ts/core';
import { forEachBackend } from './backends.js';
import { compositeGradSuite } from './suites/composite-grads.js';
import { edgeGradSuite } from './suites/edge-grads.js';
import { float32GradSuite } from './suites/float32-grads.js';
import { modelGradSuite } from './suites/model-grads.js';
import { primitiveGradSuite } from './suites/primitive-grads.js';
import { secondOrderSuite } from './suites/second-order.js';

forEachBackend('gradients', (b) => {
  edgeGradSuite(b.name, b.make);
  if (!b.float64) { float32GradSuite(b.name, b.make, b.gradRuns ?? 40); return; }
  describe(`autograd on ${b.name} (float64)`, () => {
    const backend = b.make();
    let previous: Backend;
    before(() => { previous = getBackend(); setBackend(backend); });
    after(() => { setBackend(previous); });
    primitiveGradSuite(backend);
    compositeGradSuite();
    secondOrderSuite();
    modelGradSuite();
    test(`the tests above ran on ${b.name}`, () => { assert.equal(getBackend(), backend); });
  });
});
