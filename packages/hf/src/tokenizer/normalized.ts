/**
 * A piece of text being normalized and split, with the original characters each code unit came from: the
 * `NormalizedString` of the `tokenizers` crate, with offsets in UTF-16 code units of the text given to `encode`
 * (absolute, not relative to the piece) instead of bytes. Every operation returns a new value.
 */
export interface Normalized {
  readonly text: string;
  /** Per UTF-16 unit of `text`: the original span `[start, end)` of the character it came from. */
  readonly starts: Int32Array;
  readonly ends: Int32Array;
  /** Where this piece begins in the original text (the crate's `offsets_original().0`). */
  readonly originalStart: number;
}

/** One character of a transformation: its text (one code point) and the crate's `change` (1 inserted, -n removes the n next). */
export interface Change { readonly ch: string; readonly change: number }

/** A piece of the original text, `text` starting at `base`. */
export function fromOriginal(text: string, base = 0): Normalized {
  const starts = new Int32Array(text.length), ends = new Int32Array(text.length);
  for (let i = 0; i < text.length;) {
    const units = text.codePointAt(i)! > 0xffff ? 2 : 1;
    for (let k = 0; k < units; k++) { starts[i + k] = base + i; ends[i + k] = base + i + units; }
    i += units;
  }
  return { text, starts, ends, originalStart: base };
}

/** The code points of a string with the unit index where each starts. */
export function codePoints(text: string): { ch: string; at: number }[] {
  const out: { ch: string; at: number }[] = [];
  for (let i = 0; i < text.length;) {
    const units = text.codePointAt(i)! > 0xffff ? 2 : 1;
    out.push({ ch: text.slice(i, i + units), at: i });
    i += units;
  }
  return out;
}

/** The alignment of the unit just before `unit` (the crate gives an insertion at the very start `(0, 0)`). */
const alignBefore = (n: Normalized, unit: number): [number, number] =>
  unit > 0 ? [n.starts[unit - 1]!, n.ends[unit - 1]!] : [n.originalStart, n.originalStart];

/** Builds text and alignments from characters with their alignments. */
function assemble(parts: { ch: string; start: number; end: number }[], originalStart: number): Normalized {
  const text = parts.map((p) => p.ch).join('');
  const starts = new Int32Array(text.length), ends = new Int32Array(text.length);
  let u = 0;
  for (const p of parts) for (let k = 0; k < p.ch.length; k++, u++) { starts[u] = p.start; ends[u] = p.end; }
  return { text, starts, ends, originalStart };
}

/**
 * The crate's `transform` over the whole piece: `dest` is the new text character by character; a character with
 * change 0 replaces the next old one (and takes its alignment), 1 is inserted (and takes the alignment of the
 * old character before it), -n replaces the next one and removes the n after it. `skip` old characters are
 * removed first.
 */
export function transform(n: Normalized, dest: readonly Change[], skip = 0): Normalized {
  const old = codePoints(n.text);
  let pos = skip;
  const parts = dest.map(({ ch, change }) => {
    let align: [number, number];
    if (change > 0) align = pos > 0 ? [n.starts[old[pos - 1]!.at]!, n.ends[old[pos - 1]!.at]!] : alignBefore(n, 0);
    else { const at = old[pos]!.at; align = [n.starts[at]!, n.ends[at]!]; pos += 1 - change; }
    return { ch, start: align[0], end: align[1] };
  });
  return assemble(parts, n.originalStart);
}

/** The crate's `prepend`: `s` before the first character, every new character aligned with that first one. */
export function prepend(n: Normalized, s: string): Normalized {
  if (n.text.length === 0) return n;
  const units = s.length;
  const starts = new Int32Array(units + n.text.length), ends = new Int32Array(units + n.text.length);
  starts.fill(n.starts[0]!, 0, units); ends.fill(n.ends[0]!, 0, units);
  starts.set(n.starts, units); ends.set(n.ends, units);
  return { text: s + n.text, starts, ends, originalStart: n.originalStart };
}

/** A match of a pattern, or the text between two matches: `[start, end)` in units of the piece. */
export interface Span { readonly start: number; readonly end: number; readonly isMatch: boolean }

/**
 * The crate's `replace`: every match becomes `content`, whose characters all take the alignment of the last
 * character of the match (an empty content deletes the match).
 */
export function replaceSpans(n: Normalized, spans: readonly Span[], content: string): Normalized {
  const parts: { ch: string; start: number; end: number }[] = [];
  for (const s of spans) {
    if (!s.isMatch) {
      for (const c of codePoints(n.text.slice(s.start, s.end))) parts.push({ ch: c.ch, start: n.starts[s.start + c.at]!, end: n.ends[s.start + c.at]! });
      continue;
    }
    const [start, end] = alignBefore(n, s.end);
    for (const c of codePoints(content)) parts.push({ ch: c.ch, start, end });
  }
  return assemble(parts, n.originalStart);
}

/** Units `[start, end)` of a piece as a piece of its own (the crate's `slice`). */
export function slice(n: Normalized, start: number, end: number): Normalized {
  return {
    text: n.text.slice(start, end), starts: n.starts.slice(start, end), ends: n.ends.slice(start, end),
    originalStart: end > start ? n.starts[start]! : n.originalStart,
  };
}

/** The original span of units `[start, end)` of a piece: from the first unit's start to the last unit's end. */
export const originalSpan = (n: Normalized, start: number, end: number): [number, number] =>
  end > start ? [n.starts[start]!, n.ends[end - 1]!] : [n.originalStart, n.originalStart];

/** How a split keeps the delimiters (the crate's `SplitDelimiterBehavior`). */
export type SplitBehavior = 'Removed' | 'Isolated' | 'MergedWithPrevious' | 'MergedWithNext' | 'Contiguous';

/** The crate's `split`: the pieces between and of the matches, by `behavior`; empty pieces are dropped. */
export function splitBy(n: Normalized, spans: readonly Span[], behavior: SplitBehavior): Normalized[] {
  let ranges: { start: number; end: number; remove: boolean }[] = [];
  if (behavior === 'Isolated') ranges = spans.map((s) => ({ start: s.start, end: s.end, remove: false }));
  else if (behavior === 'Removed') ranges = spans.map((s) => ({ start: s.start, end: s.end, remove: s.isMatch }));
  else if (behavior === 'Contiguous') {
    let previous = false;
    for (const s of spans) {
      const last = ranges[ranges.length - 1];
      if (s.isMatch === previous && last) last.end = s.end;
      else ranges.push({ start: s.start, end: s.end, remove: false });
      previous = s.isMatch;
    }
  } else if (behavior === 'MergedWithPrevious') {
    let previous = false;
    for (const s of spans) {
      const last = ranges[ranges.length - 1];
      if (s.isMatch && !previous && last) last.end = s.end;
      else ranges.push({ start: s.start, end: s.end, remove: false });
      previous = s.isMatch;
    }
  } else {
    let previous = false;
    for (let i = spans.length - 1; i >= 0; i--) {
      const s = spans[i]!;
      const last = ranges[ranges.length - 1];
      if (s.isMatch && !previous && last) last.start = s.start;
      else ranges.push({ start: s.start, end: s.end, remove: false });
      previous = s.isMatch;
    }
    ranges.reverse();
  }
  return ranges.filter((r) => !r.remove && r.end > r.start).map((r) => slice(n, r.start, r.end));
}
