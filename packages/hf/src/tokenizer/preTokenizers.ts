import { BYTE_TO_CHAR } from './byteLevel.js';
import { type Change, type Normalized, codePoints, prepend, replaceSpans, splitBy, transform } from './normalized.js';
import { type Matcher, charMatcher, compilePattern, invert, regexMatcher } from './pattern.js';
import type { PreTokenizerSpec } from './spec.js';
import { utf8Encode } from './utf8.js';
import { translateOniguruma } from './onigRegex.js';

export type PreTokenizeFn = (pieces: readonly Normalized[]) => Normalized[];

/** GPT-2's split of the ByteLevel pre-tokenizer (the crate's `RE`), with Oniguruma's `\s`. */
const GPT2 = translateOniguruma(String.raw`'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`);
const gpt2 = regexMatcher(new RegExp(GPT2.ok ? GPT2.source : '', 'gu'));

/** The pieces GPT-2's regex splits a text into (the ByteLevel pre-tokenizer with `use_regex`, before the byte mapping). */
export const gpt2Pieces = (text: string): string[] => gpt2(text).map((s) => text.slice(s.start, s.end));

/** Each character becomes the byte-level characters of its UTF-8 bytes, all aligned with it. */
export function toByteLevel(n: Normalized): Normalized {
  const dest: Change[] = [];
  for (const { ch } of codePoints(n.text)) utf8Encode(ch).forEach((b, i) => dest.push({ ch: BYTE_TO_CHAR[b]!, change: i > 0 ? 1 : 0 }));
  return transform(n, dest);
}

const nonEmpty = (ps: Normalized[]) => ps.filter((p) => p.text.length > 0);

/** A pre-tokenizer as a function from pieces to pieces, as the crate runs it. */
export function compilePreTokenizer(spec: PreTokenizerSpec): PreTokenizeFn {
  switch (spec.type) {
    case 'ByteLevel':
      return (pieces) => pieces.flatMap((p) => {
        const q = spec.addPrefixSpace && !p.text.startsWith(' ') ? prepend(p, ' ') : p;
        return spec.useRegex ? splitBy(q, gpt2(q.text), 'Isolated') : [q];
      }).map(toByteLevel);
    case 'Split': {
      const m = compilePattern(spec.pattern) as Matcher;
      const find = spec.invert ? invert(m) : m;
      return (pieces) => pieces.flatMap((p) => splitBy(p, find(p.text), spec.behavior));
    }
    case 'Metaspace': {
      const space = charMatcher((c) => c === ' ');
      const at = charMatcher((c) => c === spec.replacement);
      return (pieces) => nonEmpty(pieces.flatMap((p) => {
        let q = replaceSpans(p, space(p.text), spec.replacement);
        const want = spec.prependScheme === 'always' || (spec.prependScheme === 'first' && q.originalStart === 0);
        if (want && !q.text.startsWith(spec.replacement)) q = prepend(q, spec.replacement);
        return spec.split ? splitBy(q, at(q.text), 'MergedWithNext') : [q];
      }));
    }
    case 'Digits': {
      const digit = charMatcher((c) => /\p{N}/u.test(c));
      return (pieces) => pieces.flatMap((p) => splitBy(p, digit(p.text), spec.individualDigits ? 'Isolated' : 'Contiguous'));
    }
    case 'Sequence': {
      const parts = spec.pretokenizers.map(compilePreTokenizer);
      return (pieces) => parts.reduce((acc, f) => f(acc), [...pieces]);
    }
  }
}
