// Which gpu.js modes the tests run in, and the rule for GL: a GL test skips only when headless GL truly
// cannot start here, and then says why; in CI (CI=true) or with SAFEKEY_REQUIRE_GL=1 it fails instead.
import { test } from 'node:test';
import { type GpujsBackend, type RunMode, gpujsBackend, probeHeadlessGL } from '@safekey-ts/gpujs';

export type TestMode = Extract<RunMode, 'cpu' | 'webasm' | 'headlessgl'>;

/** Relative tolerance of one float primitive per mode, against `Math.fround` of the exact result (see README). */
export const PRIMITIVE_TOL: Record<TestMode, number> = { cpu: 0, webasm: 0, headlessgl: 1e-6 };

/** fast-check runs per property: every new shape compiles kernels, about 45 ms each on GL. */
export const NUM_RUNS: Record<TestMode, number> = { cpu: 40, webasm: 40, headlessgl: 12 };

/**
 * Calls `define(makeBackend)` when `mode` can run here. For headless GL that cannot start, defines one skipped
 * test whose skip message is the reason (and prints it), or a failing test when GL is required.
 */
export function forMode(mode: TestMode, define: (make: () => GpujsBackend) => void): void {
  if (mode === 'headlessgl') {
    const probe = probeHeadlessGL();
    if (!probe.ok) {
      if (process.env.SAFEKEY_REQUIRE_GL === '1' || process.env.CI === 'true') {
        test('headless GL starts (required in CI)', () => { throw new Error(`headless GL cannot start: ${probe.reason}`); });
      } else {
        console.log(`# headless GL tests skipped: ${probe.reason}`);
        test('headless GL tests', { skip: `headless GL cannot start: ${probe.reason}` }, () => {});
      }
      return;
    }
  }
  define(() => gpujsBackend({ mode }));
}
