// A device over one of gpu.js's synchronous modes. The library is passed in: Node's entry loads gpu.js's Node
// build (headless GL), the page's entry its browser build (WebGL), so this file imports neither.
import { type KernelSource, copySource } from './codegen.js';
import type { Device, RunMode } from './device.js';

export type GpuClass = new (settings: { mode: string }) => {
  createKernel(src: string, settings: object): ((...args: unknown[]) => unknown) & { kernel: { constructor: { name: string }; fallbackReason?: string | null } };
  destroy(): void;
};

export type SyncMode = Exclude<RunMode, 'webgpu'>;

const KERNEL_CLASS = {
  cpu: 'CPUKernel', webasm: 'WebAssemblyKernel', headlessgl: 'HeadlessGLKernel', webgl2: 'WebGL2Kernel', webgl: 'WebGLKernel',
} as const satisfies Record<SyncMode, string>;

/** What of gpu.js this file uses: the GPU class and the kernel class of each mode (compared by identity, since a
 * minified bundle renames classes). */
export type GpuLib = { readonly GPU: GpuClass } & { readonly [K in (typeof KERNEL_CLASS)[SyncMode]]: { readonly prototype: object } };

/** Kernels output textures (GL modes) or arrays (cpu, webasm); gpu.js never falls back to another mode unseen. */
export function gpujsDevice(lib: GpuLib, mode: SyncMode): Device {
  const gpu = new lib.GPU({ mode });
  const expected = lib[KERNEL_CLASS[mode]].prototype;
  const make = (src: KernelSource) => gpu.createKernel(src.source, {
    output: [src.size], precision: 'single', pipeline: true, immutable: true, tactic: 'precision',
    loopMaxIterations: src.loopMax + 1,
  });
  const check = (k: ReturnType<typeof make>) => {
    if (Object.getPrototypeOf(k.kernel) !== expected)
      throw new Error(`gpu.js ran a ${mode} kernel as ${k.kernel.constructor.name}${k.kernel.fallbackReason ? ` (${k.kernel.fallbackReason})` : ''}; this backend does not fall back silently`);
  };
  const gl = mode === 'headlessgl' || mode === 'webgl2' || mode === 'webgl';
  const uploaders = new Map<number, ReturnType<typeof make>>();
  type Tex = { toArray(): Float32Array; delete(): void };
  return {
    mode, dialect: mode === 'cpu' ? 'f64' : 'f32',
    upload: (data) => {
      if (!gl) return data.slice();
      let k = uploaders.get(data.length);
      if (!k) { k = make(copySource(data.length)); uploaders.set(data.length, k); }
      return k(data);
    },
    read: (buf) => (gl ? (buf as Tex).toArray() : (buf as Float32Array)),
    free: (buf) => { if (gl) (buf as Tex).delete(); },
    compile: (src) => {
      const k = make(src);
      let checked = false;
      return (args) => {
        const r = k(...args);
        if (!checked) { check(k); checked = true; }
        return r;
      };
    },
    destroy: () => gpu.destroy(),
  };
}
