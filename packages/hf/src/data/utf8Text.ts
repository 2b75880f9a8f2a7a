import * as E from 'fp-ts/lib/Either.js';

const fatal = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/** The byte offset of the first byte that is not valid UTF-8 (for the message; the decoder says only that there is one). */
function firstInvalidByte(b: Uint8Array): number {
  for (let i = 0; i < b.length;) {
    const c = b[i]!;
    const n = c < 0x80 ? 1 : c >= 0xc2 && c < 0xe0 ? 2 : c >= 0xe0 && c < 0xf0 ? 3 : c >= 0xf0 && c < 0xf5 ? 4 : 0;
    if (n === 0) return i;
    for (let k = 1; k < n; k++) if (i + k >= b.length || (b[i + k]! & 0xc0) !== 0x80) return i;
    try { fatal.decode(b.subarray(i, i + n)); } catch { return i; } // overlong forms and surrogates
    i += n;
  }
  return b.length;
}

/**
 * A text file's bytes as a string: UTF-8, with a leading byte order mark dropped (editors on Windows write one).
 * Invalid UTF-8 is an error naming the line and byte, never silently replaced by U+FFFD.
 */
export function decodeUtf8Text(bytes: Uint8Array): E.Either<{ readonly line: number; readonly message: string }, string> {
  try {
    return E.right(fatal.decode(bytes));
  } catch {
    const at = firstInvalidByte(bytes);
    let line = 1;
    for (let i = 0; i < at; i++) if (bytes[i] === 0x0a) line++;
    return E.left({ line, message: `not valid UTF-8 (byte ${at} of the file, 0x${bytes[at]?.toString(16).padStart(2, '0')})` });
  }
}

/** A UTF-8 text file's contents, as `decodeUtf8Text`, the message starting with `file:line`. */
export function textOfFile(file: string, bytes: Uint8Array): E.Either<string, string> {
  const r = decodeUtf8Text(bytes);
  return E.isLeft(r) ? E.left(`${file}:${r.left.line}: ${r.left.message}`) : r;
}
