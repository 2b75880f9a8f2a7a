import * as E from 'fp-ts/lib/Either.js';
import type { SampleSpans } from '../losses/batch.js';
import type { RawSample } from './sample.js';
import { locateSpans } from './sentences.js';
import { type CharOffset, charToTokenBoundary } from './spans.js';

/**
 * What the method needs of a tokenizer and chat format: the prompt's ids, a response's ids with each token's
 * characters (counted from the start of `text`), and the end-of-sequence id. The prompt and the response are
 * encoded apart, so no merge crosses them; the query is given with the response so that a response may leave
 * out what its prompt already ends with (a generation prompt that opens the reasoning block). `@safekey-ts/hf`'s
 * `sampleEncoder` gives one for a Hugging Face tokenizer and chat template.
 */
export interface SampleEncoder {
  prompt(query: string): readonly number[];
  response(text: string, query?: string): { readonly ids: readonly number[]; readonly offsets: readonly CharOffset[] };
  readonly eos?: number;
}

export interface EncodeOptions {
  /** Longest sequence kept; a sample whose K does not fit is skipped, not cut. */
  readonly maxLength: number;
  /** Sentences in U when the data has no offsets (default 1). */
  readonly uSentences?: number;
}

/**
 * Tokens and token spans of one sample: the prompt, the response and the end-of-sequence token. U and K come
 * from the response's character offsets through the tokenizer's offsets, never by re-tokenising pieces.
 */
export function encodeSample(enc: SampleEncoder, s: RawSample, opts: EncodeOptions): E.Either<string, SampleSpans> {
  const spans = s.uEnd !== undefined && s.kEnd !== undefined ? { uEnd: s.uEnd, kEnd: s.kEnd } : locateSpans(s.response, opts.uSentences ?? 1);
  if (!spans) return E.left('no K: the reasoning has too few sentences to locate U and K');
  const prompt = enc.prompt(s.query);
  const response = enc.response(s.response, s.query);
  const ids = [...prompt, ...response.ids, ...(enc.eos !== undefined ? [enc.eos] : [])];
  const p = prompt.length;
  const k0 = p + charToTokenBoundary(response.offsets, spans.uEnd);
  const k1 = p + charToTokenBoundary(response.offsets, spans.kEnd);
  if (k0 <= p) return E.left('empty U: no response token before the key sentence');
  if (k1 <= k0) return E.left('empty K: the key sentence has no tokens');
  if (k1 > opts.maxLength) return E.left(`K ends at token ${k1}, beyond the length limit ${opts.maxLength}`);
  return E.right({ ids: ids.slice(0, opts.maxLength), promptEnd: p, keyStart: k0, keyEnd: k1, harmful: s.harmful });
}

/** A sample left out: its index, why, and where it is (its `file:line` when read from a file, else `sample N`). */
export interface Skipped { readonly index: number; readonly reason: string; readonly at: string }
export interface EncodedSet { readonly samples: SampleSpans[]; readonly skipped: Skipped[] }

/** Encodes a data set; samples that cannot be trained on are listed with the reason, not silently dropped. */
export function encodeSamples(enc: SampleEncoder, raw: readonly RawSample[], opts: EncodeOptions): EncodedSet {
  const samples: SampleSpans[] = [], skipped: Skipped[] = [];
  raw.forEach((s, index) => {
    const r = encodeSample(enc, s, opts);
    if (E.isLeft(r)) skipped.push({ index, reason: r.left, at: s.source ?? `sample ${index + 1}` });
    else samples.push(r.right);
  });
  return { samples, skipped };
}
