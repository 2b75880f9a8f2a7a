import type { Tensor } from '@safekey-ts/core';
import type { SafekeyParams } from '../losses/objective.js';
import type { LoraLayer } from '../model/loraAdapter.js';
import type { ModelParams } from '../model/params.js';
import type { SafetyHead } from '../losses/head.js';

/**
 * What training updates: the whole model and the safety head, or with an adapter its `A`, `B` and the head (the
 * safety heads are trained in full either way).
 */
export type TrainableParams =
  | { readonly model: ModelParams; readonly head: SafetyHead }
  | { readonly adapter: readonly LoraLayer[]; readonly head: SafetyHead };

/** What training leaves as it is: nothing, or the base model and the adapter's scale. */
export type FrozenParams = Record<string, never> | { readonly base: ModelParams; readonly scale: Tensor };

/**
 * The parameters as trainable and frozen parts: the frozen ones get no gradient and no optimizer state.
 * `joinParams(splitParams(p))` gives `p` back, tensor for tensor.
 */
export function splitParams(p: SafekeyParams): { readonly trainable: TrainableParams; readonly frozen: FrozenParams } {
  const { adapter, ...base } = p.model;
  if (!adapter) return { trainable: { model: p.model, head: p.head }, frozen: {} };
  return { trainable: { adapter: adapter.layers, head: p.head }, frozen: { base, scale: adapter.scale } };
}

export function joinParams(trainable: TrainableParams, frozen: FrozenParams): SafekeyParams {
  if ('model' in trainable) return trainable;
  const f = frozen as { readonly base: ModelParams; readonly scale: Tensor };
  return { model: { ...f.base, adapter: { scale: f.scale, layers: trainable.adapter } }, head: trainable.head };
}
