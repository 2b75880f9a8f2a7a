import * as E from 'fp-ts/lib/Either.js';
import { type AddedVocabulary, buildAddedVocabulary } from './addedVocabulary.js';
import { type BpeTables, MAX_VOCAB_SIZE, bpeTables } from './bpeModel.js';
import { type DecodeFn, compileDecoder } from './decoders.js';
import { tokenizerError, type TokenizerError } from './errors.js';
import { fromOriginal } from './normalized.js';
import { type NormalizeFn, compileNormalizer } from './normalizers.js';
import { type PostProcessFn, compilePostProcessor } from './postProcessors.js';
import { type PreTokenizeFn, compilePreTokenizer } from './preTokenizers.js';
import type { TokenizerSpec } from './spec.js';
import type { TokenizerConfig } from './tokenizerConfig.js';
import type { WordTokens } from './bpeModel.js';

/** A tokenizer as files hold it: `tokenizer.json` (the spec) and `tokenizer_config.json` (template, token names). */
export interface TokenizerData extends TokenizerSpec {
  readonly config: TokenizerConfig;
}

/** The tokenizer data plus everything derived from it to run it. Build one with `buildTokenizer` or `trainBpe`. */
export interface Tokenizer extends TokenizerData {
  /**
   * id -> token text, over the model's tokens and the added tokens (ids 0..N-1). A `normalized` added token's
   * text is its normalized content (what the crate's `id_to_token` and `decode` give).
   */
  readonly tokens: readonly string[];
  /** Added token text -> id. */
  readonly addedIds: ReadonlyMap<string, number>;
  /** Ids of the added tokens marked special (skipped by `decode` with `skipSpecialTokens`). */
  readonly specialIds: ReadonlySet<number>;
  readonly bpe: BpeTables;
  readonly added: AddedVocabulary;
  readonly normalize: NormalizeFn | null;
  readonly preTokenize: PreTokenizeFn | null;
  readonly postProcess: PostProcessFn | null;
  readonly decodeChain: DecodeFn | null;
  /** Memo of the model's tokens per pre-token; an implementation detail with no effect on results. */
  readonly wordCache: Map<string, WordTokens>;
}

const quote = (s: string): string => JSON.stringify(s);

/**
 * Checks the data and derives the tables. `source` prefixes messages (the file it came from). Requirements: at
 * most `MAX_VOCAB_SIZE` ids; added tokens with distinct contents; the config's token names are tokens.
 */
export function buildTokenizer(data: TokenizerData, source = 'tokenizer'): E.Either<TokenizerError, Tokenizer> {
  const fail = (msg: string) => E.left(tokenizerError(`${source}: ${msg}`));
  const n = data.model.vocab.length;
  if (n > MAX_VOCAB_SIZE) return fail(`${n} tokens, more than the ${MAX_VOCAB_SIZE} supported`);
  const normalize = data.normalizer ? compileNormalizer(data.normalizer) : null;
  const normalizeText = (s: string) => (normalize ? normalize(fromOriginal(s)).text : s);
  const tokens = data.model.vocab.map((t) => t ?? '');
  const addedIds = new Map<string, number>();
  for (const [i, a] of data.addedTokens.entries()) {
    if (!Number.isInteger(a.id) || a.id < 0 || a.id >= n) return fail(`added token ${quote(a.content)} has id ${a.id}, outside 0..${n - 1}`);
    if (addedIds.has(a.content)) return fail(`added token ${quote(a.content)} is listed twice (added_tokens[${i}])`);
    if (data.model.vocab[a.id] !== null && data.model.vocab[a.id] !== a.content) return fail(`added token ${quote(a.content)} has id ${a.id}, which the model's vocab gives to ${quote(data.model.vocab[a.id]!)}`);
    addedIds.set(a.content, a.id);
    tokens[a.id] = a.normalized ? normalizeText(a.content) : a.content;
  }
  const missing = tokens.findIndex((t, id) => t === '' && data.model.vocab[id] === null);
  if (missing >= 0) return fail(`no token has id ${missing}`);
  for (const key of ['bosToken', 'eosToken', 'padToken', 'unkToken'] as const) {
    const name = data.config[key];
    if (name !== null && !addedIds.has(name) && !data.model.vocab.includes(name))
      return fail(`${key.replace('Token', '_token')} ${quote(name)} is not a token of this tokenizer`);
  }
  return E.right({
    ...data,
    tokens, addedIds,
    specialIds: new Set(data.addedTokens.filter((a) => a.special).map((a) => a.id)),
    bpe: bpeTables(data.model),
    added: buildAddedVocabulary(data.addedTokens, normalizeText),
    normalize,
    preTokenize: data.preTokenizer ? compilePreTokenizer(data.preTokenizer) : null,
    postProcess: data.postProcessor ? compilePostProcessor(data.postProcessor) : null,
    decodeChain: data.decoder ? compileDecoder(data.decoder) : null,
    wordCache: new Map(),
  });
}

/** The id of a token (an added token or one of the model's), or undefined. */
export const tokenId = (tok: Tokenizer, text: string): number | undefined => tok.addedIds.get(text) ?? tok.bpe.ids.get(text);

/** The number of ids (model tokens and added tokens). */
export const vocabSize = (tok: { readonly model: { readonly vocab: readonly unknown[] } }): number => tok.model.vocab.length;
