/**
 * Data files count span offsets in Unicode code points, as Python's `str` and the public SafeKey data do;
 * JavaScript strings (and so the tokenizer's offsets here) count UTF-16 code units. These convert at the file's
 * edge, so an emoji before U does not shift K.
 */

/** Code points in `s`. */
export const codePointLength = (s: string): number => {
  let n = 0;
  for (let i = 0; i < s.length; i++, n++) if (isHighSurrogate(s.charCodeAt(i)) && isLowSurrogate(s.charCodeAt(i + 1))) i++;
  return n;
};

const isHighSurrogate = (c: number) => c >= 0xd800 && c <= 0xdbff;
const isLowSurrogate = (c: number) => c >= 0xdc00 && c <= 0xdfff;

/** The UTF-16 index where code point `cp` of `s` starts (`s.length` for the end), or undefined past the end. */
export function codePointToUnit(s: string, cp: number): number | undefined {
  let i = 0;
  for (let n = 0; n < cp; n++) {
    if (i >= s.length) return undefined;
    i += isHighSurrogate(s.charCodeAt(i)) && isLowSurrogate(s.charCodeAt(i + 1)) ? 2 : 1;
  }
  return i;
}

/** For each UTF-16 index of `s` (and `s.length`), the code point it belongs to: converts many offsets at once. */
export function codePointIndex(s: string): Int32Array {
  const at = new Int32Array(s.length + 1);
  let cp = 0, i = 0;
  for (; i < s.length; cp++) {
    const units = isHighSurrogate(s.charCodeAt(i)) && isLowSurrogate(s.charCodeAt(i + 1)) ? 2 : 1;
    for (let k = 0; k < units; k++) at[i + k] = cp;
    i += units;
  }
  at[s.length] = cp;
  return at;
}

/** The code point index of UTF-16 index `unit` (which must not split a surrogate pair). */
export function unitToCodePoint(s: string, unit: number): number {
  if (unit > 0 && unit < s.length && isLowSurrogate(s.charCodeAt(unit)) && isHighSurrogate(s.charCodeAt(unit - 1)))
    throw new RangeError(`offset ${unit} splits a surrogate pair`);
  return codePointLength(s.slice(0, unit));
}
