import { type Tensor, activeTracers, bind, untraced } from '@safekey-ts/core';
import { Tape } from './tape.js';

/** The same value, seen by autograd as a constant. */
export const stopGradient = <T extends Tensor>(x: T): T => untraced(() => bind('reshape', [x], { shape: x.shape })) as T;

/** Runs `f` without recording anything for differentiation (inference, metrics, optimizer updates). */
export const noGrad = <R>(f: () => R): R => untraced(f);

export interface CustomVjp<Args extends readonly Tensor[], Res> {
  /** The forward computation: the output and whatever the backward pass needs (residuals). */
  readonly fwd: (...args: Args) => readonly [Tensor, Res];
  /** Cotangents of the inputs from the residuals and the output's cotangent (null: no gradient). */
  readonly bwd: (res: Res, g: Tensor) => readonly (Tensor | null)[];
}

/**
 * A function with a user-supplied backward pass. The forward runs unrecorded; one step with `bwd` as its
 * pullback is recorded instead. Residuals count as constants for higher derivatives.
 */
export function customVjp<Args extends readonly Tensor[], Res>(spec: CustomVjp<Args, Res>): (...args: Args) => Tensor {
  return (...args) => {
    const tapes = activeTracers().filter((t): t is Tape => t instanceof Tape);
    const [out, res] = untraced(() => spec.fwd(...args));
    for (const tape of tapes) tape.recordCustom(args, out, (g) => spec.bwd(res, g));
    return out;
  };
}
