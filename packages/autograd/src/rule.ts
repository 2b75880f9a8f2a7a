import type { Application, Primitive, Tensor } from '@safekey-ts/core';

/** The pullback of a function of tensors: its output, and the cotangents of its inputs for an output cotangent. */
export type TensorVjp = (f: (...xs: Tensor[]) => Tensor, ...primals: Tensor[]) => readonly [Tensor, (ct: Tensor) => readonly Tensor[]];

/**
 * The pullback of one primitive: given the cotangent of its output, the cotangents of its inputs
 * (null where an input takes no gradient: indices, conditions, integer inputs). Written with core ops,
 * so a pullback is itself differentiable (second derivatives). A rule that differentiates a composition of
 * its own (attentionGrad's) gets `vjp` from the tape that calls it.
 */
export type VjpRule<P extends Primitive> = (g: Tensor, app: Application<P>, vjp: TensorVjp) => readonly (Tensor | null)[];
