import type { Tensor } from '@safekey-ts/core';
import { type LoraLayer, type LoraSpec, type ModelConfig, type ModelParams, type SafetyHead, dimsOf, fromHfNames, hfLayout, safetyHeadFromNames } from '@safekey-ts/safekey';
import { adapterFromNames, adapterLayout } from '../adapter/adapterLayout.js';

/**
 * What training updates, and so what the optimizer state holds: the model, or with LoRA the adapter's layers
 * (the base is frozen); the safety head when there is one.
 */
export type TrainableParams =
  | { readonly model: ModelParams; readonly head?: SafetyHead }
  | { readonly adapter: readonly LoraLayer[]; readonly head?: SafetyHead };

export interface NamedLeaf<P> { readonly name: string; readonly shape: readonly number[]; readonly get: (p: P) => Tensor }

/** The safety head's tensors under their checkpoint names (as `safetyHeadNames`): weights `[1, D]`, biases `[1]`. */
export function headLayout(d: number): NamedLeaf<SafetyHead>[] {
  return (['context', 'understanding'] as const).flatMap((probe) => [
    { name: `safety_head.${probe}.weight`, shape: [1, d], get: (h: SafetyHead) => h[probe].weight },
    { name: `safety_head.${probe}.bias`, shape: [1], get: (h: SafetyHead) => h[probe].bias },
  ]);
}

/**
 * Every trainable tensor with its name: the model's Hugging Face names (with `lora`, the adapter's PEFT names),
 * then the head's when `withHead`.
 */
export function trainableLayout(config: ModelConfig, withHead: boolean, lora?: LoraSpec): NamedLeaf<TrainableParams>[] {
  const model: NamedLeaf<TrainableParams>[] = lora
    ? adapterLayout(config, lora).map((l) => ({ name: l.name, shape: l.shape, get: (p: TrainableParams) => l.get((p as { adapter: readonly LoraLayer[] }).adapter) }))
    : hfLayout(config).map((l) => ({ name: l.name, shape: l.shape, get: (p: TrainableParams) => l.get((p as { model: ModelParams }).model) }));
  if (!withHead) return model;
  return [...model, ...headLayout(dimsOf(config).d).map((l) => ({ ...l, get: (p: TrainableParams) => l.get(p.head!) }))];
}

/** Builds the trainable tree from tensors looked up by name. */
export function trainableFromNames(config: ModelConfig, withHead: boolean, get: (name: string) => Tensor, lora?: LoraSpec): TrainableParams {
  const part = lora ? { adapter: adapterFromNames(config, lora, get) } : { model: fromHfNames(config, get) };
  return withHead ? { ...part, head: safetyHeadFromNames(get) } : part;
}
