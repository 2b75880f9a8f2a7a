// Which gpu.js mode this process can run, and why not when it cannot. gpu.js's own choice is not used: its
// 'gpu' mode quietly takes WebAssembly when no GL context exists, and a kernel it cannot build on GL falls
// back to its CPU mode with a console warning. Here every fallback has a reason the caller can read.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** What a caller asks for. `gpu`: headless GL or WebGPU, or an error saying why neither. */
export type RequestedMode = 'gpu' | 'headlessgl' | 'webgpu' | 'webasm' | 'cpu' | 'auto';

export interface Probe { readonly ok: boolean; readonly reason?: string }

let glProbe: Probe | undefined;

/** Whether headless GL (the `gl` package, an optional dependency of gpu.js) can make a float context here. */
export function probeHeadlessGL(): Probe {
  if (glProbe) return glProbe;
  let create: (w: number, h: number, opts?: object) => { getExtension(name: string): unknown } | null;
  try {
    create = require('gl') as typeof create;
  } catch (e) {
    return glProbe = { ok: false, reason: `no gl build: the optional 'gl' package (headless-gl) did not load (${firstLine(e)}); it builds from source at npm install and needs libxi-dev libx11-dev libxext-dev pkg-config build-essential` };
  }
  let ctx: ReturnType<typeof create> = null;
  try { ctx = create(2, 2, { preserveDrawingBuffer: true }); } catch (e) { return glProbe = { ok: false, reason: `no GL context: ${firstLine(e)}` }; }
  if (!ctx) {
    const display = process.env.DISPLAY;
    return glProbe = {
      ok: false,
      reason: display
        ? `no GL context: headless-gl could not open display ${display} (is the X server running? libgl1-mesa-dri installed?)`
        : 'no display: headless-gl needs an X display; DISPLAY is unset (run under `xvfb-run -a`)',
    };
  }
  if (!ctx.getExtension('OES_texture_float')) return glProbe = { ok: false, reason: 'the GL context has no OES_texture_float (float textures), which single precision needs' };
  const destroy = ctx.getExtension('STACKGL_destroy_context') as { destroy(): void } | null;
  destroy?.destroy();
  return glProbe = { ok: true };
}

function firstLine(e: unknown): string {
  return String(e instanceof Error ? e.message : e).split('\n')[0];
}
