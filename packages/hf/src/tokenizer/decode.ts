import type { Tokenizer } from './tokenizer.js';
import { utf8Decode } from './utf8.js';

/**
 * The text of a token sequence: the bytes of consecutive ordinary tokens are joined and decoded as UTF-8
 * (a byte sequence that is not valid UTF-8, e.g. a sampled sequence that stops inside a character, gives U+FFFD);
 * special tokens give their text. An id outside the vocabulary is a programmer error and throws a RangeError.
 */
export function decode(tok: Tokenizer, ids: readonly number[]): string {
  let out = '';
  let buf = new Uint8Array(64);
  let len = 0;
  const flush = (): void => {
    if (len > 0) out += utf8Decode(buf.subarray(0, len));
    len = 0;
  };
  for (const [i, id] of ids.entries()) {
    if (!Number.isInteger(id) || id < 0 || id >= tok.vocab.length)
      throw new RangeError(`decode: ids[${i}] = ${id} is not a token id (vocab size ${tok.vocab.length})`);
    const bytes = tok.tokenBytes[id];
    if (bytes === null || bytes === undefined) {
      flush();
      out += tok.vocab[id]!;
      continue;
    }
    if (len + bytes.length > buf.length) {
      const bigger = new Uint8Array(Math.max(buf.length * 2, len + bytes.length));
      bigger.set(buf.subarray(0, len));
      buf = bigger;
    }
    buf.set(bytes, len);
    len += bytes.length;
  }
  flush();
  return out;
}
