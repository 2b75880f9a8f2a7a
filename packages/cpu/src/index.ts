export { type CpuBackend, type CpuBackendOptions, type CpuPath, cpuBackend } from './backend.js';
export { loadNative, addonPath } from './native.js';
export { type WasmVariant, loadWasm, wasmPath, wasmRelaxedPath } from './wasm.js';
export { compiledKernels } from './elementwise.js';
