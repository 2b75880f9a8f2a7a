import * as E from 'fp-ts/lib/Either.js';
import { BYTE_TO_CHAR } from './byteLevel.js';
import { checkChatTemplate, DEFAULT_CHAT_TEMPLATE, type ChatTemplate } from './chatTemplate.js';
import { tokenizerError, type TokenizerError } from './errors.js';
import { pairHeap } from './pairHeap.js';
import { preTokenize } from './preTokenize.js';
import { buildSpecialTrie, DEFAULT_SPECIAL_TOKENS, splitOnSpecialTokens } from './specialTokens.js';
import { buildTokenizer, MAX_VOCAB_SIZE, pairKey, type Tokenizer } from './tokenizer.js';
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
  readonly chatTemplate?: ChatTemplate;
}

/** Distinct pre-tokens of the corpus (special tokens removed) with their counts, in first-seen order. */
export function countWords(texts: readonly string[], specialTokens: readonly string[]): Map<string, number> {
  const trie = buildSpecialTrie(specialTokens);
  const counts = new Map<string, number>();
  for (const text of texts) {
    for (const seg of splitOnSpecialTokens(text, trie)) {
      if (seg.kind !== 'text') continue;
      for (const piece of preTokenize(seg.text)) counts.set(piece.text, (counts.get(piece.text) ?? 0) + 1);
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
  const template = options.chatTemplate ?? DEFAULT_CHAT_TEMPLATE;
  const problem = checkChatTemplate(template);
  return problem === null ? null : `chatTemplate: ${problem}`;
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

  return buildTokenizer(
    {
      vocab,
      merges,
      specialTokens: specials.map((content, i) => ({ content, id: 256 + i })),
      chatTemplate: options.chatTemplate ?? DEFAULT_CHAT_TEMPLATE,
    },
    'trainBpe',
  );
}
