import type { Backend, DataHandle } from '../backend.js';
import { type FusedKernel, primitiveKernel } from '../kernel.js';
import type { TensorInfo } from '../primitives.js';
import { adopt } from '../bind.js';
import { checkAllocation } from '../memoryLimit.js';
import type { Tensor } from '../tensor.js';
import type { Program, Ref } from './program.js';

/**
 * The kernel each step runs as (a fused step's own, a primitive step's `primitiveKernel`), or null for a routine:
 * made once when the program is compiled, not at every replay. `args` are the infos of the program's arguments.
 */
export function stepKernels(p: Program, args: readonly TensorInfo[]): (FusedKernel | null)[] {
  const infoOf = (r: Ref) => (r.kind === 'arg' ? args[r.index] : r.kind === 'const' ? r.tensor.info : p.steps[r.index].out);
  return p.steps.map((s) => (s.kind === 'fused' ? s.kernel : primitiveKernel(s.prim, s.inputs.map(infoOf), s.params, s.out)));
}

/**
 * Runs a program on `backend`: each step once, freeing every intermediate right after its last reader,
 * so memory stays at what the outputs need. Returns the output tensors.
 */
export function execute(p: Program, lastUse: Int32Array, kernels: readonly (FusedKernel | null)[], args: readonly Tensor[], backend: Backend): Tensor[] {
  const values = new Array<DataHandle | undefined>(p.steps.length);
  const isOutput = new Set(p.outputs.flatMap((r) => (r.kind === 'step' ? [r.index] : [])));
  const handleOf = (r: Ref): DataHandle => (r.kind === 'arg' ? args[r.index].handle : r.kind === 'const' ? r.tensor.handle : values[r.index]!);
  const infoOf = (r: Ref) => (r.kind === 'arg' ? args[r.index].info : r.kind === 'const' ? r.tensor.info : p.steps[r.index].out);
  p.steps.forEach((s, i) => {
    const inputs = s.inputs.map((r) => ({ handle: handleOf(r), info: infoOf(r) }));
    if (s.kind === 'fused' || s.prim !== 'reshape') checkAllocation(s.kind === 'fused' ? 'jit' : s.prim, s.out.shape, s.out.dtype, backend);
    const kernel = kernels[i];
    if (kernel) values[i] = backend.runKernel(kernel, inputs);
    else if (s.kind === 'prim') values[i] = backend.runRoutine(s.prim, inputs, s.params, s.out);
    for (const r of s.inputs) if (r.kind === 'step' && lastUse[r.index] === i && !isOutput.has(r.index) && values[r.index]) {
      backend.free(values[r.index]!);
      values[r.index] = undefined;
    }
  });
  const made = new Map<number, Tensor>();
  return p.outputs.map((r) => {
    if (r.kind === 'arg') return args[r.index];
    if (r.kind === 'const') return freshView(r.tensor);
    let t = made.get(r.index);
    if (!t) { t = adopt(p.steps[r.index].out.shape, p.steps[r.index].out.dtype, backend, values[r.index]!); made.set(r.index, t); }
    return t;
  });
}

/**
 * A new tensor sharing `t`'s storage. A captured constant is returned this way on every call, the trace
 * included, as the eager function made one each call: disposing it must not free the program's copy.
 */
export function freshView(t: Tensor): Tensor {
  return adopt(t.shape, t.dtype, t.backend, t.backend.runRoutine('reshape', [{ handle: t.handle, info: t.info }], { shape: t.shape }, t.info));
}
