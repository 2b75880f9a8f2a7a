/** The special tokens of the chat format. Each is matched as a whole in input text and never split by BPE. */
export const CHAT_SPECIAL_TOKENS = {
  user: '<|user|>',
  assistant: '<|assistant|>',
  endOfTurn: '<|end_of_turn|>',
  thinkStart: '<think>',
  thinkEnd: '</think>',
  eos: '<|eos|>',
  pad: '<|pad|>',
} as const;

/** In id order: a trained tokenizer gives these ids 256, 257, ... */
export const DEFAULT_SPECIAL_TOKENS: readonly string[] = [
  CHAT_SPECIAL_TOKENS.pad,
  CHAT_SPECIAL_TOKENS.eos,
  CHAT_SPECIAL_TOKENS.user,
  CHAT_SPECIAL_TOKENS.assistant,
  CHAT_SPECIAL_TOKENS.endOfTurn,
  CHAT_SPECIAL_TOKENS.thinkStart,
  CHAT_SPECIAL_TOKENS.thinkEnd,
];

/** A prefix tree over the special tokens' UTF-16 code units. */
export interface SpecialTrie {
  readonly next: Map<string, SpecialTrie>;
  end: string | null;
}

export function buildSpecialTrie(contents: readonly string[]): SpecialTrie {
  const root: SpecialTrie = { next: new Map(), end: null };
  for (const word of contents) {
    let node = root;
    for (const unit of word.split('')) {
      let child = node.next.get(unit);
      if (!child) { child = { next: new Map(), end: null }; node.next.set(unit, child); }
      node = child;
    }
    node.end = word;
  }
  return root;
}

export type TextSegment =
  | { readonly kind: 'text'; readonly text: string; readonly start: number }
  | { readonly kind: 'special'; readonly content: string; readonly start: number };

/**
 * Splits text into plain runs and special tokens: scanning left to right, at each position the longest special
 * token that starts there is taken (what `@huggingface/tokenizers` and the Rust crate's leftmost-longest matcher do).
 */
export function splitOnSpecialTokens(text: string, trie: SpecialTrie): TextSegment[] {
  const out: TextSegment[] = [];
  let runStart = 0;
  let i = 0;
  while (i < text.length) {
    let node: SpecialTrie | undefined = trie;
    let match: string | null = null;
    for (let j = i; j < text.length; j++) {
      node = node.next.get(text[j]!);
      if (!node) break;
      if (node.end !== null) match = node.end;
    }
    if (match === null) { i++; continue; }
    if (i > runStart) out.push({ kind: 'text', text: text.slice(runStart, i), start: runStart });
    out.push({ kind: 'special', content: match, start: i });
    i += match.length;
    runStart = i;
  }
  if (runStart < text.length) out.push({ kind: 'text', text: text.slice(runStart), start: runStart });
  return out;
}
