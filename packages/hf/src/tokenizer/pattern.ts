import { type Span, codePoints } from './normalized.js';
import { translateOniguruma } from './onigRegex.js';
import type { PatternSpec } from './spec.js';

/** Finds a pattern in a text: the matches and the text between them, covering the text in order. */
export type Matcher = (text: string) => Span[];

/** Spans from match positions (the crate's `find_matches` for a regex): gaps as non-matches. */
function spansOf(text: string, matches: Iterable<{ start: number; end: number }>): Span[] {
  if (text.length === 0) return [{ start: 0, end: 0, isMatch: false }];
  const out: Span[] = [];
  let prev = 0;
  for (const m of matches) {
    if (prev !== m.start) out.push({ start: prev, end: m.start, isMatch: false });
    out.push({ start: m.start, end: m.end, isMatch: true });
    prev = m.end;
  }
  if (prev !== text.length) out.push({ start: prev, end: text.length, isMatch: false });
  return out;
}

export function regexMatcher(re: RegExp): Matcher {
  return (text) => spansOf(text, (function* () {
    for (const m of text.matchAll(re)) yield { start: m.index, end: m.index + m[0].length };
  })());
}

const escapeRegExp = (s: string) => s.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');

/** A matcher for a pattern, or why it cannot be run here. An empty literal matches nothing (as in the crate). */
export function compilePattern(p: PatternSpec): Matcher | string {
  if ('string' in p) {
    if (p.string.length === 0) return (text) => [{ start: 0, end: text.length, isMatch: false }];
    return regexMatcher(new RegExp(escapeRegExp(p.string), 'gu'));
  }
  const t = translateOniguruma(p.regex);
  return t.ok ? regexMatcher(new RegExp(t.source, 'gu')) : `regex ${JSON.stringify(p.regex)}: ${t.problem}`;
}

/** Every character for which `test` holds is a match of its own (the crate's pattern of a `char` predicate). */
export const charMatcher = (test: (ch: string) => boolean): Matcher => (text) =>
  spansOf(text, codePoints(text).filter((c) => test(c.ch)).map((c) => ({ start: c.at, end: c.at + c.ch.length })));

/** Flips which spans are matches (the crate's `Invert`). */
export const invert = (m: Matcher): Matcher => (text) => m(text).map((s) => ({ ...s, isMatch: !s.isMatch }));
