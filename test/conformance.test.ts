// Core's backend conformance suite (exact cases, special values, properties, errors, memory, jit replay) on
// every backend of the list.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { getBackend } from '@safekey-ts/core';
import { runConformanceSuite } from '@safekey-ts/core/testing';
import { forEachBackend } from './backends.js';

const original = getBackend();

forEachBackend('conformance', (b) => runConformanceSuite(b.name, b.make, b.conformance));

test('the conformance suite restores the default backend', () => {
  assert.equal(getBackend(), original);
});
