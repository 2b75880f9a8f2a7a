// The Node entry's backend: headless GL (the `gl` package), WebGPU (Dawn in a worker), or gpu.js's WebAssembly and
// JavaScript modes, each chosen with a reason when it cannot start.
import { createRequire } from 'node:module';
import { type GpujsBackend, backendOn } from './backend.js';
import type { Device } from './device.js';
import { type GpuLib, gpujsDevice } from './gpujsDevice.js';
import { type RequestedMode, probeHeadlessGL } from './modes.js';
import { webgpuDevice } from './webgpu.js';

const require = createRequire(import.meta.url);
const gpuLib = () => require('gpu.js') as GpuLib;

export interface GpujsOptions {
  /**
   * `gpu`: a real GPU through headless GL (or WebGPU where GL cannot start), else an error saying why;
   * `webgpu` / `headlessgl`: that one only; `webasm`, `cpu`: gpu.js's WebAssembly and JavaScript modes;
   * `auto` (default): `gpu` when it can start, else `webasm`, with the reason in `fallbackReason`.
   */
  readonly mode?: RequestedMode;
  /** Print a line to stderr when `auto` cannot get a GPU (default true). */
  readonly warn?: boolean;
}

/** Resolves a requested mode to a device, or throws saying why it cannot run here. */
function openDevice(requested: RequestedMode, warn: boolean): { device: Device; fallbackReason: string | null } {
  const needWasm = () => {
    if (typeof (globalThis as { WebAssembly?: unknown }).WebAssembly !== 'object') throw new Error('gpujs: WebAssembly is not available in this runtime');
  };
  switch (requested) {
    case 'cpu': return { device: gpujsDevice(gpuLib(), 'cpu'), fallbackReason: null };
    case 'webasm': needWasm(); return { device: gpujsDevice(gpuLib(), 'webasm'), fallbackReason: null };
    case 'headlessgl': {
      const gl = probeHeadlessGL();
      if (!gl.ok) throw new Error(`gpujs: headless GL cannot start: ${gl.reason}`);
      return { device: gpujsDevice(gpuLib(), 'headlessgl'), fallbackReason: null };
    }
    case 'webgpu': {
      const w = webgpuDevice();
      if (!w.ok) throw new Error(`gpujs: WebGPU cannot start: ${w.reason}`);
      return { device: w.device, fallbackReason: null };
    }
    case 'gpu':
    case 'auto': {
      const gl = probeHeadlessGL();
      if (gl.ok) return { device: gpujsDevice(gpuLib(), 'headlessgl'), fallbackReason: null };
      const w = webgpuDevice();
      if (w.ok) return { device: w.device, fallbackReason: null };
      const reason = `headless GL: ${gl.reason}; WebGPU: ${w.reason}`;
      if (requested === 'gpu') throw new Error(`gpujs: no GPU mode can start here (${reason})`);
      needWasm();
      if (warn) process.stderr.write(`gpujs: no GPU, running gpu.js in webasm mode (${reason})\n`);
      return { device: gpujsDevice(gpuLib(), 'webasm'), fallbackReason: reason };
    }
  }
  throw new Error(`gpujs: unknown mode ${String(requested)}`);
}


/** The gpu.js backend in Node, in the requested mode (see `GpujsOptions`). */
export function gpujsBackend(opts: GpujsOptions = {}): GpujsBackend {
  const { device, fallbackReason } = openDevice(opts.mode ?? 'auto', opts.warn ?? true);
  return backendOn(device, fallbackReason);
}
