// The one list of backends the cross-package suites run on (conformance, gradients, agreement, properties), with
// what each suite needs to know of it: tolerances, fast-check runs, whether it stores float64, and how to tell that
// it cannot run here. A backend that cannot run is skipped with its reason, except in CI (CI=true) where the ones
// marked `required` fail instead: a CI run must exercise them.
import { describe, test } from 'node:test';
import { type Backend, referenceBackend } from '@safekey-ts/core';
import type { ConformanceOptions } from '@safekey-ts/core/testing';
import { cpuBackend, loadNative, loadWasm } from '@safekey-ts/cpu';
import { gpujsBackend, probeHeadlessGL, webgpuDevice } from '@safekey-ts/gpujs';
import type { TestMode } from './suites/gpujs-agreement.js';

export type Suite = 'conformance' | 'gradients' | 'agreement' | 'properties';

export interface BackendEntry {
  readonly name: string;
  readonly make: () => Backend;
  /** Why it cannot run on this machine, or null. */
  readonly unavailable: () => string | null;
  /** In CI an unavailable backend of these is a failure, not a skip. */
  readonly required: boolean;
  readonly suites: readonly Suite[];
  readonly conformance: ConformanceOptions;
  /** Stores float64: autograd's float64 suites run on it; the others get the float32 gradient suite. */
  readonly float64: boolean;
  /** fast-check runs of the float32 gradient suite (each new shape compiles kernels on gpu.js). */
  readonly gradRuns?: number;
  /** The gpu.js mode, for the agreement suite's tolerances. */
  readonly gpujsMode?: TestMode;
}

const nativeMissing = () => { const n = loadNative(); return 'addon' in n ? null : n.error; };
const wasmMissing = () => { const w = loadWasm(); return 'module' in w ? null : w.error; };
const glMissing = () => { const p = probeHeadlessGL(); return p.ok ? null : `headless GL cannot start: ${p.reason}`; };
const webgpuMissing = () => {
  // Without a GPU, Dawn still gives an adapter through its OpenGL ES backend on Mesa's llvmpipe (under the
  // virtual X display), in WebGPU's compatibility mode; a GPU machine sets these to use Vulkan.
  process.env.XDG_RUNTIME_DIR ??= '/tmp';
  process.env.GPUJS_DAWN_FLAGS ??= 'backend=opengles';
  process.env.GPUJS_WEBGPU_ADAPTER ??= '{"featureLevel":"compatibility"}';
  const p = webgpuDevice();
  return p.ok ? null : `WebGPU cannot start: ${p.reason}`;
};
const always = () => null;
const ALL: readonly Suite[] = ['conformance', 'gradients', 'agreement', 'properties'];

// llvmpipe (Mesa's GL on the CPU) flushes float32 subnormals to zero in arithmetic and comparisons
// (`eq(0, -1e-45)` is true there), so the suites' random inputs leave subnormals out on GL and WebGPU.
export const BACKENDS: readonly BackendEntry[] = [
  { name: 'reference', make: referenceBackend, unavailable: always, required: true, suites: ['conformance', 'gradients', 'properties'], conformance: { tol: 0 }, float64: true },
  // the cpu backend's paths are exact (tol 0): float32 matmuls accumulate in float32, which the suite's bound allows
  { name: 'cpu (native path)', make: () => cpuBackend({ path: 'native' }), unavailable: nativeMissing, required: true, suites: ['conformance', 'gradients', 'properties'], conformance: { tol: 0 }, float64: true },
  { name: 'cpu (native path, every kernel in the addon)', make: () => cpuBackend({ path: 'native', vmMinElements: 1 }), unavailable: nativeMissing, required: true, suites: ['conformance', 'properties'], conformance: { tol: 0 }, float64: true },
  { name: 'cpu (wasm path)', make: () => cpuBackend({ path: 'wasm' }), unavailable: wasmMissing, required: true, suites: ['conformance', 'gradients', 'properties'], conformance: { tol: 0 }, float64: true },
  { name: 'cpu (js path)', make: () => cpuBackend({ path: 'js' }), unavailable: always, required: true, suites: ['conformance', 'gradients', 'properties'], conformance: { tol: 0 }, float64: true },
  { name: 'gpujs cpu', make: () => gpujsBackend({ mode: 'cpu' }), unavailable: always, required: true, suites: ALL, conformance: { tol: 0, numRuns: 40 }, float64: false, gradRuns: 40, gpujsMode: 'cpu' },
  { name: 'gpujs webasm', make: () => gpujsBackend({ mode: 'webasm' }), unavailable: always, required: true, suites: ALL, conformance: { tol: 0, numRuns: 40 }, float64: false, gradRuns: 40, gpujsMode: 'webasm' },
  { name: 'gpujs headless GL', make: () => gpujsBackend({ mode: 'headlessgl' }), unavailable: glMissing, required: true, suites: ALL,
    conformance: { tol: 1e-6, numRuns: 12, flushesSubnormals: true }, float64: false, gradRuns: 12, gpujsMode: 'headlessgl' },
  // Dawn over a software driver once answered no adapter under load: WebGPU may skip, with its reason
  { name: 'gpujs webgpu', make: () => gpujsBackend({ mode: 'webgpu' }), unavailable: webgpuMissing, required: false, suites: ['conformance', 'properties'],
    conformance: { tol: 1e-6, numRuns: 12, flushesSubnormals: true }, float64: false },
];

/**
 * Calls `define(entry)` for every backend of the list that runs `suite` and can run here (SAFEKEY_TEST_BACKENDS,
 * a comma list of name parts, keeps only matching ones). One that cannot run gets a skipped test saying why, or,
 * in CI and when required, a failing one.
 */
export function forEachBackend(suite: Suite, define: (b: BackendEntry) => void): void {
  const only = process.env.SAFEKEY_TEST_BACKENDS?.split(',').filter(Boolean);
  for (const b of BACKENDS) {
    if (!b.suites.includes(suite) || (only && !only.some((o) => b.name.includes(o)))) continue;
    const why = b.unavailable();
    if (why === null) { define(b); continue; }
    describe(`${suite}: ${b.name}`, () => {
      if (b.required && process.env.CI === 'true') test(`${b.name} runs here (required in CI)`, () => { throw new Error(why); });
      else { console.log(`# ${suite} on ${b.name} skipped: ${why}`); test(`${b.name}`, { skip: why }, () => undefined); }
    });
  }
}
