import * as E from 'fp-ts/lib/Either.js';
import { DEFAULT_SPECIAL_TOKENS } from './specialTokens.js';
import type { Tokenizer } from './tokenizer.js';
import { trainBpe } from './train.js';

/** A byte-level tokenizer without merges: the 256 byte tokens, then the default special tokens (263 in all). */
export function byteLevelTokenizer(): Tokenizer {
  const r = trainBpe([], { vocabSize: 256 + DEFAULT_SPECIAL_TOKENS.length });
  if (E.isLeft(r)) throw new Error(`byteLevelTokenizer: ${r.left.message}`);
  return r.right;
}
