import * as t from 'io-ts';
import { type Backend, referenceBackend, setBackend } from '@safekey-ts/core';
import { type Flag, withDefault } from './flags.js';

export const BACKEND_NAMES = ['cpu', 'reference', 'gpujs'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

export const backendCodec = new t.Type<BackendName, string, unknown>('backend', (u): u is BackendName => (BACKEND_NAMES as readonly unknown[]).includes(u),
  (u, c) => ((BACKEND_NAMES as readonly unknown[]).includes(u) ? t.success(u as BackendName) : t.failure(u, c, `expected one of ${BACKEND_NAMES.join(', ')}, got '${String(u)}'`)), (a) => a);

/** The `--backend` flag every model command takes; the fast CPU backend by default. */
export const backendFlag = (): Flag<BackendName, 'default'> => withDefault(backendCodec, 'NAME', `the backend to compute on: ${BACKEND_NAMES.join(', ')}`, 'cpu');

export interface ChosenBackend { readonly backend: Backend; readonly description: string }

/**
 * Makes `name` the default backend and says what it runs on. `cpu` reports its path (native oneDNN,
 * WebAssembly or JS) and why it fell back; `gpujs` its mode and why it has no GPU. The fast backends are
 * imported on demand, so a machine without them still runs the reference backend.
 */
export async function useBackend(name: BackendName): Promise<ChosenBackend> {
  let chosen: ChosenBackend;
  if (name === 'reference') chosen = { backend: referenceBackend(), description: 'reference (plain loops, exact, slow)' };
  else if (name === 'cpu') {
    const { cpuBackend } = await import('@safekey-ts/cpu');
    const b = cpuBackend();
    chosen = { backend: b, description: `cpu, ${b.path} path, ${b.threads} thread(s)${b.fallbackReason ? ` (fell back: ${b.fallbackReason})` : ''}` };
  } else {
    const { gpujsBackend } = await import('@safekey-ts/gpujs');
    const b = gpujsBackend({ mode: 'auto' });
    chosen = { backend: b, description: `gpujs, ${b.mode} mode${b.fallbackReason ? ` (no GPU: ${b.fallbackReason})` : ''}` };
  }
  setBackend(chosen.backend);
  return chosen;
}
