import { type Segment, splitOnAddedTokens } from './addedVocabulary.js';
import { type WordTokens, tokenizeWord } from './bpeModel.js';
import { fromOriginal, originalSpan } from './normalized.js';
import type { RawEncoding } from './postProcessors.js';
import type { Tokenizer } from './tokenizer.js';

/** [start, end) in UTF-16 code units of the encoded string. */
export type Offset = readonly [number, number];

export interface Encoding {
  readonly ids: number[];
  /**
   * One span per token, the characters it came from (the `tokenizers` crate's offsets, in UTF-16 units instead of
   * bytes): a token covers every character at least one of whose bytes it holds (a character BPE splits between
   * tokens is covered by each of them); a normalizer's output maps back to the characters it replaced; template
   * tokens are `[0, 0]`; a ByteLevel post-processor with `trim_offsets` leaves spaces out.
   */
  readonly offsets: Offset[];
}

export interface EncodeOptions {
  /** Run the post-processor's template (e.g. prepend bos), as `tokenizers`' `encode` does by default (default false). */
  readonly addSpecialTokens?: boolean;
}

const WORD_CACHE_LIMIT = 1 << 16;

function modelTokens(tok: Tokenizer, word: string): WordTokens {
  const cached = tok.wordCache.get(word);
  if (cached) return cached;
  const r = tokenizeWord(tok.bpe, word);
  if (tok.wordCache.size >= WORD_CACHE_LIMIT) tok.wordCache.clear();
  tok.wordCache.set(word, r);
  return r;
}

/**
 * Token ids and per-token character spans, as the `tokenizers` crate's `encode` computes them: added tokens
 * matched on the raw text (those not `normalized`), the rest normalized and matched again (the `normalized`
 * ones), pre-tokenized, each piece BPE-encoded, then the post-processor.
 */
export function encode(tok: Tokenizer, text: string, opts: EncodeOptions = {}): Encoding {
  let segments: Segment[] = splitOnAddedTokens(fromOriginal(text), tok.added.raw, tok.added);
  segments = segments.flatMap((s) => {
    if (s.id !== undefined) return [s];
    const piece = tok.normalize ? tok.normalize(s.piece) : s.piece;
    return piece.text.length === 0 ? [] : splitOnAddedTokens(piece, tok.added.normalized, tok.added);
  });
  const raw: RawEncoding = { ids: [], offsets: [], tokens: [] };
  for (const s of segments) {
    if (s.id !== undefined) {
      raw.ids.push(s.id); raw.offsets.push(originalSpan(s.piece, 0, s.piece.text.length)); raw.tokens.push(tok.tokens[s.id]!);
      continue;
    }
    const pieces = tok.preTokenize ? tok.preTokenize([s.piece]) : [s.piece];
    for (const p of pieces) {
      const w = modelTokens(tok, p.text);
      for (let k = 0; k < w.ids.length; k++) {
        raw.ids.push(w.ids[k]!);
        raw.offsets.push(originalSpan(p, w.starts[k]!, w.ends[k]!));
        raw.tokens.push(tok.tokens[w.ids[k]!]!);
      }
    }
  }
  const done = tok.postProcess ? tok.postProcess(raw, opts.addSpecialTokens ?? false) : raw;
  return { ids: done.ids, offsets: done.offsets };
}
