import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { type ModelConfig, type ModelFamily, type RopeScaling, MODEL_FAMILIES, dimsOf } from '@safekey-ts/safekey';
import { describeErrors } from '../codec/describeErrors.js';
import { type CheckpointDirError, dirError } from './dirErrors.js';

/** The token ids a checkpoint's `config.json` and `generation_config.json` name. */
export interface ModelTokenIds {
  readonly bos?: number;
  /** Generation stops at any of these (both files' `eos_token_id`, a number or a list). */
  readonly eos: readonly number[];
  readonly pad?: number;
}

/** What a `config.json` says: the model, its token ids, and the dtype its weights are stored in (when it says). */
export interface ConfigFile { readonly config: ModelConfig; readonly tokenIds: ModelTokenIds; readonly dtype?: string }

const ARCHITECTURES: Readonly<Record<ModelFamily, string>> = { llama: 'LlamaForCausalLM', qwen2: 'Qwen2ForCausalLM', mistral: 'MistralForCausalLM' };
const SUPPORTED = MODEL_FAMILIES.map((f) => `${f} (${ARCHITECTURES[f]})`).join(', ');
/** transformers' class defaults for `max_position_embeddings`. */
const DEFAULT_MAX_POSITIONS: Readonly<Record<ModelFamily, number>> = { llama: 2048, qwen2: 32768, mistral: 131072 };

const PositiveInt = t.refinement(t.number, (n) => Number.isInteger(n) && n > 0, 'a positive integer');
const Positive = t.refinement(t.number, (n) => Number.isFinite(n) && n > 0, 'a positive number');
const TokenIdCodec = t.union([t.null, t.refinement(t.number, (n) => Number.isInteger(n) && n >= 0, 'a token id')], 'a token id or null');
const TokenIdsCodec = t.union([TokenIdCodec, t.array(t.refinement(t.number, (n) => Number.isInteger(n) && n >= 0, 'a token id'))], 'a token id, a list of them, or null');

const ConfigCodec = t.intersection([
  t.type({
    vocab_size: PositiveInt, hidden_size: PositiveInt, intermediate_size: PositiveInt,
    num_hidden_layers: PositiveInt, num_attention_heads: PositiveInt,
  }),
  t.partial({
    model_type: t.string, architectures: t.array(t.string),
    num_key_value_heads: t.union([t.null, PositiveInt]), head_dim: t.union([t.null, PositiveInt]),
    rms_norm_eps: Positive, max_position_embeddings: PositiveInt, tie_word_embeddings: t.boolean,
    rope_theta: Positive, rope_scaling: t.union([t.null, t.UnknownRecord]), rope_parameters: t.union([t.null, t.UnknownRecord]),
    partial_rotary_factor: t.number, hidden_act: t.string, attention_bias: t.boolean, mlp_bias: t.boolean,
    pretraining_tp: t.union([t.null, t.number]), sliding_window: t.union([t.null, PositiveInt]), use_sliding_window: t.boolean,
    max_window_layers: t.number, layer_types: t.array(t.string),
    bos_token_id: TokenIdCodec, eos_token_id: TokenIdsCodec, pad_token_id: TokenIdCodec,
    torch_dtype: t.union([t.null, t.string]), dtype: t.union([t.null, t.string]),
  }),
], 'config.json');
type RawConfig = t.TypeOf<typeof ConfigCodec>;

/** The family from `model_type` and `architectures` (either may be missing; they must agree). */
function familyOf(c: RawConfig): E.Either<string, ModelFamily> {
  const fromType = c.model_type as ModelFamily | undefined;
  const archs = c.architectures ?? [];
  const fromArch = MODEL_FAMILIES.find((f) => archs.includes(ARCHITECTURES[f]));
  if (fromType !== undefined && !MODEL_FAMILIES.includes(fromType)) return E.left(`model_type ${JSON.stringify(c.model_type)} is not supported (supported: ${SUPPORTED})`);
  if (fromType === undefined && fromArch === undefined)
    return E.left(archs.length > 0 ? `architectures ${JSON.stringify(archs)} are not supported (supported: ${SUPPORTED})` : `neither model_type nor architectures says the model family (supported: ${SUPPORTED})`);
  if (fromType !== undefined && archs.length > 0 && fromArch !== fromType)
    return E.left(`model_type ${JSON.stringify(fromType)} does not match architectures ${JSON.stringify(archs)} (expected ${ARCHITECTURES[fromType]})`);
  return E.right((fromType ?? fromArch)!);
}

