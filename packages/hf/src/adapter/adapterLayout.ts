import type { Tensor } from '@safekey-ts/core';
import { LORA_MODULES, type LoraLayer, type LoraSpec, type ModelConfig, dimsOf, projectionShapes } from '@safekey-ts/safekey';

export interface AdapterLeaf { readonly name: string; readonly shape: readonly number[]; readonly get: (layers: readonly LoraLayer[]) => Tensor }

/**
 * Every adapter tensor under PEFT's name (`base_model.model.model.layers.{i}.self_attn.q_proj.lora_A.weight`), with
 * its shape (`A` `[rank, in]`, `B` `[out, rank]`), layer by layer, targets in `LORA_TARGETS` order, A before B.
 */
export function adapterLayout(config: ModelConfig, spec: LoraSpec): AdapterLeaf[] {
  const shapes = projectionShapes(config);
  return Array.from({ length: dimsOf(config).layers }, (_, i) => spec.targets.flatMap((tg) => {
    const [out, inn] = shapes[tg];
    const at = `base_model.model.model.layers.${i}.${LORA_MODULES[tg]}`;
    return [
      { name: `${at}.lora_A.weight`, shape: [spec.rank, inn], get: (ls: readonly LoraLayer[]) => ls[i]![tg]!.a },
      { name: `${at}.lora_B.weight`, shape: [out, spec.rank], get: (ls: readonly LoraLayer[]) => ls[i]![tg]!.b },
    ];
  })).flat();
}

/** The adapter's layers from tensors looked up by PEFT name. */
export function adapterFromNames(config: ModelConfig, spec: LoraSpec, get: (name: string) => Tensor): LoraLayer[] {
  return Array.from({ length: dimsOf(config).layers }, (_, i) => Object.fromEntries(spec.targets.map((tg) => {
    const at = `base_model.model.model.layers.${i}.${LORA_MODULES[tg]}`;
    return [tg, { a: get(`${at}.lora_A.weight`), b: get(`${at}.lora_B.weight`) }];
  })) as LoraLayer);
}
