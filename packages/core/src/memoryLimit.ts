import type { Backend } from './backend.js';
import { type DType } from './dtype.js';
import { TensorError, fmtShape } from './errors.js';
import { type Shape, sizeOf } from './shape.js';

export const BYTES_PER_ELEMENT: Record<DType, number> = { float32: 4, float64: 8, int32: 4, bool: 1, bfloat16: 2 };

/**
 * The share of the machine's memory one process's tensors may take by default: the rest is the OS, other
 * programs, V8, and the host copy a tensor made from JS data passes through on its way to the backend.
 */
const DEFAULT_SHARE = 0.5;

let explicitLimit: number | undefined;

/**
 * Caps the bytes of tensors alive on a backend at once (default: half the machine's memory, or the backend's
 * own ceiling when smaller, e.g. the cpu backend's wasm path: 3 of a wasm memory's 4 GiB). An op whose output would pass it throws a TensorError before
 * anything is allocated, instead of the OS killing the process. `undefined` goes back to the default.
 */
export function setMemoryLimit(bytes: number | undefined): void {
  if (bytes !== undefined && !(bytes > 0)) throw new TensorError({ kind: 'InvalidArgument', op: 'setMemoryLimit', message: `${bytes} is not a positive number of bytes` });
  explicitLimit = bytes;
}

/** The machine's memory (the cgroup's limit where one is set), or undefined outside Node. */
function machineMemory(): number | undefined {
  const proc = (globalThis as { process?: { getBuiltinModule?: (m: string) => unknown; constrainedMemory?: () => number } }).process;
  const os = proc?.getBuiltinModule?.('node:os') as { totalmem(): number } | undefined;
  if (!os) return undefined;
  const total = os.totalmem();
  const constrained = proc?.constrainedMemory?.() ?? 0;
  return constrained > 0 && constrained < total ? constrained : total;
}

/** The bytes the backend's live tensors may take. */
export function memoryLimit(backend: Pick<Backend, 'maxBytes'>): number {
  const machine = machineMemory();
  const base = explicitLimit ?? (machine === undefined ? Infinity : machine * DEFAULT_SHARE);
  return Math.min(base, backend.maxBytes ?? Infinity);
}

/** Bytes for a message: `1.5 GiB`, `64.0 MiB`, `512 bytes`. */
export const formatBytes = (n: number): string =>
  n >= 2 ** 30 ? `${(n / 2 ** 30).toFixed(1)} GiB` : n >= 2 ** 20 ? `${(n / 2 ** 20).toFixed(1)} MiB` : `${n} bytes`;

/** Throws a TensorError naming op, shape and bytes when a new `shape` of `dtype` would not fit on `backend`. */
export function checkAllocation(op: string, shape: Shape, dtype: DType, backend: Pick<Backend, 'maxBytes' | 'memory' | 'name'>): void {
  const bytes = sizeOf(shape) * BYTES_PER_ELEMENT[dtype];
  if (bytes < 2 ** 24) return; // small tensors never decide it, and the check stays off the hot path
  const limit = memoryLimit(backend), live = backend.memory().liveBytes;
  if (bytes + live > limit) {
    throw new TensorError({
      kind: 'OutOfMemory', op, shapes: [shape],
      message: `a ${dtype} result of ${fmtShape(shape)} needs ${formatBytes(bytes)}, and with the ${formatBytes(live)} already held that passes the ${formatBytes(limit)} the ${backend.name} backend may use (setMemoryLimit changes it)`,
    });
  }
}
