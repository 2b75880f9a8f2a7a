/** The decoder families this model computes: Llama (and Llama-3), Qwen2 (biases on q, k, v) and Mistral. */
export const MODEL_FAMILIES = ['llama', 'qwen2', 'mistral'] as const;
export type ModelFamily = (typeof MODEL_FAMILIES)[number];

/** RoPE frequency scaling, as Hugging Face's `rope_type` values of the same names compute it. */
export type RopeScaling =
  | { readonly rope_type: 'linear'; readonly factor: number }
  | { readonly rope_type: 'dynamic'; readonly factor: number }
  | {
    readonly rope_type: 'llama3'; readonly factor: number; readonly low_freq_factor: number;
    readonly high_freq_factor: number; readonly original_max_position_embeddings: number;
  };

/**
 * What the model computes, under Hugging Face's config.json key names (transformers 4's top-level `rope_theta`
 * and `rope_scaling`; `@safekey-ts/hf` reads both config forms into this one). Optional keys default to plain
 * Llama: `model_type` 'llama', `num_key_value_heads` = heads, `head_dim` = hidden / heads, no scaling, no biases,
 * no sliding window.
 */
export interface ModelConfig {
  readonly model_type?: ModelFamily;
  readonly vocab_size: number;
  readonly hidden_size: number;
  readonly intermediate_size: number;
  readonly num_hidden_layers: number;
  readonly num_attention_heads: number;
  readonly num_key_value_heads?: number;
  readonly head_dim?: number;
  readonly rms_norm_eps: number;
  readonly rope_theta: number;
  readonly rope_scaling?: RopeScaling | null;
  readonly max_position_embeddings: number;
  readonly tie_word_embeddings: boolean;
  /** Llama only: biases on the q, k, v and o projections (Qwen2 always has q, k, v biases, Mistral none). */
  readonly attention_bias?: boolean;
  /** Mistral, and Qwen2 with `use_sliding_window`: keys further back than this are not attended to. */
  readonly sliding_window?: number | null;
}

/** Derived sizes, with the config's consistency checked. */
export interface Dims {
  readonly family: ModelFamily;
  readonly vocab: number; readonly d: number; readonly ff: number; readonly layers: number;
  readonly heads: number; readonly kvHeads: number; readonly headDim: number;
  /** Biases on the q, k and v projections; on the output projection. */
  readonly qkvBias: boolean; readonly oBias: boolean;
}

/** The sizes of a config; an inconsistent one (heads that do not divide, an odd head dim) throws, naming the keys. */
export function dimsOf(c: ModelConfig): Dims {
  const family = c.model_type ?? 'llama';
  const kvHeads = c.num_key_value_heads ?? c.num_attention_heads;
  if (c.head_dim === undefined && c.hidden_size % c.num_attention_heads !== 0)
    throw new Error(`config: hidden_size ${c.hidden_size} is not divisible by num_attention_heads ${c.num_attention_heads}`);
  if (c.num_attention_heads % kvHeads !== 0) throw new Error(`config: num_attention_heads ${c.num_attention_heads} is not divisible by num_key_value_heads ${kvHeads}`);
  const headDim = c.head_dim ?? c.hidden_size / c.num_attention_heads;
  if (headDim % 2 !== 0) throw new Error(`config: head dim ${headDim} must be even for rotary embeddings`);
  const bias = family === 'llama' && c.attention_bias === true;
  return {
    family, vocab: c.vocab_size, d: c.hidden_size, ff: c.intermediate_size, layers: c.num_hidden_layers,
    heads: c.num_attention_heads, kvHeads, headDim, qkvBias: family === 'qwen2' || bias, oBias: bias,
  };
}

/** The longest sequence the model attends over in full (the sliding window, when the config has one). */
export const attentionSpan = (c: ModelConfig): number => c.sliding_window ?? Number.POSITIVE_INFINITY;

/**
 * Why a sequence of `positions` tokens does not fit the model, or null: past `max_position_embeddings` (except
 * with dynamic NTK scaling, which stretches RoPE as the sequence grows: that is its purpose), or past the sliding
 * window (sliding-window attention is not supported).
 */
export function sequenceProblem(c: ModelConfig, positions: number): string | null {
  if (positions > c.max_position_embeddings && c.rope_scaling?.rope_type !== 'dynamic')
    return `exceed the model's max_position_embeddings ${c.max_position_embeddings}`;
  if (positions > attentionSpan(c)) return `exceed the model's sliding_window ${c.sliding_window} (sliding-window attention is not supported)`;
  return null;
}
