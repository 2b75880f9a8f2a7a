import { type Backend, type DataHandle, hasKernel } from './backend.js';
import { type DType, type TypedArray, type TypedArrayOf } from './dtype.js';
import { TensorError, fmtShape } from './errors.js';
import { type CompositePrimitive, type PrimParams, type Primitive, type TensorInfo, compositePrimitives, primitives } from './primitives.js';
import { referenceBackend } from './reference/backend.js';
import type { Shape } from './shape.js';
import { sizeOf } from './shape.js';
import { track } from './scope.js';
import { notify, notifyRead } from './trace.js';

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
    track(this);
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
    return this.backend.read(this.handle, this.info) as TypedArrayOf[D];
  }
  async data(): Promise<TypedArrayOf[D]> { return this.dataSync(); }

  /** The values as nested arrays (a rank-0 tensor gives a number). */
  toArray(): Nested {
    const flat = Array.from(this.dataSync() as TypedArray);
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
    return this.dataSync()[0];
  }

  /** Frees the backend storage now; using the tensor afterwards is an error. Idempotent. */
  dispose(): void {
    if (this.#handle === null) return;
    this.backend.free(this.#handle);
    this.#handle = null;
  }

  toString(): string {
    return `Tensor(${fmtShape(this.shape)}, ${this.dtype}, ${this.backend.name})`;
  }
}

let defaultBackend: Backend = referenceBackend();

/** The backend new tensors are created on when no input tensor decides it. */
export const getBackend = (): Backend => defaultBackend;
export function setBackend(b: Backend): void { defaultBackend = b; }

/** Creates a tensor from host data on `backend` (the default one unless given). */
export function fromData<S extends Shape, D extends DType>(data: TypedArrayOf[D], shape: S, dtype: D, backend = defaultBackend): Tensor<S, D> {
  return new Tensor(shape, dtype, backend, backend.upload(data, { shape, dtype }));
}

/**
 * Applies one primitive: checks the inputs (a TensorError names the op and shapes), runs it on the
 * inputs' backend, and tells the active tracers. Every op of the DSL ends here.
 */
export function bind<P extends Primitive>(prim: P, inputs: readonly Tensor[], params: PrimParams[P]): Tensor {
  const spec = primitives[prim];
  if (spec.arity >= 0 && inputs.length !== spec.arity)
    throw new TensorError({ kind: 'InvalidArgument', op: prim, message: `takes ${spec.arity} tensors, got ${inputs.length}` });
  const backend = inputs.length > 0 ? inputs[0].backend : defaultBackend;
  for (const x of inputs) if (x.backend !== backend)
    throw new TensorError({ kind: 'BackendMismatch', op: prim, message: `inputs live on different backends (${backend.name} and ${x.backend.name})` });
  const out = spec.infer(inputs.map((x) => x.info), params);
  if (compositePrimitives.has(prim) && !hasKernel(backend, prim as CompositePrimitive))
    throw new TensorError({ kind: 'InvalidArgument', op: prim, message: `backend ${backend.name} has no ${prim} kernel (dotProductAttention and applyRope compose it from plain primitives there)` });
  if (!backend.dtypes.includes(out.dtype))
    throw new TensorError({ kind: 'DTypeMismatch', op: prim, message: `backend ${backend.name} does not support ${out.dtype}` });
  const handle = backend.run(prim, inputs.map((x) => ({ handle: x.handle, info: x.info })), params, out);
  const output = new Tensor(out.shape, out.dtype, backend, handle);
  notify({ prim, inputs, params, output });
  return output;
}
