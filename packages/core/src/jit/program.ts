import type { FusedKernel } from '../kernel.js';
import type { PrimParams, Primitive, TensorInfo } from '../primitives.js';
import type { Tensor } from '../tensor.js';

/** Where a step reads a value: a jit argument, a captured constant, or an earlier step's output. */
export type Ref =
  | { readonly kind: 'arg'; readonly index: number }
  | { readonly kind: 'const'; readonly tensor: Tensor }
  | { readonly kind: 'step'; readonly index: number };

export type Step =
  | { readonly kind: 'prim'; readonly prim: Primitive; readonly params: PrimParams[Primitive]; readonly inputs: readonly Ref[]; readonly out: TensorInfo }
  | { readonly kind: 'fused'; readonly kernel: FusedKernel; readonly inputs: readonly Ref[]; readonly out: TensorInfo };

/** A recorded computation: steps in execution order and the refs of its outputs. */
export interface Program {
  readonly steps: readonly Step[];
  readonly outputs: readonly Ref[];
}

export const sameRef = (a: Ref, b: Ref): boolean =>
  a.kind === b.kind && (a.kind === 'const' ? a.tensor === (b as typeof a).tensor : a.index === (b as { index: number }).index);

/** Drops steps whose results never reach an output, renumbering the rest. */
export function deadCodeEliminated(p: Program): Program {
  const live = new Array<boolean>(p.steps.length).fill(false);
  const mark = (r: Ref) => { if (r.kind === 'step') live[r.index] = true; };
  p.outputs.forEach(mark);
  for (let i = p.steps.length - 1; i >= 0; i--) if (live[i]) p.steps[i].inputs.forEach(mark);
  const renumber = new Array<number>(p.steps.length);
  let n = 0;
  live.forEach((l, i) => { if (l) renumber[i] = n++; });
  const re = (r: Ref): Ref => (r.kind === 'step' ? { kind: 'step', index: renumber[r.index] } : r);
  return {
    steps: p.steps.filter((_, i) => live[i]).map((s) => ({ ...s, inputs: s.inputs.map(re) })),
    outputs: p.outputs.map(re),
  };
}

/** For each step, the index of the last step that reads it (-1: only an output, or unused). */
export function lastUses(p: Program): Int32Array {
  const last = new Int32Array(p.steps.length).fill(-1);
  p.steps.forEach((s, i) => s.inputs.forEach((r) => { if (r.kind === 'step') last[r.index] = i; }));
  return last;
}
