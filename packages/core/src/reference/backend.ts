import type { Backend, DataHandle } from '../backend.js';
import { type TypedArray, DTYPES } from '../dtype.js';
import { TensorError } from '../errors.js';
import { runFusedReference } from './fused.js';
import { type ReferencePrim, kernels } from './kernels.js';
import type { In } from './indexing.js';
import type { TensorInfo } from '../primitives.js';

interface RefHandle extends DataHandle { data: TypedArray | null }

/**
 * The reference backend: kernels interpreted node by node (`fused.ts`), routines as plain loops over typed
 * arrays (`kernels.ts`), sums accumulated in float64.
 * Short and obviously correct; the oracle the other backends are checked against.
 */
export function referenceBackend(): Backend {
  let liveBuffers = 0, liveBytes = 0, peakBytes = 0;
  const make = (data: TypedArray): RefHandle => {
    liveBuffers++; liveBytes += data.byteLength; peakBytes = Math.max(peakBytes, liveBytes);
    return { backend: 'reference', data };
  };
  const dataOf = (h: DataHandle): TypedArray => {
    const d = (h as RefHandle).data;
    if (d === null) throw new TensorError({ kind: 'Disposed', op: 'reference', message: 'tensor was already disposed' });
    return d;
  };
  return {
    name: 'reference',
    dtypes: DTYPES,
    composites: ['attention', 'attentionGrad', 'rope'],
    upload: (data) => make(data.slice()),
    read: (h) => dataOf(h).slice(),
    runRoutine: (prim, inputs, params, out) =>
      make((kernels[prim as ReferencePrim] as (xs: In[], p: unknown, o: TensorInfo) => TypedArray)(inputs.map((i) => ({ data: dataOf(i.handle), info: i.info })), params, out)),
    runKernel: (kernel, inputs) => make(runFusedReference(kernel, inputs.map((i) => ({ data: dataOf(i.handle), info: i.info })))),
    free: (h) => {
      const r = h as RefHandle;
      if (r.data === null) return;
      liveBuffers--; liveBytes -= r.data.byteLength;
      r.data = null;
    },
    memory: () => ({ liveBuffers, liveBytes, peakBytes }),
  };
}
