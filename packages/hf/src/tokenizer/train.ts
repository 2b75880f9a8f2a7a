import * as E from 'fp-ts/lib/Either.js';
import { buildAddedVocabulary, splitOnAddedTokens } from './addedVocabulary.js';
import { BYTE_TO_CHAR } from './byteLevel.js';
import { MAX_VOCAB_SIZE, pairKey } from './bpeModel.js';
import { DEFAULT_CHAT_TEMPLATE } from './chatTemplate.js';
import { tokenizerError, type TokenizerError } from './errors.js';
import { fromOriginal } from './normalized.js';
import { pairHeap } from './pairHeap.js';
import { gpt2Pieces } from './preTokenizers.js';
import type { AddedTokenSpec, TokenizerSpec } from './spec.js';
import { CHAT_SPECIAL_TOKENS, DEFAULT_SPECIAL_TOKENS } from './specialTokens.js';
import { buildTokenizer, type Tokenizer } from './tokenizer.js';
import { utf8Encode } from './utf8.js';

export interface TrainBpeOptions {
  /** Final vocabulary size: 256 byte tokens + special tokens + merged tokens. */
  readonly vocabSize: number;
  /** Defaults to `DEFAULT_SPECIAL_TOKENS` (the chat tokens and `<|pad|>`). They get ids 256, 257, ... */
  readonly specialTokens?: readonly string[];
  /**
   * A pair is merged only if it occurs at least this often (default 2). Training stops early, with a smaller
   * vocabulary than asked for, when no pair is that frequent.
   */
  readonly minPairCount?: number;
  /** The Jinja chat template stored with the tokenizer (default: the project's format, `DEFAULT_CHAT_TEMPLATE`). */
  readonly chatTemplate?: string;
}

const specialToken = (content: string, id: number): AddedTokenSpec =>
  ({ id, content, special: true, normalized: false, lstrip: false, rstrip: false, singleWord: false });

/** Distinct pre-tokens of the corpus (special tokens removed) with their counts, in first-seen order. */
export function countWords(texts: readonly string[], specialTokens: readonly string[]): Map<string, number> {
  const added = buildAddedVocabulary(specialTokens.map((s, i) => specialToken(s, i)), (s) => s);
  const counts = new Map<string, number>();
  for (const text of texts) {
    for (const seg of splitOnAddedTokens(fromOriginal(text), added.raw, added)) {
      if (seg.id !== undefined) continue;
      for (const piece of gpt2Pieces(seg.piece.text)) counts.set(piece, (counts.get(piece) ?? 0) + 1);
    }
  }
  return counts;
}

/** Replaces every non-overlapping occurrence of (left, right), scanning left to right, with `merged`. */
const mergeInWord = (word: Int32Array, left: number, right: number, merged: number): Int32Array => {
  const out: number[] = [];
  for (let i = 0; i < word.length; i++) {
    if (i + 1 < word.length && word[i] === left && word[i + 1] === right) { out.push(merged); i++; }
    else out.push(word[i]!);
  }
  return out.length === word.length ? word : Int32Array.from(out);
};

function validateOptions(options: TrainBpeOptions, specials: readonly string[]): string | null {
  const { vocabSize, minPairCount = 2 } = options;
  const base = 256 + specials.length;
  if (!Number.isInteger(vocabSize) || vocabSize < base || vocabSize > MAX_VOCAB_SIZE)
    return `vocabSize ${vocabSize} must be an integer from ${base} (256 bytes + ${specials.length} special tokens) to ${MAX_VOCAB_SIZE}`;
  if (!Number.isInteger(minPairCount) || minPairCount < 1) return `minPairCount ${minPairCount} must be a positive integer`;
  for (const [i, s] of specials.entries()) {
    if (s.length === 0) return `specialTokens[${i}] is empty`;
    if (specials.indexOf(s) !== i) return `specialTokens[${i}] ${JSON.stringify(s)} repeats specialTokens[${specials.indexOf(s)}]`;
    if (BYTE_TO_CHAR.includes(s)) return `specialTokens[${i}] ${JSON.stringify(s)} collides with a byte token`;
  }
  return null;
}

/**
 * Trains a byte-level BPE tokenizer (GPT-2 style). Ids: 0..255 are the byte tokens (id = byte value), then the
 * special tokens, then merged tokens in merge order. Each step merges the most frequent adjacent pair over the
 * word-frequency table; ties go to the smaller left id, then the smaller right id, so the result depends only on
 * the corpus and options. Pair counts are updated incrementally (only the words that contain the merged pair are
 * touched), with a lazily-updated max-heap of candidate pairs. A merge whose text equals an existing token reuses
 * that token's id (it then adds a merge rule but no vocabulary entry).
 */
