import type { Tensor } from '@safekey-ts/core';

/** The projections LoRA can adapt, by the names of the parameter tree (PEFT's `q_proj`, ..., `down_proj`). */
export const LORA_TARGETS = ['q', 'k', 'v', 'o', 'gate', 'up', 'down'] as const;
export type LoraTarget = (typeof LORA_TARGETS)[number];

/** Hugging Face module path of each target inside a decoder layer. */
export const LORA_MODULES: { readonly [K in LoraTarget]: string } = {
  q: 'self_attn.q_proj', k: 'self_attn.k_proj', v: 'self_attn.v_proj', o: 'self_attn.o_proj',
  gate: 'mlp.gate_proj', up: 'mlp.up_proj', down: 'mlp.down_proj',
};

/** PEFT's `LoraConfig` fields this project uses: `r`, `lora_alpha`, `lora_dropout`, `target_modules`. */
export interface LoraSpec {
  readonly rank: number;
  readonly alpha: number;
  readonly dropout: number;
  readonly targets: readonly LoraTarget[];
}

/** One adapted projection, PEFT's layout: `a` is `lora_A.weight` `[rank, in]`, `b` is `lora_B.weight` `[out, rank]`. */
export interface LoraPair { readonly a: Tensor; readonly b: Tensor }
export type LoraLayer = { readonly [K in LoraTarget]?: LoraPair };

/**
 * The adapter of a model: per layer, the adapted projections; `scale` (`alpha / rank`, a float32 scalar) multiplies
 * their products. `W x` becomes `W x + scale * B (A x)`.
 */
export interface LoraAdapter { readonly scale: Tensor; readonly layers: readonly LoraLayer[] }

