/**
 * UTF-8 bytes of a JS string together with, for every byte, the UTF-16 span of the character it belongs to.
 * A lone surrogate is encoded as U+FFFD (3 bytes), exactly as `TextEncoder` does, so the bytes always equal
 * `new TextEncoder().encode(text)`.
 */
export interface Utf8WithSpans {
  readonly bytes: Uint8Array;
  /** UTF-16 offset where the character holding byte i starts. */
  readonly charStart: Int32Array;
  /** UTF-16 offset just past the character holding byte i. */
  readonly charEnd: Int32Array;
}

export function utf8WithSpans(text: string): Utf8WithSpans {
  const bytes: number[] = [];
  const starts: number[] = [];
  const ends: number[] = [];
  for (let i = 0; i < text.length; ) {
    let cp = text.codePointAt(i)!;
    const units = cp > 0xffff ? 2 : 1;
    if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd;
    const before = bytes.length;
    if (cp < 0x80) bytes.push(cp);
    else if (cp < 0x800) bytes.push(0xc0 | (cp >> 6), 0x80 | (cp & 0x3f));
    else if (cp < 0x10000) bytes.push(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
    else bytes.push(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 0x3f), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
    for (let k = before; k < bytes.length; k++) { starts.push(i); ends.push(i + units); }
    i += units;
  }
  return { bytes: Uint8Array.from(bytes), charStart: Int32Array.from(starts), charEnd: Int32Array.from(ends) };
}

const encoder = new TextEncoder();
/** BOM kept (a leading U+FEFF is text like any other), invalid sequences become U+FFFD instead of throwing. */
const decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });

export const utf8Encode = (text: string): Uint8Array => encoder.encode(text);
export const utf8Decode = (bytes: Uint8Array): string => decoder.decode(bytes);
