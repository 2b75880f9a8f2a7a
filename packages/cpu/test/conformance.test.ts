// The backend conformance suite (packages/core/src/testing) on every path of the cpu backend, each forced
// through the `path` option, in one `npm test`; the native path twice: as it runs (small kernels in JS, large
// ones in the addon) and with every element-wise kernel and reduction sent to the addon. Everything is exact
// (tol 0): the native and wasm paths accumulate float32 matmuls in float32, which the suite's matmul bound
// allows for at tol 0. A path this machine cannot build is skipped with its reason, except under CI, where it
// is an error.
import { after, before, describe, test } from 'node:test';
import { runConformanceSuite } from '@safekey-ts/core/testing';
import { cpuBackend } from '@safekey-ts/cpu';
import { setNativeMin } from '../src/elementwise.js';
import { availablePaths } from './helpers.js';

const { paths, missing } = availablePaths();
if (process.env.CI && missing.length) throw new Error(`CI must build every cpu path; missing: ${missing.join('; ')}`);
for (const why of missing) describe(`backend conformance: cpu (${why.split(':')[0]} path)`, () => { test(`skipped: ${why}`, { skip: why }, () => undefined); });
for (const path of paths) runConformanceSuite(`cpu (${path} path)`, () => cpuBackend({ path }));
if (paths.includes('native')) describe('every kernel in the addon', () => {
  let saved = 0;
  before(() => { saved = setNativeMin(1); });
  after(() => { setNativeMin(saved); });
  runConformanceSuite('cpu (native path, every kernel in the addon)', () => cpuBackend({ path: 'native' }));
});
