export { type CpuBackend, type CpuBackendOptions, type CpuPath, cpuBackend } from './backend.js';
export { loadNative, addonPath } from './native.js';
export { loadWasm, wasmPath } from './wasm.js';
export { compiledKernels } from './elementwise.js';
