export { type GpujsOptions, gpujsBackend } from './node.js';
export type { GpujsBackend, GpujsStats } from './backend.js';
export type { RunMode } from './device.js';
export { type RequestedMode, probeHeadlessGL } from './modes.js';
export { MAX_ELEMENTS } from './codegen.js';
export { webgpuDevice } from './webgpu.js';
