import { type Backend, type DataHandle, hasKernel, runPrimitive } from './backend.js';
import type { DType, TypedArrayOf } from './dtype.js';
import { TensorError } from './errors.js';
import { checkAllocation } from './memoryLimit.js';
import { BF16_PRIMS, type CompositePrimitive, type PrimParams, type Primitive, compositePrimitives, primitives } from './primitives.js';
import { referenceBackend } from './reference/backend.js';
import { track } from './scope.js';
import type { Shape } from './shape.js';
import { Tensor, abstractTracing, notify, placeholderHandle } from './tensor.js';

/** A new tensor over `handle`, owned by the innermost `tidy` (every tensor is made here). */
export function adopt<S extends Shape, D extends DType>(shape: S, dtype: D, backend: Backend, handle: DataHandle): Tensor<S, D> {
  const t = new Tensor(shape, dtype, backend, handle);
  track(t);
  return t;
}

let defaultBackend: Backend = referenceBackend();

/** The backend new tensors are created on when no input tensor decides it. */
export const getBackend = (): Backend => defaultBackend;
export function setBackend(b: Backend): void { defaultBackend = b; }

/** Creates a tensor from host data on `backend` (the default one unless given). */
export function fromData<S extends Shape, D extends DType>(data: TypedArrayOf[D], shape: S, dtype: D, backend = defaultBackend): Tensor<S, D> {
  checkAllocation('fromData', shape, dtype, backend);
  if (!backend.dtypes.includes(dtype))
    throw new TensorError({ kind: 'DTypeMismatch', op: 'fromData', message: `backend ${backend.name} does not store ${dtype} (it stores ${backend.dtypes.join(', ')})` });
  return adopt(shape, dtype, backend, backend.upload(data, { shape, dtype }));
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
  if (!BF16_PRIMS.has(prim) && inputs.some((x) => x.dtype === 'bfloat16'))
    throw new TensorError({ kind: 'DTypeMismatch', op: prim, message: `takes no bfloat16 tensor (bfloat16 only stores weights: cast it to float32, or use it in ${[...BF16_PRIMS].join(', ')})` });
  const out = spec.infer(inputs.map((x) => x.info), params);
  if (compositePrimitives.has(prim) && !hasKernel(backend, prim as CompositePrimitive))
    throw new TensorError({ kind: 'InvalidArgument', op: prim, message: `backend ${backend.name} has no ${prim} kernel (dotProductAttention and applyRope compose it from plain primitives there)` });
  if (!backend.dtypes.includes(out.dtype))
    throw new TensorError({ kind: 'DTypeMismatch', op: prim, message: `backend ${backend.name} does not support ${out.dtype}` });
  let handle: DataHandle;
  if (abstractTracing()) handle = placeholderHandle(backend);
  else {
    if (prim !== 'reshape') checkAllocation(prim, out.shape, out.dtype, backend); // a reshape is a view
    handle = runPrimitive(backend, prim, inputs.map((x) => ({ handle: x.handle, info: x.info })), params, out);
  }
  const output = adopt(out.shape, out.dtype, backend, handle);
  notify({ prim, inputs, params, output });
  return output;
}
