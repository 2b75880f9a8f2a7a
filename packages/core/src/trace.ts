import type { PrimParams, Primitive } from './primitives.js';
import type { Tensor } from './tensor.js';

/** One primitive application, as a tracer sees it. */
export interface Application<P extends Primitive = Primitive> {
  readonly prim: P;
  readonly inputs: readonly Tensor[];
  readonly params: PrimParams[P];
  readonly output: Tensor;
}

/**
 * Something that watches primitive applications (autograd's tape is one). The core knows nothing of
 * what a tracer does with them.
 */
export interface Tracer { record(app: Application): void }

const tracers: Tracer[] = [];
let paused = 0;

export const activeTracers = (): readonly Tracer[] => (paused > 0 ? [] : tracers);

export function notify(app: Application): void {
  if (paused > 0) return;
  for (const t of tracers) t.record(app);
}

/** Runs `f` with `tracer` watching; the tracer is removed when `f` returns or throws. */
export function withTracer<R>(tracer: Tracer, f: () => R): R {
  tracers.push(tracer);
  try { return f(); } finally {
    const i = tracers.lastIndexOf(tracer);
    if (i >= 0) tracers.splice(i, 1);
  }
}

/** Runs `f` with no tracer watching (autograd's `noGrad` and `stopGradient` are built on this). */
export function untraced<R>(f: () => R): R {
  paused++;
  try { return f(); } finally { paused--; }
}
