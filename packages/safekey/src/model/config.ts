import * as t from 'io-ts';

const PositiveInt = new t.Type<number, number, unknown>('PositiveInt',
  (u): u is number => typeof u === 'number' && Number.isInteger(u) && u > 0,
  (u, c) => (typeof u === 'number' && Number.isInteger(u) && u > 0 ? t.success(u) : t.failure(u, c, `expected a positive integer, got ${JSON.stringify(u)}`)),
  (a) => a);
const PositiveNumber = new t.Type<number, number, unknown>('PositiveNumber',
  (u): u is number => typeof u === 'number' && u > 0,
  (u, c) => (typeof u === 'number' && Number.isFinite(u) && u > 0 ? t.success(u) : t.failure(u, c, `expected a positive number, got ${JSON.stringify(u)}`)),
  (a) => a);

/** A Hugging Face `LlamaConfig` (config.json), the keys this project reads and writes. */
export const LlamaConfigCodec = t.intersection([
  t.type({
    vocab_size: PositiveInt,
    hidden_size: PositiveInt,
    intermediate_size: PositiveInt,
    num_hidden_layers: PositiveInt,
    num_attention_heads: PositiveInt,
    rms_norm_eps: PositiveNumber,
    rope_theta: PositiveNumber,
    max_position_embeddings: PositiveInt,
    tie_word_embeddings: t.boolean,
  }),
  t.partial({
    num_key_value_heads: PositiveInt,
    architectures: t.array(t.string),
    model_type: t.string,
  }),
], 'LlamaConfig');
export type LlamaConfig = t.TypeOf<typeof LlamaConfigCodec>;

/** Derived sizes, with the config's consistency checked (heads divide the hidden size, KV heads divide heads). */
export interface Dims {
  readonly vocab: number; readonly d: number; readonly ff: number; readonly layers: number;
  readonly heads: number; readonly kvHeads: number; readonly headDim: number;
}

export function dimsOf(c: LlamaConfig): Dims {
  const kvHeads = c.num_key_value_heads ?? c.num_attention_heads;
  if (c.hidden_size % c.num_attention_heads !== 0) throw new Error(`config: hidden_size ${c.hidden_size} is not divisible by num_attention_heads ${c.num_attention_heads}`);
  if (c.num_attention_heads % kvHeads !== 0) throw new Error(`config: num_attention_heads ${c.num_attention_heads} is not divisible by num_key_value_heads ${kvHeads}`);
  const headDim = c.hidden_size / c.num_attention_heads;
  if (headDim % 2 !== 0) throw new Error(`config: head dim ${headDim} must be even for rotary embeddings`);
  return { vocab: c.vocab_size, d: c.hidden_size, ff: c.intermediate_size, layers: c.num_hidden_layers, heads: c.num_attention_heads, kvHeads, headDim };
}

/** The config.json a checkpoint stores (Hugging Face keys and defaults filled in). */
export const toHfConfig = (c: LlamaConfig): LlamaConfig => ({
  architectures: ['LlamaForCausalLM'], model_type: 'llama', ...c, num_key_value_heads: c.num_key_value_heads ?? c.num_attention_heads,
});
