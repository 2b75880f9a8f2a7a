import {
  type Leaf, type MapLeaves, type Tensor, TensorError, bind, fmtShape, isFloat, leaves, ones, sameShape, unflatten,
  withTracer, zeros,
} from '@safekey-ts/core';
import type { TensorVjp } from './rule.js';
import { Tape } from './tape.js';

/** Cotangents for `Args`: the same pytree structure with a tensor at every leaf. */
export type Cotangents<Args extends readonly unknown[]> = { -readonly [K in keyof Args]: MapLeaves<Args[K], Tensor> };

const gradError = (message: string, path?: string) =>
  new TensorError({ kind: 'InvalidArgument', op: 'autograd', message, ...(path !== undefined ? { path } : {}) });

/** A fresh tensor object with x's value, so that one tape can tell apart primals passed twice. */
const fresh = (x: Tensor): Tensor => bind('reshape', [x], { shape: x.shape });

/**
 * Runs `f(...primals)` recording what its output depends on, and returns the output with its pullback:
 * `pullback(ct)` maps a cotangent of the output (same structure) to cotangents of each primal (same
 * structures as the primals). Leaves that do not reach the output get zeros; non-float leaves get zeros
 * of their own dtype. The tape lives only as long as the pullback: drop it and everything is released.
 */
export function vjp<const Args extends readonly unknown[], Out>(f: (...args: Args) => Out, ...primals: Args):
  [Out, (ct: MapLeaves<Out, Tensor>) => Cotangents<Args>] {
  const argLeaves: Leaf[][] = primals.map((p, i) => leaves(p, 'vjp', `args[${i}]`));
  const tape = new Tape(tensorVjp);
  const freshArgs = argLeaves.map((ls) => ls.map((l) => {
    if (!isFloat(l.tensor.dtype)) return l.tensor;
    const t = fresh(l.tensor);
    tape.track(t);
    return t;
  }));
  const args = primals.map((p, i) => unflatten(p, freshArgs[i])) as unknown as Args;
  const out = withTracer(tape, () => f(...args));
  const outLeaves = leaves(out, 'vjp', 'output');

  const pullback = (ct: MapLeaves<Out, Tensor>): Cotangents<Args> => {
    const ctLeaves = leaves(ct, 'vjp', 'cotangent');
    if (ctLeaves.length !== outLeaves.length) throw gradError(`cotangent has ${ctLeaves.length} tensors but the output has ${outLeaves.length}`);
    const seeds: [Tensor, Tensor][] = [];
    outLeaves.forEach((o, i) => {
      const c = ctLeaves[i].tensor;
      if (!sameShape(o.tensor.shape, c.shape)) throw gradError(`cotangent shape ${fmtShape(c.shape)} does not match output shape ${fmtShape(o.tensor.shape)}`, ctLeaves[i].path);
      if (isFloat(o.tensor.dtype)) seeds.push([o.tensor, c]);
    });
    const grads = tape.backward(seeds);
    return primals.map((p, i) => unflatten(p, freshArgs[i].map((t) =>
      grads.get(t) ?? zeros(t.shape, t.dtype)))) as unknown as Cotangents<Args>;
  };
  return [out, pullback];
}

/** Checks that `f`'s output is a float scalar (one element) and returns the cotangent 1 for it. */
export function scalarSeed(out: unknown, op: string): Tensor {
  const [leaf, ...rest] = leaves(out, op, 'output');
  if (!leaf || rest.length > 0) throw gradError(`${op} needs a function returning one scalar tensor, got ${rest.length + (leaf ? 1 : 0)} tensors; use vjp with a cotangent`, 'output');
  const t = leaf.tensor;
  if (t.size !== 1) throw gradError(`${op} needs a scalar output, got shape ${fmtShape(t.shape)}; reduce it (sum, mean) or use vjp with a cotangent`, 'output');
  if (!isFloat(t.dtype)) throw gradError(`${op} needs a float output, got ${t.dtype}`, 'output');
  return ones(t.shape, t.dtype);
}

const tensorVjp: TensorVjp = (f, ...primals) => vjp(f, ...primals);
