import { type MapLeaves, type Tensor, TensorError } from '@safekey-ts/core';
import { scalarSeed, vjp } from './vjp.js';

type Argnums = number | readonly number[];
/** Gradients for the chosen arguments: one pytree for a single argnum, a tuple for a list. */
export type GradsFor<Args extends readonly unknown[], N extends Argnums> =
  N extends number ? MapLeaves<Args[N], Tensor> : { -readonly [K in keyof N]: MapLeaves<Args[N[K] & number], Tensor> };

export interface GradOptions<N extends Argnums> {
  /** Which positional arguments to differentiate (default 0). */
  readonly argnums?: N;
}

function differentiate<Args extends readonly unknown[]>(f: (...args: Args) => unknown, argnums: Argnums, hasAux: boolean, op: string) {
  const nums = typeof argnums === 'number' ? [argnums] : [...argnums];
  return (...args: Args): [unknown, unknown] => {
    for (const n of nums) if (!Number.isInteger(n) || n < 0 || n >= args.length)
      throw new TensorError({ kind: 'InvalidArgument', op, message: `argnum ${n} out of range for ${args.length} arguments` });
    let aux: unknown;
    const partial = (...selected: unknown[]) => {
      const full = [...args];
      nums.forEach((n, i) => { full[n] = selected[i]; });
      const r = f(...(full as unknown as Args));
      if (!hasAux) return r;
      if (!Array.isArray(r) || r.length !== 2) throw new TensorError({ kind: 'InvalidArgument', op, message: 'with hasAux the function must return [value, aux]', path: 'output' });
      aux = r[1];
      return r[0];
    };
    const [value, pullback] = vjp(partial, ...nums.map((n) => args[n]));
    const grads = pullback(scalarSeed(value, op) as never) as unknown[];
    return [hasAux ? [value, aux] : value, typeof argnums === 'number' ? grads[0] : grads];
  };
}

/** The gradient of a scalar-valued `f` with respect to the arguments `argnums` (pytrees allowed). */
export function grad<Args extends readonly unknown[], const N extends Argnums = 0>(f: (...args: Args) => Tensor, opts: GradOptions<N> = {}):
  (...args: Args) => GradsFor<Args, N> {
  const d = differentiate(f, opts.argnums ?? 0, false, 'grad');
  return (...args) => d(...args)[1] as GradsFor<Args, N>;
}

/** `f`'s value and gradient from one forward and one backward pass. */
export function valueAndGrad<Args extends readonly unknown[], const N extends Argnums = 0>(
  f: (...args: Args) => Tensor, opts?: GradOptions<N> & { readonly hasAux?: false }): (...args: Args) => [Tensor, GradsFor<Args, N>];
/** With `hasAux`, `f` returns `[value, aux]`; aux comes back untouched: `[[value, aux], grads]`. */
export function valueAndGrad<Args extends readonly unknown[], Aux, const N extends Argnums = 0>(
  f: (...args: Args) => readonly [Tensor, Aux], opts: GradOptions<N> & { readonly hasAux: true }): (...args: Args) => [[Tensor, Aux], GradsFor<Args, N>];
export function valueAndGrad<Args extends readonly unknown[]>(f: (...args: Args) => unknown, opts: GradOptions<Argnums> & { readonly hasAux?: boolean } = {}) {
  return differentiate(f, opts.argnums ?? 0, opts.hasAux ?? false, 'valueAndGrad');
}
