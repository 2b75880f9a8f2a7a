import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { describeErrors } from '../codec/describeErrors.js';
import { NonNegativeInt } from '../codec/numbers.js';
import { ChatTemplateCodec, type ChatTemplate } from './chatTemplate.js';
import { tokenizerError, type TokenizerError } from './errors.js';
import { CHAT_SPECIAL_TOKENS } from './specialTokens.js';
import { buildTokenizer, type TokenizerData, type Tokenizer } from './tokenizer.js';

/** The pre-tokenizer this package implements: GPT-2's regex split, then bytes to the byte-level alphabet. */
const PRE_TOKENIZER = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true } as const;
const DECODER = { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true } as const;

const AddedTokenCodec = t.intersection([
  t.type({ id: NonNegativeInt, content: t.string }),
  t.partial({
    special: t.boolean,
    single_word: t.literal(false),
    lstrip: t.literal(false),
    rstrip: t.literal(false),
    normalized: t.boolean,
  }),
], 'AddedToken');

const ByteLevelPreTokenizerCodec = t.intersection([
  t.type({ type: t.literal('ByteLevel'), add_prefix_space: t.literal(false) }),
  t.partial({ use_regex: t.literal(true), trim_offsets: t.boolean }),
], 'ByteLevel pre-tokenizer');

const MergeCodec = t.union([t.string, t.tuple([t.string, t.string])], 'merge ("left right" or [left, right])');

const BpeModelCodec = t.intersection([
  t.type({ type: t.literal('BPE'), vocab: t.record(t.string, NonNegativeInt), merges: t.array(MergeCodec) }),
  t.partial({
    dropout: t.null,
    unk_token: t.null,
    continuing_subword_prefix: t.union([t.null, t.literal('')]),
    end_of_word_suffix: t.union([t.null, t.literal('')]),
    fuse_unk: t.boolean,
    byte_fallback: t.literal(false),
    ignore_merges: t.literal(false),
  }),
], 'BPE model');

/** The parts of a Hugging Face `tokenizer.json` this package reads; anything else must be absent or neutral. */
export const TokenizerJsonCodec = t.intersection([
  t.type({
    added_tokens: t.array(AddedTokenCodec),
    normalizer: t.null,
    pre_tokenizer: ByteLevelPreTokenizerCodec,
    decoder: t.type({ type: t.literal('ByteLevel') }, 'ByteLevel decoder'),
    model: BpeModelCodec,
  }),
  t.partial({
    version: t.string,
    truncation: t.null,
    padding: t.null,
    post_processor: t.union([t.null, t.type({ type: t.literal('ByteLevel') })], 'null or ByteLevel post-processor'),
  }),
], 'tokenizer.json');
export type TokenizerJson = t.TypeOf<typeof TokenizerJsonCodec>;

/** The part of `tokenizer_config.json` this package reads: the chat template. */
export const TokenizerConfigCodec = t.type({ safekey_chat_template: ChatTemplateCodec }, 'tokenizer_config.json');

/** The Hugging Face `tokenizer.json` object for a tokenizer (BPE model, ByteLevel pre-tokenizer and decoder). */
export function toTokenizerJson(tok: TokenizerData): Record<string, unknown> {
  const vocab: Record<string, number> = Object.create(null);
  tok.vocab.forEach((token, id) => { vocab[token] = id; });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: tok.specialTokens.map((s) => ({
      id: s.id, content: s.content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true,
    })),
    normalizer: null,
    pre_tokenizer: PRE_TOKENIZER,
    post_processor: null,
    decoder: DECODER,
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges: tok.merges.map(([l, r]) => `${tok.vocab[l]} ${tok.vocab[r]}`),
    },
  };
}

/**
 * The `tokenizer_config.json` object: enough for `transformers` / `@huggingface/tokenizers` (no clean-up of
 * spaces on decode, eos and pad tokens) plus the chat template as data under `safekey_chat_template`.
 */
