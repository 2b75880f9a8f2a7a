// The backend conformance suite on the reference backend, which must be exact (tol 0) for single ops.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { getBackend, referenceBackend } from '@safekey-ts/core';
import { runConformanceSuite } from '@safekey-ts/core/testing';

const original = getBackend();

runConformanceSuite('reference', () => referenceBackend(), { tol: 0 });

test('the conformance suite restores the default backend', () => {
  assert.equal(getBackend(), original);
});
