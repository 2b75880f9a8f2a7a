import type { Tensor } from '@safekey-ts/core';
import { type ModelConfig, type ModelParams, type SafetyHead, dimsOf, fromHfNames, hfLayout, safetyHeadFromNames } from '@safekey-ts/safekey';

/** What a checkpoint holds and training updates: the model, and the safety head when there is one. */
export interface TrainableParams { readonly model: ModelParams; readonly head?: SafetyHead }

export interface NamedLeaf<P> { readonly name: string; readonly shape: readonly number[]; readonly get: (p: P) => Tensor }

/** The safety head's tensors under their checkpoint names (as `safetyHeadNames`): weights `[1, D]`, biases `[1]`. */
export function headLayout(d: number): NamedLeaf<SafetyHead>[] {
  return (['context', 'understanding'] as const).flatMap((probe) => [
    { name: `safety_head.${probe}.weight`, shape: [1, d], get: (h: SafetyHead) => h[probe].weight },
    { name: `safety_head.${probe}.bias`, shape: [1], get: (h: SafetyHead) => h[probe].bias },
  ]);
}

/** Every trainable tensor with its name: the model's Hugging Face names, then the head's when `withHead`. */
export function trainableLayout(config: ModelConfig, withHead: boolean): NamedLeaf<TrainableParams>[] {
  const model = hfLayout(config).map((l) => ({ name: l.name, shape: l.shape, get: (p: TrainableParams) => l.get(p.model) }));
  if (!withHead) return model;
  return [...model, ...headLayout(dimsOf(config).d).map((l) => ({ ...l, get: (p: TrainableParams) => l.get(p.head!) }))];
}

/** Builds the trainable tree from tensors looked up by name. */
export function trainableFromNames(config: ModelConfig, withHead: boolean, get: (name: string) => Tensor): TrainableParams {
  const model = fromHfNames(config, get);
  if (!withHead) return { model };
  return { model, head: safetyHeadFromNames(get) };
}