const ScalingCodec = t.intersection([t.partial({ rope_type: t.string, type: t.string, rope_theta: Positive, factor: Positive }), t.UnknownRecord]);

/**
 * RoPE theta and scaling from either form: transformers 4's top-level `rope_theta` and `rope_scaling`, or
 * transformers 5's `rope_parameters` (`rope_scaling` wins when both are given, and a theta inside the
 * parameters wins over the top-level one, as transformers reads them); no theta at all is 10000.
 */
function ropeOf(c: RawConfig): E.Either<string, { theta: number; scaling: RopeScaling | null }> {
  const params = c.rope_scaling ?? c.rope_parameters ?? {};
  const key = c.rope_scaling ? 'rope_scaling' : 'rope_parameters';
  const p = ScalingCodec.decode(params);
  if (E.isLeft(p)) return E.left(`${key}.${describeErrors(p.left)}`);
  const theta = p.right.rope_theta ?? c.rope_theta ?? 10000;
  const type = p.right.rope_type ?? p.right.type ?? 'default';
  const partial = (params as { partial_rotary_factor?: number }).partial_rotary_factor ?? c.partial_rotary_factor;
  if (partial !== undefined && partial !== 1) return E.left(`partial_rotary_factor ${partial} is not supported (only 1)`);
  const factor = p.right.factor;
  const need = (name: string) => `${key}.${name}: needed by rope_type ${JSON.stringify(type)}`;
  switch (type) {
    case 'default': return E.right({ theta, scaling: null });
    case 'linear':
    case 'dynamic':
      return factor === undefined ? E.left(need('factor')) : E.right({ theta, scaling: { rope_type: type, factor } });
    case 'llama3': {
      const q = params as Record<string, unknown>;
      const num = (name: string, fallback?: number) => (typeof q[name] === 'number' && (q[name] as number) > 0 ? q[name] as number : fallback);
      const low = num('low_freq_factor'), high = num('high_freq_factor'), original = num('original_max_position_embeddings', c.max_position_embeddings);
      if (factor === undefined) return E.left(need('factor'));
      if (low === undefined) return E.left(need('low_freq_factor'));
      if (high === undefined) return E.left(need('high_freq_factor'));
      if (original === undefined) return E.left(need('original_max_position_embeddings'));
      if (!(high > low)) return E.left(`${key}: high_freq_factor ${high} must be above low_freq_factor ${low}`);
      return E.right({ theta, scaling: { rope_type: 'llama3', factor, low_freq_factor: low, high_freq_factor: high, original_max_position_embeddings: original } });
    }
    default:
      return E.left(`${key}.rope_type ${JSON.stringify(type)} is not supported (supported: default, linear, dynamic, llama3)`);
  }
}

/** The sliding window the family applies, if any. */
function windowOf(family: ModelFamily, c: RawConfig): number | null {
  if (family === 'mistral') return c.sliding_window ?? null;
  if (family === 'qwen2' && c.use_sliding_window === true && c.sliding_window) {
    const anyLayer = c.layer_types ? c.layer_types.includes('sliding_attention') : (c.max_window_layers ?? 28) < c.num_hidden_layers;
    return anyLayer ? c.sliding_window : null;
  }
  return null;
}

const ids = (u: number | null | readonly number[] | undefined): number[] => (u === undefined || u === null ? [] : typeof u === 'number' ? [u] : [...u]);

