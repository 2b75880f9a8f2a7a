import type { Backend, DataHandle } from './backend.js';
import { type DType, type TypedArray, type TypedArrayOf, bf16Value } from './dtype.js';
import { TensorError, fmtShape } from './errors.js';
import type { PrimParams, Primitive, TensorInfo } from './primitives.js';
import { type Shape, sizeOf } from './shape.js';

/** Nested arrays of numbers, as `toArray()` returns them. */
export type Nested = number | readonly Nested[];

/**
 * An immutable n-dimensional array on a backend. Its shape type `S` is a tuple when the shape is known
 * at compile time (`Tensor<[3, 4]>`), `Shape` (`readonly number[]`) when it is not.
 */
export class Tensor<S extends Shape = Shape, D extends DType = DType> {
  #handle: DataHandle | null;

  /** Use the creation functions (`tensor`, `zeros`, ...) or ops; this is for backends and the core. */
  constructor(
    readonly shape: S,
    readonly dtype: D,
    readonly backend: Backend,
    handle: DataHandle,
  ) {
    this.#handle = handle;
  }

  get rank(): number { return this.shape.length; }
  get size(): number { return sizeOf(this.shape); }
  get info(): TensorInfo { return { shape: this.shape, dtype: this.dtype }; }
  get isDisposed(): boolean { return this.#handle === null; }

  get handle(): DataHandle {
    if (this.#handle === null) throw new TensorError({ kind: 'Disposed', op: 'tensor', message: `tensor ${fmtShape(this.shape)} ${this.dtype} was already disposed` });
    return this.#handle;
  }

  /** The values, copied to the host, row-major. */
  dataSync(): TypedArrayOf[D] {
    notifyRead(this);
    if (isPlaceholder(this.handle))
      throw new TensorError({ kind: 'InvalidArgument', op: 'jit', message: `tensor ${fmtShape(this.shape)} ${this.dtype} was made while jit traced a function and holds no values` });
    return this.backend.read(this.handle, this.info) as TypedArrayOf[D];
  }
  async data(): Promise<TypedArrayOf[D]> { return this.dataSync(); }

  /** The values as nested arrays (a rank-0 tensor gives a number; bfloat16 bits are read as their values). */
  toArray(): Nested {
    const flat = this.values();
    const build = (dim: number, offset: number): Nested => {
      if (dim === this.shape.length) return flat[offset];
      const inner = sizeOf(this.shape.slice(dim + 1));
      return Array.from({ length: this.shape[dim] }, (_, i) => build(dim + 1, offset + i * inner));
    };
    return build(0, 0);
  }

  /** The single value of a tensor with one element. */
  item(): number {
    if (this.size !== 1) throw new TensorError({ kind: 'ShapeMismatch', op: 'item', message: 'needs a tensor with exactly one element', shapes: [this.shape] });
    return this.values()[0];
  }

  /** The values as numbers, in row-major order (`dataSync` gives a bfloat16 tensor's bits). */
  private values(): number[] {
    const data = this.dataSync() as TypedArray;
    return this.dtype === 'bfloat16' ? Array.from(data, bf16Value) : Array.from(data);
  }

  /** Frees the backend storage now; using the tensor afterwards is an error. Idempotent. */
  dispose(): void {
    if (this.#handle === null) return;
    if (!isPlaceholder(this.#handle)) this.backend.free(this.#handle);
    this.#handle = null;
  }

  toString(): string {
    return `Tensor(${fmtShape(this.shape)}, ${this.dtype}, ${this.backend.name})`;
  }
}

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
  /**
   * While an abstract tracer watches, primitive applications are recorded but not computed: their outputs hold
   * a placeholder, no values (jit's trace, which then runs the program it recorded, freeing as it goes).
   */
  readonly abstract?: boolean;
  /** True for tracers that must see everything, also inside `untraced` (jit records whole programs). */
  readonly seesUntraced?: boolean;
  /** Called when a tensor's values are read back to the host while the tracer is active. */
  read?(t: Tensor): void;
}

const tracers: Tracer[] = [];
let paused = 0;

const watching = (t: Tracer) => paused === 0 || t.seesUntraced === true;

export const activeTracers = (): readonly Tracer[] => tracers.filter(watching);

/** True while an abstract tracer watches (also inside `untraced`): applications are then not computed. */
export const abstractTracing = (): boolean => tracers.some((t) => t.abstract === true);

interface Placeholder extends DataHandle { readonly placeholder: true }
/** The storage of an application's output under an abstract tracer: nothing. */
export const placeholderHandle = (backend: Backend): DataHandle => ({ backend: backend.name, placeholder: true }) as Placeholder;
const isPlaceholder = (h: DataHandle): boolean => (h as Partial<Placeholder>).placeholder === true;

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
