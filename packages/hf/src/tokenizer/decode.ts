import type { Tokenizer } from './tokenizer.js';

export interface DecodeOptions {
  /** Leave out added tokens marked special (default false). */
  readonly skipSpecialTokens?: boolean;
}

/**
 * The text of a token sequence, as the `tokenizers` crate's `decode`: each id's token text (ids without a token,
 * e.g. embedding rows past the vocabulary, are left out), through the decoder, joined. Without a decoder the
 * tokens are joined with spaces.
 */
export function decode(tok: Tokenizer, ids: readonly number[], opts: DecodeOptions = {}): string {
  const texts: string[] = [];
  for (const id of ids) {
    if (!Number.isInteger(id) || id < 0 || id >= tok.tokens.length) continue;
    if (opts.skipSpecialTokens && tok.specialIds.has(id)) continue;
    texts.push(tok.tokens[id]!);
  }
  return tok.decodeChain ? tok.decodeChain(texts).join('') : texts.join(' ');
}
