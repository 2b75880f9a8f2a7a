import { type Change, codePoints } from './normalized.js';

/**
 * NFC as the `tokenizers` crate computes it (through `unicode-normalization-alignments`), with the crate's
 * `change` per output character, so that alignments follow what the crate does: each input character is fully
 * decomposed (its first part replaces it, the others are inserted), runs of combining marks are stably sorted
 * by combining class, then a starter absorbs the marks it composes with (each absorbed one counts as removed).
 * The Unicode data (decompositions, compositions, combining-class order) come from the engine's own
 * `String.prototype.normalize`.
 */

const cache = new Map<string, boolean>();
const memo = (key: string, f: () => boolean): boolean => {
  let v = cache.get(key);
  if (v === undefined) { v = f(); cache.set(key, v); }
  return v;
};

/** ccc(a) > ccc(b) > 0: canonical ordering swaps `a b`. */
const orderedAfter = (a: string, b: string): boolean => memo(`>${a}${b}`, () => (a + b).normalize('NFD') === b.normalize('NFD') + a.normalize('NFD') && a !== b);

/** The combining class is not 0 (U+0345 has the largest class, 240; every other non-zero class sorts before it). */
const isNonStarter = (c: string): boolean => memo(`*${c}`, () => c === '\u0345' || orderedAfter('\u0345', c));

/** `ccc(a) >= ccc(b)` for two non-starters. */
const classAtLeast = (a: string, b: string): boolean => !orderedAfter(b, a);

/** The primary composite of a starter and a following character, if there is one. */
function compose(a: string, b: string): string | undefined {
  const c = (a + b).normalize('NFC');
  return [...c].length === 1 ? c : undefined;
}

/** Canonical decomposition with changes; marks reordered by combining class (stable), changes travelling along. */
function decompose(text: string): Change[] {
  const out: Change[] = [];
  let pending: Change[] = [];
  const flush = () => {
    // insertion sort: stable, and runs of marks are short
    for (let i = 1; i < pending.length; i++) {
      const x = pending[i]!;
      let j = i - 1;
      while (j >= 0 && orderedAfter(pending[j]!.ch, x.ch)) { pending[j + 1] = pending[j]!; j--; }
      pending[j + 1] = x;
    }
    out.push(...pending);
    pending = [];
  };
  for (const { ch } of codePoints(text)) {
    codePoints(ch.normalize('NFD')).forEach((d, i) => {
      const item = { ch: d.ch, change: i === 0 ? 0 : 1 };
      if (isNonStarter(d.ch)) pending.push(item);
      else { flush(); out.push(item); }
    });
  }
  flush();
  return out;
}

/** NFC of `text` with the crate's changes. */
export function nfcChanges(text: string): Change[] {
  const out: Change[] = [];
  let composee: Change | undefined;
  let lastClass: string | undefined; // the last blocked mark (its class is what blocking compares)
  let buffer: Change[] = [];
  for (const item of decompose(text)) {
    const starter = !isNonStarter(item.ch);
    if (composee === undefined) {
      if (!starter) { out.push(item); continue; }
      composee = item;
      continue;
    }
    if (lastClass === undefined) {
      const r = compose(composee.ch, item.ch);
      if (r !== undefined) { composee = { ch: r, change: composee.change + item.change - 1 }; continue; }
      if (starter) { out.push(composee); composee = item; continue; }
      buffer.push(item); lastClass = item.ch;
      continue;
    }
    if (starter || classAtLeast(lastClass, item.ch)) {
      // blocked from the composee
      if (starter) {
        out.push(composee, ...buffer);
        buffer = []; composee = item; lastClass = undefined;
        continue;
      }
      buffer.push(item); lastClass = item.ch;
      continue;
    }
    const r = compose(composee.ch, item.ch);
    if (r !== undefined) { composee = { ch: r, change: composee.change + item.change - 1 }; continue; }
    buffer.push(item); lastClass = item.ch;
  }
  if (composee !== undefined) out.push(composee);
  out.push(...buffer);
  return out;
}