/**
 * A decoded `config.json` as the model config: the family (llama, qwen2, mistral) from `model_type` or
 * `architectures`, both RoPE forms, the variant keys checked (SiLU, no MLP bias, `pretraining_tp` 1, no partial
 * rotary), sizes checked for consistency; unknown keys ignored. Every problem found is in the one-line Left.
 */
export function parseConfigJson(json: unknown): E.Either<string, ConfigFile> {
  const r = ConfigCodec.decode(json);
  if (E.isLeft(r)) return E.left(describeErrors(r.left));
  const c = r.right;
  const problems: string[] = [];
  const family = familyOf(c);
  if (E.isLeft(family)) return family;
  const rope = ropeOf(c);
  if (E.isLeft(rope)) problems.push(rope.left);
  if (c.hidden_act !== undefined && c.hidden_act !== 'silu') problems.push(`hidden_act ${JSON.stringify(c.hidden_act)} is not supported (only "silu")`);
  if (c.mlp_bias === true) problems.push('mlp_bias true is not supported');
  if (c.pretraining_tp !== undefined && c.pretraining_tp !== null && c.pretraining_tp !== 1) problems.push(`pretraining_tp ${c.pretraining_tp} is not supported (only 1)`);
  if (problems.length > 0 || E.isLeft(rope)) return E.left(problems.join('; '));
  const f = family.right;
  const config: ModelConfig = {
    model_type: f,
    vocab_size: c.vocab_size, hidden_size: c.hidden_size, intermediate_size: c.intermediate_size,
    num_hidden_layers: c.num_hidden_layers, num_attention_heads: c.num_attention_heads,
    num_key_value_heads: c.num_key_value_heads ?? c.num_attention_heads,
    ...(c.head_dim ? { head_dim: c.head_dim } : {}),
    rms_norm_eps: c.rms_norm_eps ?? 1e-6,
    rope_theta: rope.right.theta,
    rope_scaling: rope.right.scaling,
    max_position_embeddings: c.max_position_embeddings ?? DEFAULT_MAX_POSITIONS[f],
    tie_word_embeddings: c.tie_word_embeddings ?? false,
    ...(f === 'llama' ? { attention_bias: c.attention_bias ?? false } : {}),
    sliding_window: windowOf(f, c),
  };
  try { dimsOf(config); } catch (e) { return E.left((e as Error).message.replace(/^config: /, '')); }
  const dtype = c.dtype ?? c.torch_dtype ?? undefined;
  const tokenIds: ModelTokenIds = {
    ...(typeof c.bos_token_id === 'number' ? { bos: c.bos_token_id } : {}),
    eos: ids(c.eos_token_id),
    ...(typeof c.pad_token_id === 'number' ? { pad: c.pad_token_id } : {}),
  };
  const outside = idOutsideVocab(tokenIds, config.vocab_size);
  if (outside) return E.left(outside);
  return E.right({ config, tokenIds, ...(dtype ? { dtype } : {}) });
}

/** A bos, eos or pad id the embedding has no row for, as `field 'eos_token_id': ...`; undefined when all fit. */
export function idOutsideVocab(tokenIds: ModelTokenIds, vocab: number): string | undefined {
  const named: [string, number | undefined][] = [['bos_token_id', tokenIds.bos], ...tokenIds.eos.map((e): [string, number] => ['eos_token_id', e]), ['pad_token_id', tokenIds.pad]];
  const bad = named.find(([, id]) => id !== undefined && id >= vocab);
  return bad ? `field '${bad[0]}': ${bad[1]} is outside the vocabulary (vocab_size ${vocab})` : undefined;
}

/** `text` as JSON; a Left names the file. */
export function parseJsonText(text: string, file: string): E.Either<CheckpointDirError, unknown> {
  try { return E.right(JSON.parse(text)); } catch (cause) {
    return E.left(dirError('MalformedJson', file, `not valid JSON: ${(cause as Error).message}`));
  }
}

/** A `config.json`'s text, checked; a Left names the file and the key. */
export function configFromText(text: string, file: string): E.Either<CheckpointDirError, ConfigFile> {
  const json = parseJsonText(text, file);
  if (E.isLeft(json)) return json;
  const c = parseConfigJson(json.right);
  return E.isLeft(c) ? E.left(dirError('InvalidConfig', file, c.left)) : c;
}

