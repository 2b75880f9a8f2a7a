import type { DType, TypedArray } from './dtype.js';
import { type FusedKernel, primitiveKernel, splitPrologue } from './kernel.js';
import type { CompositePrimitive, PrimParams, Primitive, TensorInfo } from './primitives.js';

/** An opaque reference to a backend's storage for one tensor. */
export interface DataHandle { readonly backend: string }

export interface BackendInput { readonly handle: DataHandle; readonly info: TensorInfo }

export interface MemoryStats {
  /** Buffers allocated and not yet freed. */
  readonly liveBuffers: number;
  readonly liveBytes: number;
  /** The most bytes live at once since the backend was made. */
  readonly peakBytes: number;
}

/**
 * What a backend implements. The core calls it; users call the ops. Core lowers each primitive to a kernel
 * (`primitiveKernel`: element-wise work, movement as views, reductions and products as heads; jit fuses
 * several into one) or leaves it a routine; a backend runs kernels (`runKernel`) and routines (`runRoutine`).
 * Storage is freed only through `free`, so a backend holding device memory (textures, GPU buffers) releases it
 * deterministically.
 */
export interface Backend {
  readonly name: string;
  readonly dtypes: readonly DType[];
  /** The composite primitives this backend runs as kernels of its own (default none: the ops compose them). */
  readonly composites?: readonly CompositePrimitive[];
  /** The most bytes of live tensors this backend can hold, when it has a ceiling of its own (a wasm memory's 4 GiB address space). */
  readonly maxBytes?: number;
  /**
   * jit recomputes a cheap element-wise value inside each kernel that reads it instead of storing it, for a
   * backend where a kernel launch costs more than the recomputation (gpu.js); default false (on the cpu
   * backend the stored value is cheaper: the recomputation reads its inputs again in every reader).
   */
  readonly recompute?: boolean;
  /** Allocates storage for `info` and copies `data` into it. */
  upload(data: TypedArray, info: TensorInfo): DataHandle;
  /** Copies the tensor's values back to the host. */
  read(handle: DataHandle, info: TensorInfo): TypedArray;
  /**
   * Runs a routine: a primitive `primitiveKernel` does not lower (reshape, which may share storage,
   * scatterAdd, the composites it lists, and the steps that read or make bfloat16),
   * allocating the output. Inputs and params are already checked by the core.
   */
  runRoutine<P extends Primitive>(prim: P, inputs: readonly BackendInput[], params: PrimParams[P], out: TensorInfo): DataHandle;
  /** Runs a kernel (an element-wise expression over inputs read through views, optionally with a matmul or reduction head), allocating the output. */
  runKernel(kernel: FusedKernel, inputs: readonly BackendInput[]): DataHandle;
  free(handle: DataHandle): void;
  memory(): MemoryStats;
}

/** Runs one primitive on `b`: as the kernel core lowers it to, or as a routine. */
export function runPrimitive<P extends Primitive>(b: Backend, prim: P, inputs: readonly BackendInput[], params: PrimParams[P], out: TensorInfo): DataHandle {
  const kernel = primitiveKernel(prim, inputs.map((x) => x.info), params, out);
  return kernel ? b.runKernel(kernel, inputs) : b.runRoutine(prim, inputs, params, out);
}

/** True when `b` runs composite primitive `p` as a kernel of its own. */
export const hasKernel = (b: Pick<Backend, 'composites'>, p: CompositePrimitive): boolean => b.composites?.includes(p) ?? false;

/**
 * Runs a kernel whose reduction head has a prologue as its two parts (`splitPrologue`): the prologue's
 * values are stored, reduced by the rest, and freed. Null when the kernel has no prologue.
 */
export function runSplitPrologue(b: Pick<Backend, 'runKernel' | 'free'>, kernel: FusedKernel, inputs: readonly BackendInput[]): DataHandle | null {
  const parts = splitPrologue(kernel);
  if (!parts) return null;
  const values = b.runKernel(parts.prologue, inputs);
  try {
    return b.runKernel(parts.rest, [...inputs, { handle: values, info: parts.prologue.out }]);
  } finally {
    b.free(values);
  }
}
