import { TensorError } from '../errors.js';
import type { FusedKernel } from '../kernel.js';
import { Tensor, activeTracers, withTracer } from '../tensor.js';
import { getBackend } from '../bind.js';
import { leaves } from '../pytree.js';
import { execute, stepKernels } from './execute.js';
import { fuse } from './fuse.js';
import { type Program, type Ref, deadCodeEliminated, lastUses } from './program.js';
import { Recorder } from './recorder.js';

export interface JitOptions {
  /** Fuse element-wise chains (and epilogues of matmuls and reductions) into single kernels (default true). */
  readonly fuse?: boolean;
  /**
   * Recompute a cheap element-wise value (at most 8 nodes) inside each kernel that reads it instead of storing
   * it: fewer kernels, more reads (default: the backend's `recompute`, true on gpu.js).
   */
  readonly recompute?: boolean;
}

export interface JitStats {
  /** Times `f` was traced (one per distinct argument signature). */
  readonly traces: number;
  /** Calls served by replaying a recorded program. */
  readonly replays: number;
  /** Of the last traced program: primitive applications recorded, and kernels run per call after fusion. */
  readonly recordedOps: number;
  readonly kernels: number;
  readonly fusedKernels: number;
}

interface Compiled { readonly program: Program; readonly lastUse: Int32Array; readonly kernels: readonly (FusedKernel | null)[]; readonly template: unknown }

/** Replaces every tensor inside `v` (arrays and plain records) with `f(t)`, leaving other values as they are. */
function mapTensors(v: unknown, f: (t: Tensor) => Tensor): unknown {
  if (v instanceof Tensor) return f(v);
  if (Array.isArray(v)) return v.map((x) => mapTensors(x, f));
  if (typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype)
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, mapTensors(x, f)]));
  return v;
}

/**
 * Compiles `f` by tracing: the first call with a given argument signature (pytree structure, shapes,
 * dtypes, backend, which arguments are the same tensor) runs `f` abstractly, recording every primitive and
 * computing none, then runs the recorded program (fused, dead code removed, intermediates freed as soon as
 * they are used), as every later call does without running `f` again. So the first call's memory is a replay's.
 *
 * Like JAX's `jit`: `f` must not branch on tensor values (reading them inside is an error), and numbers
 * and tensors it captures, random draws included, are fixed at trace time: pass what changes between
 * calls (a learning rate, a random mask) as tensor arguments. Non-tensor parts of the result are those of
 * the first call. Inside `grad` or another `jit`, `f` runs eagerly so that they see its operations.
 */
export function jit<A extends readonly unknown[], R>(f: (...args: A) => R, opts: JitOptions = {}): ((...args: A) => R) & { stats(): JitStats } {
  const cache = new Map<string, Compiled>();
  let traces = 0, replays = 0, last: Compiled | undefined, recordedOps = 0;
  const call = (...args: A): R => {
    if (activeTracers().length > 0) return f(...args);
    const argLeaves = leaves(args, 'jit', 'args').map((l) => l.tensor);
    // The same tensor passed twice was one value when traced: which leaves alias is part of the signature.
    const aliases = argLeaves.map((t) => argLeaves.indexOf(t));
    const key = JSON.stringify([structureOf(args), argLeaves.map((t) => [t.shape, t.dtype, t.backend.name]), aliases]);
    const hit = cache.get(key);
    if (hit) {
      replays++;
      const backend = argLeaves[0]?.backend ?? getBackend();
      const outs = execute(hit.program, hit.lastUse, hit.kernels, argLeaves, backend);
      let i = 0;
      return mapTensors(hit.template, () => outs[i++]) as R;
    }
    const recorder = new Recorder(argLeaves);
    const result = withTracer(recorder, () => f(...args));
    const outputs: Ref[] = [];
    const template = mapTensors(result, (t) => { outputs.push(recorder.refOf(t)); return t; });
    const infoOf = (r: Ref) => (r.kind === 'arg' ? argLeaves[r.index].info : r.kind === 'const' ? r.tensor.info : recorder.steps[r.index].out);
    const recorded = deadCodeEliminated({ steps: recorder.steps, outputs });
    const backend = argLeaves[0]?.backend ?? getBackend();
    const recompute = opts.recompute ?? backend.recompute ?? false;
    const program = opts.fuse === false ? recorded : deadCodeEliminated(fuse(recorded, (r) => (r.kind === 'step' ? recorded.steps[r.index].out : infoOf(r)), recompute));
    last = { program, lastUse: lastUses(program), kernels: stepKernels(program, argLeaves.map((t) => t.info)), template };
    recordedOps = recorder.steps.length;
    cache.set(key, last);
    traces++;
    // the trace computed nothing: this call's values come from running the program, as a replay's do
    const outs = execute(program, last.lastUse, last.kernels, argLeaves, backend);
    let i = 0;
    return mapTensors(template, () => outs[i++]) as R;
  };
  return Object.assign(call, {
    stats: (): JitStats => ({
      traces, replays, recordedOps,
      kernels: last?.program.steps.length ?? 0,
      fusedKernels: last?.program.steps.filter((s) => s.kind === 'fused').length ?? 0,
    }),
  });
}

function structureOf(v: unknown): unknown {
  if (v instanceof Tensor) return 0;
  if (Array.isArray(v)) return v.map(structureOf);
  if (typeof v === 'object' && v !== null) return Object.fromEntries(Object.keys(v).sort().map((k) => [k, structureOf((v as Record<string, unknown>)[k])]));
  throw new TensorError({ kind: 'InvalidArgument', op: 'jit', message: `arguments must be pytrees of tensors, got ${typeof v}` });
}
