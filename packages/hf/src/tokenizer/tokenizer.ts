import * as E from 'fp-ts/lib/Either.js';
import { BYTE_TO_CHAR, byteLevelToBytes } from './byteLevel.js';
import { checkChatTemplate, type ChatTemplate } from './chatTemplate.js';
import { tokenizerError, type TokenizerError } from './errors.js';
import { buildSpecialTrie, type SpecialTrie } from './specialTokens.js';

export interface SpecialToken {
  readonly content: string;
  readonly id: number;
}

/**
 * Everything that defines a byte-level BPE tokenizer, as plain data (what `tokenizer.json` and
 * `tokenizer_config.json` store).
 */
export interface TokenizerData {
  /** id -> token. Ordinary tokens are byte strings in GPT-2's byte-level alphabet; special tokens are their text. */
  readonly vocab: readonly string[];
  /** Merges in rank order (earlier = applied first), as ids of the left and right token. */
  readonly merges: readonly (readonly [number, number])[];
  readonly specialTokens: readonly SpecialToken[];
  readonly chatTemplate: ChatTemplate;
}

/** What encoding one pre-token gives: ids and, per token, its UTF-16 span relative to the pre-token's start. */
export interface EncodedWord {
  readonly ids: Int32Array;
  readonly starts: Int32Array;
  readonly ends: Int32Array;
}

/** The tokenizer data plus lookup tables derived from it. Build one with `buildTokenizer` or `trainBpe`. */
export interface Tokenizer extends TokenizerData {
  /** id of the single-byte token for each byte value. */
  readonly byteToId: Int32Array;
  /** The bytes of each ordinary token; null for special tokens. */
  readonly tokenBytes: readonly (Uint8Array | null)[];
  /** pairKey(left, right) -> rank and id of the merged token. */
  readonly mergeTable: ReadonlyMap<number, { readonly rank: number; readonly id: number }>;
  readonly specialIds: ReadonlyMap<string, number>;
  readonly specialTrie: SpecialTrie;
  /** Memo of `encodeWord` per pre-token text; an implementation detail with no effect on results. */
  readonly wordCache: Map<string, EncodedWord>;
}

/** Ids stay below this, so a pair of ids packs into one safe integer. */
export const MAX_VOCAB_SIZE = 1 << 21;
export const pairKey = (left: number, right: number): number => left * MAX_VOCAB_SIZE + right;

const quote = (s: string): string => JSON.stringify(s);

/**
 * Checks the data and derives the lookup tables. `source` prefixes messages (e.g. the file it came from).
 * Requirements: ids are 0..N-1 with distinct tokens; every byte value has a single-byte token; special tokens
 * are non-empty and sit at their ids; each merge joins two ordinary tokens into a token of the vocab.
 */
export function buildTokenizer(data: TokenizerData, source = 'tokenizer'): E.Either<TokenizerError, Tokenizer> {
  const fail = (msg: string) => E.left(tokenizerError(`${source}: ${msg}`));
  const { vocab, merges, specialTokens, chatTemplate } = data;
  if (vocab.length > MAX_VOCAB_SIZE) return fail(`vocab has ${vocab.length} tokens, more than the ${MAX_VOCAB_SIZE} supported`);

  const specialIds = new Map<string, number>();
  const isSpecial = new Uint8Array(vocab.length);
  for (const [i, s] of specialTokens.entries()) {
    if (s.content.length === 0) return fail(`special token ${i} is empty`);
    if (!Number.isInteger(s.id) || s.id < 0 || s.id >= vocab.length) return fail(`special token ${quote(s.content)} has id ${s.id}, outside 0..${vocab.length - 1}`);
    if (vocab[s.id] !== s.content) return fail(`special token ${quote(s.content)} has id ${s.id} but vocab[${s.id}] is ${quote(vocab[s.id] ?? '')}`);
    if (specialIds.has(s.content)) return fail(`special token ${quote(s.content)} is listed twice`);
    specialIds.set(s.content, s.id);
    isSpecial[s.id] = 1;
  }

  const idOf = new Map<string, number>();
  const tokenBytes: (Uint8Array | null)[] = new Array(vocab.length);
  for (let id = 0; id < vocab.length; id++) {
    const token = vocab[id]!;
    const seen = idOf.get(token);
    if (seen !== undefined) return fail(`vocab: ids ${seen} and ${id} are both ${quote(token)}`);
    idOf.set(token, id);
    if (isSpecial[id]) { tokenBytes[id] = null; continue; }
    const bytes = byteLevelToBytes(token);
    if (bytes === null || bytes.length === 0) return fail(`vocab: token ${id} ${quote(token)} is not a byte-level string (nor a special token)`);
    tokenBytes[id] = bytes;
  }

  const byteToId = new Int32Array(256);
  for (let b = 0; b < 256; b++) {
    const id = idOf.get(BYTE_TO_CHAR[b]!);
    if (id === undefined || isSpecial[id]) return fail(`vocab: no token for byte 0x${b.toString(16).padStart(2, '0')} (${quote(BYTE_TO_CHAR[b]!)})`);
    byteToId[b] = id;
  }

  const mergeTable = new Map<number, { rank: number; id: number }>();
  for (const [rank, [left, right]] of merges.entries()) {
    for (const part of [left, right]) {
      if (!Number.isInteger(part) || part < 0 || part >= vocab.length || isSpecial[part])
        return fail(`merges[${rank}]: ${part} is not the id of an ordinary token`);
    }
    const merged = vocab[left]! + vocab[right]!;
    const id = idOf.get(merged);
    if (id === undefined || isSpecial[id]) return fail(`merges[${rank}]: ${quote(vocab[left]!)} + ${quote(vocab[right]!)} = ${quote(merged)} is not in the vocab`);
    const key = pairKey(left, right);
    const earlier = mergeTable.get(key);
    if (earlier !== undefined) return fail(`merges[${rank}]: repeats merges[${earlier.rank}] (${quote(vocab[left]!)} + ${quote(vocab[right]!)})`);
    mergeTable.set(key, { rank, id });
  }

  const templateProblem = checkChatTemplate(chatTemplate);
  if (templateProblem !== null) return fail(`chat template: ${templateProblem}`);

  return E.right({
    vocab, merges, specialTokens, chatTemplate,
    byteToId, tokenBytes, mergeTable, specialIds,
    specialTrie: buildSpecialTrie(specialTokens.map((s) => s.content)),
    wordCache: new Map(),
  });
}

/** The id of a special token, or undefined when the tokenizer has none with that text. */
export const specialTokenId = (tok: Tokenizer, content: string): number | undefined => tok.specialIds.get(content);

export const vocabSize = (tok: TokenizerData): number => tok.vocab.length;
