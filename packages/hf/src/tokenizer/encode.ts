import { applyMerges } from './applyMerges.js';
import { preTokenize } from './preTokenize.js';
import { splitOnSpecialTokens } from './specialTokens.js';
import type { EncodedWord, Tokenizer } from './tokenizer.js';
import { utf8WithSpans } from './utf8.js';

/** [start, end) in UTF-16 code units of the encoded string. */
export type Offset = readonly [number, number];

export interface Encoding {
  readonly ids: number[];
  /**
   * One span per token. Rule: a token's span covers every character at least one of whose UTF-8 bytes the token
   * holds. Tokens never span a special token or a pre-token boundary. When BPE splits one multi-byte character
   * between tokens, each of those tokens covers the whole character, so neighbouring spans overlap there;
   * otherwise spans tile the text. Starts and ends are non-decreasing. `@safekey-ts/safekey`'s `charToTokenBoundary` /
   * `charSpanToTokenSpan` to map character spans to token spans.
   */
  readonly offsets: Offset[];
}

const WORD_CACHE_LIMIT = 1 << 16;

/** Token ids and relative character spans of one pre-token, memoised in the tokenizer's word cache. */
export function encodeWord(tok: Tokenizer, word: string): EncodedWord {
  const cached = tok.wordCache.get(word);
  if (cached) return cached;
  const { bytes, charStart, charEnd } = utf8WithSpans(word);
  const { ids, byteEnds } = applyMerges(tok, bytes);
  const starts = new Int32Array(ids.length);
  const ends = new Int32Array(ids.length);
  let byteStart = 0;
  for (let k = 0; k < ids.length; k++) {
    starts[k] = charStart[byteStart]!;
    ends[k] = charEnd[byteEnds[k]! - 1]!;
    byteStart = byteEnds[k]!;
  }
  const result: EncodedWord = { ids: Int32Array.from(ids), starts, ends };
  if (tok.wordCache.size >= WORD_CACHE_LIMIT) tok.wordCache.clear();
  tok.wordCache.set(word, result);
  return result;
}

/**
 * Token ids and per-token character spans. Special tokens are matched first (leftmost-longest) and become their
 * own ids; the text between them is pre-tokenised with the GPT-2 pattern and each piece is BPE-encoded.
 * `decode(tok, encode(tok, s).ids) === s` for every string without lone surrogates.
 */
export function encode(tok: Tokenizer, text: string): Encoding {
  const ids: number[] = [];
  const offsets: Offset[] = [];
  for (const seg of splitOnSpecialTokens(text, tok.specialTrie)) {
    if (seg.kind === 'special') {
      ids.push(tok.specialIds.get(seg.content)!);
      offsets.push([seg.start, seg.start + seg.content.length]);
      continue;
    }
    for (const piece of preTokenize(seg.text)) {
      const w = encodeWord(tok, piece.text);
      const base = seg.start + piece.start;
      for (let k = 0; k < w.ids.length; k++) {
        ids.push(w.ids[k]!);
        offsets.push([base + w.starts[k]!, base + w.ends[k]!]);
      }
    }
  }
  return { ids, offsets };
}
