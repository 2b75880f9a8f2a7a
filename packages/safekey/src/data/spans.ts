/** A token's characters in the text it was encoded from: `[start, end)`. */
export type CharOffset = readonly [number, number];

/**
 * The token index where character position `charPos` falls: the number of leading tokens that end at or before
 * it. A token that straddles `charPos` (holding bytes of characters on both sides, or of a character split by
 * BPE at that position) counts as after it. Used for both ends of a span, this makes adjacent character spans
 * give adjacent token spans that tile the sequence, with a straddling token going to the later span.
 */
export function charToTokenBoundary(offsets: readonly CharOffset[], charPos: number): number {
  let lo = 0;
  let hi = offsets.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (offsets[mid]![1] <= charPos) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The token span [first, end) for the character span [start, end), by the `charToTokenBoundary` rule. */
export const charSpanToTokenSpan = (offsets: readonly CharOffset[], start: number, end: number): [number, number] =>
  [charToTokenBoundary(offsets, start), charToTokenBoundary(offsets, end)];
