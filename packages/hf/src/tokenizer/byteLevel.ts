/**
 * GPT-2's byte-to-unicode table: each of the 256 byte values gets a printable character, so a byte string can be
 * stored as text in `tokenizer.json`. Printable Latin-1 bytes map to themselves; the others (control characters,
 * space, DEL, NBSP, soft hyphen) map to U+0100 onwards, in byte order. Space becomes 'Ġ', newline 'Ċ'.
 */
export const BYTE_TO_CHAR: readonly string[] = (() => {
  const printable = (b: number): boolean =>
    (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  const out: string[] = new Array(256);
  let next = 0;
  for (let b = 0; b < 256; b++) out[b] = String.fromCharCode(printable(b) ? b : 256 + next++);
  return out;
})();

export const CHAR_TO_BYTE: ReadonlyMap<string, number> = new Map(BYTE_TO_CHAR.map((c, b) => [c, b]));

/** The bytes a byte-level string stands for, or null when it has a character outside the 256-character alphabet. */
export const byteLevelToBytes = (s: string): Uint8Array | null => {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const b = CHAR_TO_BYTE.get(s[i]!);
    if (b === undefined) return null;
    out[i] = b;
  }
  return out;
};
