import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { type LlamaConfig, LlamaConfigCodec, dimsOf, toHfConfig } from '@safekey-ts/safekey';
import type { TokenizerData } from '../tokenizer/tokenizer.js';
import { CHAT_SPECIAL_TOKENS } from '../tokenizer/specialTokens.js';
import { type CheckpointDirError, dirError } from './dirErrors.js';
import { readJsonFile } from './jsonFile.js';

/**
 * Hugging Face keys that change what the model computes: where present they must have the value this
 * implementation computes (SiLU MLP, no biases, plain RoPE, a Llama architecture).
 */
const SupportedVariant = t.partial({
  model_type: t.literal('llama'),
  architectures: t.refinement(t.array(t.string), (a) => a.includes('LlamaForCausalLM'), 'a list containing "LlamaForCausalLM"'),
  hidden_act: t.literal('silu'),
  attention_bias: t.literal(false),
  mlp_bias: t.literal(false),
  rope_scaling: t.null,
  pretraining_tp: t.literal(1),
  head_dim: t.number,
}, 'supported Llama variant');

/** A `config.json` this package can run: the Llama keys it reads, the variant keys above, consistent sizes. */
export const CheckpointConfigCodec = new t.Type<LlamaConfig, LlamaConfig, unknown>(
  'config.json',
  (u): u is LlamaConfig => LlamaConfigCodec.is(u),
  (u, c) => {
    const base = LlamaConfigCodec.decode(u); // decode, not validate(u, c): error paths then read as field names
    if (E.isLeft(base)) return base;
    const variant = SupportedVariant.decode(u);
    if (E.isLeft(variant)) return variant;
    try { dimsOf(base.right); } catch (e) { return t.failure(u, c, (e as Error).message.replace(/^config: /, '')); }
    const headDim = (u as { head_dim?: number }).head_dim;
    const derived = base.right.hidden_size / base.right.num_attention_heads;
    if (headDim !== undefined && headDim !== derived) return t.failure(u, c, `head_dim ${headDim} differs from hidden_size / num_attention_heads = ${derived}`);
    return base;
  },
  (a) => a,
);

/** Reads and validates a `config.json`; errors name the file and the key. */
export const readConfigFile = (path: string): Promise<E.Either<CheckpointDirError, LlamaConfig>> =>
  readJsonFile(path, CheckpointConfigCodec, 'InvalidConfig');

/**
 * The `config.json` a checkpoint stores: `toHfConfig` (architectures, model_type, num_key_value_heads) plus the
 * keys `transformers` would otherwise default differently (`hidden_act`, biases, dtype) and, when the tokenizer
 * has them, the ids of `<|eos|>` and `<|pad|>`.
 */
export function configJson(config: LlamaConfig, tokenizer?: TokenizerData): Record<string, unknown> {
  const idOf = (content: string) => tokenizer?.specialTokens.find((s) => s.content === content)?.id;
  const eos = idOf(CHAT_SPECIAL_TOKENS.eos), pad = idOf(CHAT_SPECIAL_TOKENS.pad);
  return {
    hidden_act: 'silu', attention_bias: false, mlp_bias: false, torch_dtype: 'float32', initializer_range: 0.02,
    ...(eos !== undefined ? { eos_token_id: eos } : {}), ...(pad !== undefined ? { pad_token_id: pad } : {}),
    ...toHfConfig(config),
  };
}

/** Checks the tokenizer fits the embedding table. */
export function checkVocabFits(config: LlamaConfig, tokenizer: TokenizerData, tokenizerFile: string, configFile: string): E.Either<CheckpointDirError, void> {
  return tokenizer.vocab.length > config.vocab_size
    ? E.left(dirError('InvalidTokenizer', tokenizerFile, `${tokenizer.vocab.length} tokens do not fit the ${config.vocab_size} rows of the embedding (vocab_size in ${configFile})`))
    : E.right(undefined);
}
