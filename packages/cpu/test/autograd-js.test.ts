// packages/autograd's tests with the cpu backend's js path as the default backend.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { getBackend, setBackend } from '@safekey-ts/core';
import { type CpuBackend, cpuBackend } from '@safekey-ts/cpu';
import { availablePaths } from './helpers.js';

const { paths, missing } = availablePaths();
if (paths.includes('js')) {
  setBackend(cpuBackend({ path: 'js' }));
  await import('./autograd-suite.js');
  test('the autograd tests above ran on the cpu js path', () => { assert.equal((getBackend() as CpuBackend).path, 'js'); });
} else {
  if (process.env.CI) throw new Error(`CI must build every cpu path; missing: ${missing.join('; ')}`);
  test('autograd on the cpu js path', { skip: missing.join('; ') }, () => undefined);
}
