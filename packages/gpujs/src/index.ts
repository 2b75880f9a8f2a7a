export { gpujsBackend, type GpujsBackend, type GpujsOptions, type GpujsStats } from './backend.js';
export { type RequestedMode, type RunMode, probeHeadlessGL } from './modes.js';
export { MAX_ELEMENTS } from './codegen.js';
export { webgpuDevice } from './webgpu.js';
