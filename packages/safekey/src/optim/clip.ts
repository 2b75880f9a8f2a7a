import { type Tensor, add, div, minimum, mul, sqrt, sum, unflatten } from '@safekey-ts/core';
import { zipLeaves } from './treeZip.js';

/** The L2 norm of all leaves together, `sqrt(sum of squares)`, as a float32 scalar tensor. */
export function globalNorm(tree: unknown): Tensor {
  const squares = zipLeaves('globalNorm', { grads: tree }).map(({ tensors: [g] }) => sum(mul(g!, g!)));
  return sqrt(squares.reduce((a, b) => add(a, b)));
}

/**
 * Global-norm clipping as PyTorch's `clip_grad_norm_`: every gradient is multiplied by
 * `min(1, maxNorm / (norm + 1e-6))`. Returns the clipped tree and the norm before clipping. Pure, no host reads
 * (the factor is applied even when it is 1, which leaves the values unchanged).
 */
export function clipByGlobalNorm<G>(grads: G, maxNorm: number): { readonly grads: G; readonly norm: Tensor } {
  const norm = globalNorm(grads);
  const factor = minimum(div(maxNorm, add(norm, 1e-6)), 1);
  const clipped = zipLeaves('clipByGlobalNorm', { grads }).map(({ tensors: [g] }) => mul(g!, factor));
  return { grads: unflatten(grads, clipped) as unknown as G, norm };
}
