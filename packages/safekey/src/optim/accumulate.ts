import { type Tensor, add, div, mul, scalar, unflatten } from '@safekey-ts/core';
import { zipLeaves } from './treeZip.js';

/** Gradients summed over micro-batches, each weighted, and the total weight. */
export interface GradAccumulator<G> {
  readonly sum: G;
  readonly weight: Tensor;
}

/**
 * Adds one micro-batch's gradients, weighted by `weight` (default 1). For "one big batch" semantics weight
 * each micro-batch by what its loss averages over: 1 each for equal-sized micro-batches of a per-sample mean,
 * or the micro-batch's count of loss tokens (a tensor, so one `jit` trace serves all) for a per-token mean.
 * Starting from `undefined` begins a new accumulation. Pure; no host reads.
 */
export function accumulateGrads<G>(acc: GradAccumulator<G> | undefined, grads: G, weight: Tensor | number = 1): GradAccumulator<G> {
  const w = typeof weight === 'number' ? scalar(weight) : weight;
  if (acc === undefined) {
    const scaled = zipLeaves('accumulateGrads', { grads }).map(({ tensors: [g] }) => mul(g!, w));
    return { sum: unflatten(grads, scaled) as unknown as G, weight: w };
  }
  const summed = zipLeaves('accumulateGrads', { 'acc.sum': acc.sum, grads }).map(({ tensors: [s, g] }) => add(s!, mul(g!, w)));
  return { sum: unflatten(acc.sum, summed) as unknown as G, weight: add(acc.weight, w) };
}

/** The weighted mean of the accumulated gradients: `sum / weight`. */
export function meanGrads<G>(acc: GradAccumulator<G>): G {
  const mean = zipLeaves('meanGrads', { 'acc.sum': acc.sum }).map(({ tensors: [s] }) => div(s!, acc.weight));
  return unflatten(acc.sum, mean) as unknown as G;
}
