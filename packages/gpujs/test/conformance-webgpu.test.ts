// The conformance suite in WebGPU mode. On a machine without a GPU, Dawn (the `webgpu` package) still gives an
// adapter through its OpenGL ES backend on Mesa's llvmpipe under the virtual X display, in WebGPU
// "compatibility" mode: that is what this test uses unless GPUJS_DAWN_FLAGS / GPUJS_WEBGPU_ADAPTER say
// otherwise (on a real GPU, packages/gpujs/device/ runs the same suite on Vulkan). WebGPU may skip, with its reason.
import { test } from 'node:test';
import { runConformanceSuite } from '@safekey-ts/core/testing';
import { gpujsBackend } from '@safekey-ts/gpujs';
import { webgpuDevice } from '../src/webgpu.js';

process.env.XDG_RUNTIME_DIR ??= '/tmp';
process.env.GPUJS_DAWN_FLAGS ??= 'backend=opengles';
process.env.GPUJS_WEBGPU_ADAPTER ??= '{"featureLevel":"compatibility"}';

const probe = webgpuDevice();
if (probe.ok) runConformanceSuite('gpujs webgpu', () => gpujsBackend({ mode: 'webgpu' }), { tol: 1e-6, numRuns: 12, flushesSubnormals: true });
else {
  console.log(`# WebGPU tests skipped: ${probe.reason}`);
  test('WebGPU conformance', { skip: `WebGPU cannot start: ${probe.reason}` }, () => {});
}
