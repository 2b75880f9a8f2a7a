// On the lent GPU machine: the conformance suite and the per-op benchmark in WebGPU mode (Dawn on Vulkan).
// Bundled into one file by bench/gpu-device/prepare.sh; run there as `/tmp/node .gpu/gpujs-device.mjs [--bench-only]`.
import { runConformanceSuite } from '@safekey-ts/core/testing';
import { gpujsBackend, webgpuDevice } from '@safekey-ts/gpujs';
import { after, test } from 'node:test';

import { formatTable, runGpujsBench } from '../gpujs.js';

const probe = webgpuDevice();
console.log(probe.ok ? `webgpu adapter: ${(probe.device as { adapter?: string }).adapter ?? '?'}` : `webgpu cannot start: ${probe.reason}`);
if (!process.argv.includes('--bench-only')) {
  runConformanceSuite('gpujs webgpu (device)', () => gpujsBackend({ mode: 'webgpu' }), { tol: 1e-6, numRuns: 20 });
}
test('benchmark (JSON lines, then a table)', () => {
  const rs = runGpujsBench({ modes: ['webgpu'], log: (r) => console.log(JSON.stringify(r)) });
  console.log(formatTable(rs));
});
after(() => setTimeout(() => process.exit(process.exitCode ?? 0), 100));
