import type { Dialect, KernelSource } from './codegen.js';

/** The mode kernels run in: gpu.js's GL modes (headless GL in Node, WebGL 2 or 1 in a page), WebGPU, WebAssembly or JS. */
export type RunMode = 'headlessgl' | 'webgl2' | 'webgl' | 'webgpu' | 'webasm' | 'cpu';

/** A device buffer: a Float32Array (cpu, webasm), a GL texture, or a WebGPU buffer id. */
export type Buf = unknown;

/** What differs between modes: how buffers are made, read and freed, and how kernels run. */
export interface Device {
  readonly mode: RunMode;
  readonly dialect: Dialect;
  upload(data: Float32Array): Buf;
  read(buf: Buf, size: number): Float32Array;
  free(buf: Buf): void;
  /** Compiles a kernel; returns a function running it on device buffers. */
  compile(src: KernelSource): (args: readonly Buf[]) => Buf;
  destroy(): void;
}
