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
 * Something that watches primitive applications (autograd's tape, jit's recorder). The core knows nothing
 * of what a tracer does with them.
 */
export interface Tracer {
  record(app: Application): void;
  /** True for tracers that must see everything, also inside `untraced` (jit records whole programs). */
  readonly seesUntraced?: boolean;
  /** Called when a tensor's values are read back to the host while the tracer is active. */
  read?(t: Tensor): void;
}

const tracers: Tracer[] = [];
let paused = 0;

const watching = (t: Tracer) => paused === 0 || t.seesUntraced === true;

export const activeTracers = (): readonly Tracer[] => tracers.filter(watching);

export function notify(app: Application): void {
  for (const t of tracers) if (watching(t)) t.record(app);
}

export function notifyRead(x: Tensor): void {
  for (const t of tracers) t.read?.(x);
}

/** Runs `f` with `tracer` watching; the tracer is removed when `f` returns or throws. */
export function withTracer<R>(tracer: Tracer, f: () => R): R {
  tracers.push(tracer);
  try { return f(); } finally {
    const i = tracers.lastIndexOf(tracer);
    if (i >= 0) tracers.splice(i, 1);
  }
}

/** Runs `f` unseen by ordinary tracers (autograd's `noGrad` and `stopGradient` are built on this). */
export function untraced<R>(f: () => R): R {
  paused++;
  try { return f(); } finally { paused--; }
}
