import { type Tensor, ones, random, zeros } from '@safekey-ts/core';
import { type ModelConfig, dimsOf } from './config.js';
import type { LoraAdapter } from './loraAdapter.js';

/**
 * One decoder block. Linear weights are stored as Hugging Face does, `[out, in]`. The biases exist where the
 * family has them (Qwen2: q, k, v; Llama with `attention_bias`: q, k, v, o) and are absent otherwise.
 */
export interface LayerParams {
  readonly inputNorm: Tensor;
  readonly q: Tensor; readonly k: Tensor; readonly v: Tensor; readonly o: Tensor;
  readonly qBias?: Tensor; readonly kBias?: Tensor; readonly vBias?: Tensor; readonly oBias?: Tensor;
  readonly postNorm: Tensor;
  readonly gate: Tensor; readonly up: Tensor; readonly down: Tensor;
}

export interface ModelParams {
  readonly embed: Tensor;
  readonly layers: readonly LayerParams[];
  readonly norm: Tensor;
  /** Absent when the embeddings are tied (`tie_word_embeddings`). */
  readonly lmHead?: Tensor;
  /** LoRA adapters on some projections (`lora`); the weights above are then the frozen base. */
  readonly adapter?: LoraAdapter;
}

type LayerKey = keyof LayerParams;

/** Hugging Face name of each block tensor, under `model.layers.{i}.`. */
const LAYER_NAMES: { readonly [K in LayerKey]-?: string } = {
  inputNorm: 'input_layernorm.weight', postNorm: 'post_attention_layernorm.weight',
  q: 'self_attn.q_proj.weight', k: 'self_attn.k_proj.weight', v: 'self_attn.v_proj.weight', o: 'self_attn.o_proj.weight',
  qBias: 'self_attn.q_proj.bias', kBias: 'self_attn.k_proj.bias', vBias: 'self_attn.v_proj.bias', oBias: 'self_attn.o_proj.bias',
  gate: 'mlp.gate_proj.weight', up: 'mlp.up_proj.weight', down: 'mlp.down_proj.weight',
};

/** The block tensors a config has, each with its shape, in a fixed order (weights, then the family's biases). */
function layerShapes(config: ModelConfig): [LayerKey, number[]][] {
  const m = dimsOf(config);
  const qOut = m.heads * m.headDim, kvOut = m.kvHeads * m.headDim;
  return [
    ['inputNorm', [m.d]], ['q', [qOut, m.d]], ['k', [kvOut, m.d]], ['v', [kvOut, m.d]], ['o', [m.d, qOut]],
    ...(m.qkvBias ? [['qBias', [qOut]], ['kBias', [kvOut]], ['vBias', [kvOut]]] as [LayerKey, number[]][] : []),
    ...(m.oBias ? [['oBias', [m.d]]] as [LayerKey, number[]][] : []),
    ['postNorm', [m.d]], ['gate', [m.ff, m.d]], ['up', [m.ff, m.d]], ['down', [m.d, m.ff]],
  ];
}

const isNorm = (key: LayerKey) => key === 'inputNorm' || key === 'postNorm';
const isBias = (key: LayerKey) => key.endsWith('Bias');

/** Random initial parameters: normal(0, std) weights (Hugging Face `initializer_range`, 0.02), unit norms, zero biases. */
export function initParams(key: random.Key, config: ModelConfig, std = 0.02): ModelParams {
  const m = dimsOf(config);
  const shapes = layerShapes(config);
  const weights = shapes.filter(([k]) => !isNorm(k) && !isBias(k)).length;
  const keys = random.split(key, 2 + m.layers * weights);
  let next = 0;
  const w = (shape: number[]) => random.normal(keys[next++]!, shape, { std });
  const layers = Array.from({ length: m.layers }, (): LayerParams =>
    Object.fromEntries(shapes.map(([k, shape]) => [k, isNorm(k) ? ones(shape) : isBias(k) ? zeros(shape) : w(shape)])) as unknown as LayerParams);
  const embed = w([m.vocab, m.d]);
  const lmHead = config.tie_word_embeddings ? undefined : w([m.vocab, m.d]);
  return { embed, layers, norm: ones([m.d]), ...(lmHead ? { lmHead } : {}) };
}

/** Every parameter with its Hugging Face name and expected shape, and how to find it in the tree. */
export function hfLayout(config: ModelConfig): { name: string; shape: number[]; get: (p: ModelParams) => Tensor }[] {
  const m = dimsOf(config);
  const shapes = layerShapes(config);
  const layers = Array.from({ length: m.layers }, (_, i) => shapes.map(([key, shape]) => ({
    name: `model.layers.${i}.${LAYER_NAMES[key]}`, shape, get: (p: ModelParams) => p.layers[i]![key]!,
  }))).flat();
  return [
    { name: 'model.embed_tokens.weight', shape: [m.vocab, m.d], get: (p) => p.embed },
    { name: 'model.norm.weight', shape: [m.d], get: (p) => p.norm },
    ...layers,
    ...(config.tie_word_embeddings ? [] : [{ name: 'lm_head.weight', shape: [m.vocab, m.d], get: (p: ModelParams) => p.lmHead! }]),
  ];
}

/** Builds the parameter tree from tensors looked up by Hugging Face name. */
export function fromHfNames(config: ModelConfig, get: (name: string) => Tensor): ModelParams {
  const m = dimsOf(config);
  const shapes = layerShapes(config);
  const layers = Array.from({ length: m.layers }, (_, i) =>
    Object.fromEntries(shapes.map(([key]) => [key, get(`model.layers.${i}.${LAYER_NAMES[key]}`)])) as unknown as LayerParams);
  const base = { embed: get('model.embed_tokens.weight'), layers, norm: get('model.norm.weight') };
  return config.tie_word_embeddings ? base : { ...base, lmHead: get('lm_head.weight') };
}