export function trainBpe(texts: readonly string[], options: TrainBpeOptions): E.Either<TokenizerError, Tokenizer> {
  const specials = options.specialTokens ?? DEFAULT_SPECIAL_TOKENS;
  const problem = validateOptions(options, specials);
  if (problem !== null) return E.left(tokenizerError(`trainBpe: ${problem}`));
  const minPairCount = options.minPairCount ?? 2;

  const vocab: string[] = [...BYTE_TO_CHAR, ...specials];
  const ordinaryId = new Map<string, number>(BYTE_TO_CHAR.map((c, b) => [c, b]));
  const specialSet = new Set(specials);
  const merges: [number, number][] = [];

  const wordCounts = countWords(texts, specials);
  const words: Int32Array[] = [];
  const freqs: number[] = [];
  for (const [word, count] of wordCounts) {
    words.push(Int32Array.from(utf8Encode(word)));
    freqs.push(count);
  }

  const pairCount = new Map<number, number>();
  const pairWords = new Map<number, Set<number>>();
  const addPair = (key: number, delta: number, wordIndex: number): void => {
    const next = (pairCount.get(key) ?? 0) + delta;
    if (next === 0) pairCount.delete(key);
    else pairCount.set(key, next);
    if (delta > 0) {
      let set = pairWords.get(key);
      if (!set) { set = new Set(); pairWords.set(key, set); }
      set.add(wordIndex);
    }
  };
  for (let w = 0; w < words.length; w++) {
    const word = words[w]!;
    for (let i = 0; i + 1 < word.length; i++) addPair(pairKey(word[i]!, word[i + 1]!), freqs[w]!, w);
  }

  const heap = pairHeap();
  const pushPair = (key: number): void => {
    const count = pairCount.get(key);
    if (count !== undefined) heap.push({ count, left: Math.floor(key / MAX_VOCAB_SIZE), right: key % MAX_VOCAB_SIZE });
  };
  for (const key of pairCount.keys()) pushPair(key);

  while (vocab.length < options.vocabSize) {
    const top = heap.pop();
    if (top === undefined || top.count < minPairCount) break;
    const key = pairKey(top.left, top.right);
    const current = pairCount.get(key) ?? 0;
    // Stale entry: a larger count was pushed separately; a smaller one is re-queued at its true count.
    if (current > top.count) continue;
    if (current < top.count) { pushPair(key); continue; }

    const text = vocab[top.left]! + vocab[top.right]!;
    if (specialSet.has(text)) continue; // never build a special token's text from bytes
    let merged = ordinaryId.get(text);
    if (merged === undefined) {
      merged = vocab.length;
      vocab.push(text);
      ordinaryId.set(text, merged);
    }
    merges.push([top.left, top.right]);

    const increased = new Set<number>();
    for (const w of pairWords.get(key) ?? []) {
      const old = words[w]!;
      const next = mergeInWord(old, top.left, top.right, merged);
      if (next === old) continue;
      const delta = new Map<number, number>();
      for (let i = 0; i + 1 < old.length; i++) { const k = pairKey(old[i]!, old[i + 1]!); delta.set(k, (delta.get(k) ?? 0) - freqs[w]!); }
      for (let i = 0; i + 1 < next.length; i++) { const k = pairKey(next[i]!, next[i + 1]!); delta.set(k, (delta.get(k) ?? 0) + freqs[w]!); }
      for (const [k, d] of delta) {
        if (d === 0) continue;
        addPair(k, d, w);
        if (d > 0) increased.add(k);
      }
      words[w] = next;
    }
    pairWords.delete(key);
    for (const k of increased) pushPair(k);
  }

  const has = (t: string) => specials.includes(t);
  const spec: TokenizerSpec = {
    normalizer: null,
    preTokenizer: { type: 'ByteLevel', addPrefixSpace: false, trimOffsets: true, useRegex: true },
    model: { vocab, merges, unkToken: null, byteFallback: false, fuseUnk: false, ignoreMerges: false },
    addedTokens: specials.map((content, i) => specialToken(content, 256 + i)),
    postProcessor: null,
    decoder: { type: 'ByteLevel', addPrefixSpace: true, trimOffsets: true, useRegex: true },
  };
  return buildTokenizer({
    ...spec,
    config: {
      chatTemplate: options.chatTemplate ?? DEFAULT_CHAT_TEMPLATE,
      bosToken: null,
      eosToken: has(CHAT_SPECIAL_TOKENS.eos) ? CHAT_SPECIAL_TOKENS.eos : null,
      padToken: has(CHAT_SPECIAL_TOKENS.pad) ? CHAT_SPECIAL_TOKENS.pad : null,
      unkToken: null,
    },
  }, 'trainBpe');
}
