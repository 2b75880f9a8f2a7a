// The page's entry: gpu.js's browser build on WebGL 2, WebGL 1, or its JavaScript mode, each chosen with a reason
// when it cannot start. No Node module is imported here (the Node modes stay behind './node.js').
import * as gpujs from 'gpu.js';
import { type GpujsBackend, backendOn } from './backend.js';
import { type GpuLib, type SyncMode, gpujsDevice } from './gpujsDevice.js';

export type { GpujsBackend, GpujsStats } from './backend.js';
export type { RunMode } from './device.js';

/**
 * gpu.js's WebAssembly mode is left out in a page: each of its kernels reserves its own WebAssembly memory, and
 * Chromium refuses new ones after a few dozen kernels ("WebAssembly.Memory(): could not allocate memory").
 */
export type BrowserMode = 'webgl2' | 'webgl' | 'cpu' | 'auto';

// The little of the DOM this file touches (the package compiles without the DOM library).
interface GL { getExtension(name: string): unknown; getParameter(p: number): unknown; readonly RENDERER: number }
interface Page { createElement(tag: 'canvas'): { getContext(kind: 'webgl2' | 'webgl'): GL | null } }
const page = (): Page | undefined => (globalThis as { document?: Page }).document;
const lose = (gl: GL) => (gl.getExtension('WEBGL_lose_context') as { loseContext(): void } | null)?.loseContext();

/** Why a GL mode cannot start in this page, or null when it can. */
export function glProblem(mode: 'webgl2' | 'webgl'): string | null {
  const doc = page();
  if (!doc) return 'no document: not a page';
  const gl = doc.createElement('canvas').getContext(mode);
  if (!gl) return `the browser gives no ${mode} context (hardware acceleration off, or no GL driver)`;
  const missing = mode === 'webgl2'
    ? (gl.getExtension('EXT_color_buffer_float') ? null : 'EXT_color_buffer_float (float render targets)')
    : (gl.getExtension('OES_texture_float') ? null : 'OES_texture_float (float textures)');
  lose(gl);
  return missing ? `${mode} has no ${missing}, which single precision needs` : null;
}

/** The GL renderer's name (e.g. SwiftShader, llvmpipe, a GPU's), or null where the browser hides it. */
export function glRenderer(): string | null {
  const doc = page();
  const gl = doc?.createElement('canvas').getContext('webgl2') ?? doc?.createElement('canvas').getContext('webgl');
  if (!gl) return null;
  const info = gl.getExtension('WEBGL_debug_renderer_info') as { UNMASKED_RENDERER_WEBGL: number } | null;
  const name = gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER);
  lose(gl);
  return typeof name === 'string' ? name : null;
}

const WEBGPU_NOTE = 'WebGPU is not used in a page: it reads back only asynchronously, and the synchronous Backend interface would have to block the main thread, which a page cannot';

/**
 * The gpu.js backend in a page. `auto` takes WebGL 2, else WebGL 1, else gpu.js's JavaScript mode, and says in
 * `fallbackReason` why each faster mode could not start.
 */
export function gpujsBrowserBackend(opts: { readonly mode?: BrowserMode } = {}): GpujsBackend {
  const requested = opts.mode ?? 'auto';
  // the browser build is CommonJS (UMD): a bundler gives its exports as named ones or under `default`
  const lib = ('GPU' in gpujs ? gpujs : (gpujs as { default: unknown }).default) as GpuLib;
  const open = (mode: SyncMode) => gpujsDevice(lib, mode);
  if (requested !== 'auto') {
    const problem = requested === 'webgl2' || requested === 'webgl' ? glProblem(requested) : null;
    if (problem) throw new Error(`gpujs: ${requested} cannot start: ${problem}`);
    return backendOn(open(requested), null);
  }
  const reasons: string[] = [];
  for (const mode of ['webgl2', 'webgl'] as const) {
    const problem = glProblem(mode);
    if (!problem) return backendOn(open(mode), reasons.length ? reasons.join('; ') : null);
    reasons.push(`${mode}: ${problem}`);
  }
  reasons.push(WEBGPU_NOTE);
  return backendOn(open('cpu'), reasons.join('; '));
}