export function toTokenizerConfig(tok: TokenizerData): Record<string, unknown> {
  const { eos, pad } = CHAT_SPECIAL_TOKENS;
  const has = (s: string) => tok.specialTokens.some((x) => x.content === s);
  return {
    tokenizer_class: 'PreTrainedTokenizerFast',
    clean_up_tokenization_spaces: false,
    ...(has(eos) ? { eos_token: eos } : {}),
    ...(has(pad) ? { pad_token: pad } : {}),
    additional_special_tokens: tok.specialTokens.map((s) => s.content).filter((s) => s !== eos && s !== pad),
    safekey_chat_template: { prompt: tok.chatTemplate.prompt, response: tok.chatTemplate.response },
  };
}

/** Reads a decoded `tokenizer.json` into tokenizer data; `source` (the file name) prefixes error messages. */
export function tokenizerDataFromJson(
  json: unknown,
  chatTemplate: ChatTemplate,
  source = 'tokenizer.json',
): E.Either<TokenizerError, TokenizerData> {
  const fail = (msg: string) => E.left(tokenizerError(`${source}: ${msg}`));
  const decoded = TokenizerJsonCodec.decode(json);
  if (E.isLeft(decoded)) return fail(describeErrors(decoded.left));
  const { model, added_tokens } = decoded.right;

  const byId = new Map<number, string>();
  for (const [token, id] of Object.entries(model.vocab)) {
    const other = byId.get(id);
    if (other !== undefined) return fail(`model.vocab: id ${id} is used by both ${JSON.stringify(other)} and ${JSON.stringify(token)}`);
    byId.set(id, token);
  }
  for (const [i, a] of added_tokens.entries()) {
    const there = byId.get(a.id);
    if (there === undefined) byId.set(a.id, a.content);
    else if (there !== a.content) return fail(`added_tokens[${i}]: id ${a.id} is ${JSON.stringify(a.content)} but model.vocab has ${JSON.stringify(there)} there`);
  }
  for (let id = 0; id < byId.size; id++) if (!byId.has(id)) return fail(`model.vocab: no token has id ${id} (ids must be 0..N-1)`);
  const dense = Array.from({ length: byId.size }, (_, id) => byId.get(id)!);

  const idOf = new Map(dense.map((token, id) => [token, id]));
  const merges: [number, number][] = [];
  for (const [i, m] of model.merges.entries()) {
    const parts = typeof m === 'string' ? m.split(' ') : m;
    if (parts.length !== 2) return fail(`model.merges[${i}]: ${JSON.stringify(m)} is not two tokens separated by one space`);
    const [l, r] = [idOf.get(parts[0]!), idOf.get(parts[1]!)];
    if (l === undefined) return fail(`model.merges[${i}]: ${JSON.stringify(parts[0])} is not in model.vocab`);
    if (r === undefined) return fail(`model.merges[${i}]: ${JSON.stringify(parts[1])} is not in model.vocab`);
    merges.push([l, r]);
  }
  return E.right({
    vocab: dense,
    merges,
    specialTokens: added_tokens.map((a) => ({ content: a.content, id: a.id })),
    chatTemplate,
  });
}

/**
 * A tokenizer from decoded `tokenizer.json` and `tokenizer_config.json` objects. Every problem comes back as a
 * Left naming the file and the field.
 */
export function tokenizerFromJson(
  tokenizerJson: unknown,
  tokenizerConfig: unknown,
  sources: { readonly tokenizer: string; readonly config: string } = { tokenizer: 'tokenizer.json', config: 'tokenizer_config.json' },
): E.Either<TokenizerError, Tokenizer> {
  const config = TokenizerConfigCodec.decode(tokenizerConfig);
  if (E.isLeft(config)) return E.left(tokenizerError(`${sources.config}: ${describeErrors(config.left)}`));
  const data = tokenizerDataFromJson(tokenizerJson, config.right.safekey_chat_template, sources.tokenizer);
  return E.isLeft(data) ? data : buildTokenizer(data.right, sources.tokenizer);
}
