import { setBackend } from '@safekey-ts/core';
import { type BrowserMode, type RunMode, glRenderer, gpujsBrowserBackend } from '@safekey-ts/gpujs/browser';

export interface BackendInUse {
  readonly mode: RunMode;
  /** The GL renderer (SwiftShader, llvmpipe, a GPU's name) in a GL mode. */
  readonly renderer: string | null;
  /** Why a faster mode was not taken, or null. */
  readonly fallbackReason: string | null;
  /** Milliseconds spent so far building kernels (gpu.js compiles a kernel on its first call for each shape). */
  readonly compileMs: () => number;
}

const MODES: readonly BrowserMode[] = ['auto', 'webgl2', 'webgl', 'cpu'];

/** Starts the gpu.js backend the page asks for (`?backend=`, default auto) and makes it the default backend. */
export function startBackend(requested: string | null): BackendInUse {
  const mode = (MODES as readonly string[]).includes(requested ?? '') ? requested as BrowserMode : 'auto';
  const b = gpujsBrowserBackend({ mode });
  setBackend(b);
  return { mode: b.mode, renderer: b.mode === 'webgl2' || b.mode === 'webgl' ? glRenderer() : null, fallbackReason: b.fallbackReason, compileMs: () => b.stats().compileMs };
}

export const describeBackend = (b: BackendInUse): string =>
  `gpu.js ${b.mode}${b.renderer ? ` on ${b.renderer}` : ''}${b.fallbackReason ? ` (no faster mode: ${b.fallbackReason})` : ''}`;
