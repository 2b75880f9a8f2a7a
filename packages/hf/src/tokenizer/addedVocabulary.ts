import { type Normalized, slice } from './normalized.js';
import type { AddedTokenSpec } from './spec.js';

/** A prefix tree over the UTF-16 units of the patterns, each end holding the token's index. */
interface Trie { readonly next: Map<string, Trie>; end: number }

function buildTrie(patterns: readonly (readonly [string, number])[]): Trie {
  const root: Trie = { next: new Map(), end: -1 };
  for (const [pattern, index] of patterns) {
    let node = root;
    for (const unit of pattern) {
      let child = node.next.get(unit);
      if (!child) { child = { next: new Map(), end: -1 }; node.next.set(unit, child); }
      node = child;
    }
    node.end = index;
  }
  return root;
}

/** The leftmost match at or after `from`, the longest of those that start there (aho-corasick's LeftmostLongest). */
function nextMatch(text: string, trie: Trie, from: number): { start: number; end: number; index: number } | undefined {
  for (let i = from; i < text.length; i++) {
    let node: Trie | undefined = trie;
    let best: { end: number; index: number } | undefined;
    for (let j = i; j < text.length; j++) {
      node = node.next.get(text[j]!);
      if (!node) break;
      if (node.end >= 0) best = { end: j + 1, index: node.end };
    }
    if (best) return { start: i, ...best };
  }
  return undefined;
}

// The crate's word and space tests use the `regex` crate's Unicode \w and \s.
const WORD = /[\p{Alphabetic}\p{M}\p{Nd}\p{Pc}\p{Join_Control}]/u;
const SPACE = /\p{White_Space}/u;
const lastChar = (s: string) => [...s.slice(-2)].pop() ?? '';

/** The added tokens and the two matchers the crate builds: on the raw text, and on normalized pieces. */
export interface AddedVocabulary {
  readonly tokens: readonly AddedTokenSpec[];
  readonly raw: Trie | null;
  readonly normalized: Trie | null;
}

/** `normalize` gives the text a normalized token is matched as (the crate normalizes its content). */
export function buildAddedVocabulary(tokens: readonly AddedTokenSpec[], normalize: (s: string) => string): AddedVocabulary {
  const raw = tokens.flatMap((t, i) => (t.normalized ? [] : [[t.content, i] as const]));
  const normalized = tokens.flatMap((t, i) => (t.normalized ? [[normalize(t.content), i] as const] : []));
  return { tokens, raw: raw.length ? buildTrie(raw) : null, normalized: normalized.length ? buildTrie(normalized) : null };
}

/** A piece of the text: an added token (its id) or text for the model. */
export interface Segment { readonly piece: Normalized; readonly id?: number }

/**
 * Splits a piece on the added tokens of one matcher (the crate's `find_matches` and `split_with_indices`):
 * leftmost-longest matches, a `single_word` token only between non-word characters, `lstrip`/`rstrip` taking the
 * white space before/after into the token's piece.
 */
export function splitOnAddedTokens(piece: Normalized, trie: Trie | null, vocab: AddedVocabulary): Segment[] {
  const text = piece.text;
  if (trie === null || text.length === 0) return [{ piece }];
  const out: Segment[] = [];
  let startOffset = 0;
  for (let m = nextMatch(text, trie, 0); m; m = nextMatch(text, trie, m.end)) {
    const token = vocab.tokens[m.index]!;
    let { start, end } = m;
    if (token.singleWord) {
      const spaceBefore = start === 0 || !WORD.test(lastChar(text.slice(0, start)));
      const spaceAfter = end === text.length || !WORD.test(String.fromCodePoint(text.codePointAt(end)!));
      if (!spaceBefore || !spaceAfter) continue;
    }
    if (token.lstrip) {
      let s = start;
      while (s > 0 && SPACE.test(text[s - 1]!)) s--;
      start = Math.max(s, startOffset);
    }
    if (token.rstrip) while (end < text.length && SPACE.test(text[end]!)) end++;
    if (startOffset < start) out.push({ piece: slice(piece, startOffset, start) });
    out.push({ piece: slice(piece, start, end), id: token.id });
    startOffset = end; // the next match is searched from the match's own end, as the crate's iterator does
  }
  if (startOffset !== text.length) out.push({ piece: slice(piece, startOffset, text.length) });
  return out;
}
