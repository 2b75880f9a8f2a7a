import { type Tensor, ones, random } from '@safekey-ts/core';
import { type LlamaConfig, dimsOf } from './config.js';

/** One decoder block. Linear weights are stored as Hugging Face does, `[out, in]`. */
export interface LayerParams {
  readonly inputNorm: Tensor;
  readonly q: Tensor; readonly k: Tensor; readonly v: Tensor; readonly o: Tensor;
  readonly postNorm: Tensor;
  readonly gate: Tensor; readonly up: Tensor; readonly down: Tensor;
}

export interface LlamaParams {
  readonly embed: Tensor;
  readonly layers: readonly LayerParams[];
  readonly norm: Tensor;
  /** Absent when the embeddings are tied (`tie_word_embeddings`). */
  readonly lmHead?: Tensor;
}

/** Random initial parameters: normal(0, 0.02) weights (Hugging Face `initializer_range`), unit norms. */
export function initParams(key: random.Key, config: LlamaConfig, std = 0.02): LlamaParams {
  const m = dimsOf(config);
  const keys = random.split(key, 2 + m.layers * 7);
  let k = 0;
  const w = (shape: number[]) => random.normal(keys[k++], shape, { std });
  const layers = Array.from({ length: m.layers }, (): LayerParams => ({
    inputNorm: ones([m.d]),
    q: w([m.heads * m.headDim, m.d]), k: w([m.kvHeads * m.headDim, m.d]), v: w([m.kvHeads * m.headDim, m.d]), o: w([m.d, m.heads * m.headDim]),
    postNorm: ones([m.d]),
    gate: w([m.ff, m.d]), up: w([m.ff, m.d]), down: w([m.d, m.ff]),
  }));
  const embed = w([m.vocab, m.d]);
  const lmHead = config.tie_word_embeddings ? undefined : w([m.vocab, m.d]);
  return { embed, layers, norm: ones([m.d]), ...(lmHead ? { lmHead } : {}) };
}

/** Hugging Face name of each block tensor, under `model.layers.{i}.`. */
const LAYER_NAMES: { readonly [K in keyof LayerParams]: string } = {
  inputNorm: 'input_layernorm.weight', postNorm: 'post_attention_layernorm.weight',
  q: 'self_attn.q_proj.weight', k: 'self_attn.k_proj.weight', v: 'self_attn.v_proj.weight', o: 'self_attn.o_proj.weight',
  gate: 'mlp.gate_proj.weight', up: 'mlp.up_proj.weight', down: 'mlp.down_proj.weight',
};
const layerKeys = Object.keys(LAYER_NAMES) as (keyof LayerParams)[];

/** Every parameter with its Hugging Face name and expected shape, and how to find it in the tree. */
export function hfLayout(config: LlamaConfig): { name: string; shape: number[]; get: (p: LlamaParams) => Tensor }[] {
  const m = dimsOf(config);
  const shapes: { readonly [K in keyof LayerParams]: number[] } = {
    inputNorm: [m.d], postNorm: [m.d],
    q: [m.heads * m.headDim, m.d], k: [m.kvHeads * m.headDim, m.d], v: [m.kvHeads * m.headDim, m.d], o: [m.d, m.heads * m.headDim],
    gate: [m.ff, m.d], up: [m.ff, m.d], down: [m.d, m.ff],
  };
  const layers = Array.from({ length: m.layers }, (_, i) => layerKeys.map((key) => ({
    name: `model.layers.${i}.${LAYER_NAMES[key]}`, shape: shapes[key], get: (p: LlamaParams) => p.layers[i][key],
  }))).flat();
  return [
    { name: 'model.embed_tokens.weight', shape: [m.vocab, m.d], get: (p) => p.embed },
    { name: 'model.norm.weight', shape: [m.d], get: (p) => p.norm },
    ...layers,
    ...(config.tie_word_embeddings ? [] : [{ name: 'lm_head.weight', shape: [m.vocab, m.d], get: (p: LlamaParams) => p.lmHead! }]),
  ];
}

/** Builds the parameter tree from tensors looked up by Hugging Face name. */
export function fromHfNames(config: LlamaConfig, get: (name: string) => Tensor): LlamaParams {
  const m = dimsOf(config);
  const layers = Array.from({ length: m.layers }, (_, i) =>
    Object.fromEntries(layerKeys.map((key) => [key, get(`model.layers.${i}.${LAYER_NAMES[key]}`)])) as unknown as LayerParams);
  const base = { embed: get('model.embed_tokens.weight'), layers, norm: get('model.norm.weight') };
  return config.tie_word_embeddings ? base : { ...base, lmHead: get('lm_head.weight') };
}