const GenerationConfigCodec = t.partial({ bos_token_id: TokenIdCodec, eos_token_id: TokenIdsCodec, pad_token_id: TokenIdCodec }, 'generation_config.json');

/** The token ids of a `generation_config.json`'s text (other keys are ignored). */
export function generationConfigFromText(text: string, file: string): E.Either<CheckpointDirError, ModelTokenIds> {
  const json = parseJsonText(text, file);
  if (E.isLeft(json)) return json;
  const r = GenerationConfigCodec.decode(json.right);
  if (E.isLeft(r)) return E.left(dirError('InvalidConfig', file, describeErrors(r.left)));
  const g = r.right;
  return E.right({
    ...(typeof g.bos_token_id === 'number' ? { bos: g.bos_token_id } : {}),
    eos: ids(g.eos_token_id),
    ...(typeof g.pad_token_id === 'number' ? { pad: g.pad_token_id } : {}),
  });
}

/**
 * The `config.json` a checkpoint stores, in transformers 4's form (top-level `rope_theta` and `rope_scaling`,
 * `torch_dtype`), which transformers 4 and 5 both read: the family's architecture and keys, the token ids, and
 * the dtype the weights are written in.
 */
export function configJson(config: ModelConfig, tokenIds: ModelTokenIds, torchDtype: string): Record<string, unknown> {
  const m = dimsOf(config);
  const eos = tokenIds.eos.length === 0 ? null : tokenIds.eos.length === 1 ? tokenIds.eos[0] : [...tokenIds.eos];
  return {
    architectures: [ARCHITECTURES[m.family]],
    model_type: m.family,
    vocab_size: config.vocab_size,
    hidden_size: config.hidden_size,
    intermediate_size: config.intermediate_size,
    num_hidden_layers: config.num_hidden_layers,
    num_attention_heads: config.num_attention_heads,
    num_key_value_heads: m.kvHeads,
    ...(config.head_dim !== undefined ? { head_dim: config.head_dim } : {}),
    hidden_act: 'silu',
    rms_norm_eps: config.rms_norm_eps,
    rope_theta: config.rope_theta,
    rope_scaling: config.rope_scaling ?? null,
    max_position_embeddings: config.max_position_embeddings,
    tie_word_embeddings: config.tie_word_embeddings,
    ...(m.family === 'llama' ? { attention_bias: m.oBias, mlp_bias: false, pretraining_tp: 1 } : {}),
    ...(m.family === 'qwen2' ? { use_sliding_window: false, sliding_window: null } : {}),
    ...(m.family === 'mistral' ? { sliding_window: config.sliding_window ?? null } : {}),
    initializer_range: 0.02,
    bos_token_id: tokenIds.bos ?? null,
    eos_token_id: eos,
    pad_token_id: tokenIds.pad ?? null,
    torch_dtype: torchDtype,
  };
}

/** The `generation_config.json` a checkpoint stores: its token ids. */
export const generationConfigJson = (tokenIds: ModelTokenIds): Record<string, unknown> => ({
  ...(tokenIds.bos !== undefined ? { bos_token_id: tokenIds.bos } : {}),
  eos_token_id: tokenIds.eos.length === 1 ? tokenIds.eos[0] : [...tokenIds.eos],
  ...(tokenIds.pad !== undefined ? { pad_token_id: tokenIds.pad } : {}),
});

/** Checks the tokenizer fits the embedding table. */
export function checkVocabFits(config: ModelConfig, tokens: number, tokenizerFile: string, configFile: string): E.Either<CheckpointDirError, void> {
  return tokens > config.vocab_size
    ? E.left(dirError('InvalidTokenizer', tokenizerFile, `${tokens} tokens do not fit the ${config.vocab_size} rows of the embedding (vocab_size in ${configFile})`))
    : E.right(undefined);
}
