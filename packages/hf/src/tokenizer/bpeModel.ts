import { Heap } from './heap.js';
import type { BpeSpec } from './spec.js';
import { utf8Encode } from './utf8.js';

/** Ids stay below this, so a pair of ids packs into one safe integer. */
export const MAX_VOCAB_SIZE = 1 << 21;
export const pairKey = (left: number, right: number): number => left * MAX_VOCAB_SIZE + right;

/** A BPE model's lookup tables. */
export interface BpeTables {
  readonly spec: BpeSpec;
  /** The model's own tokens (added-only ids excluded) to their ids. */
  readonly ids: ReadonlyMap<string, number>;
  /** pairKey(left, right) -> rank and id of the merged token (a repeated pair keeps its last rank, as the crate). */
  readonly merges: ReadonlyMap<number, { readonly rank: number; readonly id: number }>;
  /** `<0xXX>` token ids by byte, when the model has byte fallback (-1 where the vocab lacks one). */
  readonly byteIds: Int32Array;
  readonly unkId: number;
}

export function bpeTables(spec: BpeSpec): BpeTables {
  const ids = new Map<string, number>();
  spec.vocab.forEach((token, id) => { if (token !== null) ids.set(token, id); });
  const merges = new Map<number, { rank: number; id: number }>();
  spec.merges.forEach(([l, r], rank) => merges.set(pairKey(l, r), { rank, id: ids.get(spec.vocab[l]! + spec.vocab[r]!)! }));
  const byteIds = Int32Array.from({ length: 256 }, (_, b) => ids.get(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`) ?? -1);
  return { spec, ids, merges, byteIds, unkId: spec.unkToken === null ? -1 : ids.get(spec.unkToken) ?? -1 };
}

/** Tokens of one word: ids and each token's units `[start, end)` in the word. */
export interface WordTokens { readonly ids: Int32Array; readonly starts: Int32Array; readonly ends: Int32Array }

/**
 * The crate's `BPE::tokenize` of one pre-tokenized word: with `ignore_merges`, a word that is a token is that
 * token; otherwise each character is its token, or its UTF-8 bytes' `<0xXX>` tokens (byte fallback), or the unk
 * token (consecutive ones fused with `fuse_unk`; without one the character is dropped); then merges, lowest rank first, leftmost on ties.
 */
export function tokenizeWord(t: BpeTables, word: string): WordTokens {
  if (t.spec.ignoreMerges) {
    const id = t.ids.get(word);
    if (id !== undefined) return { ids: Int32Array.of(id), starts: Int32Array.of(0), ends: Int32Array.of(word.length) };
  }
  const ids: number[] = [], starts: number[] = [], ends: number[] = [];
  let unk: { start: number; end: number } | undefined;
  const flushUnk = () => { if (unk) { ids.push(t.unkId); starts.push(unk.start); ends.push(unk.end); unk = undefined; } };
  for (let i = 0; i < word.length;) {
    const units = word.codePointAt(i)! > 0xffff ? 2 : 1;
    const ch = word.slice(i, i + units);
    const id = t.ids.get(ch);
    if (id !== undefined) {
      flushUnk();
      ids.push(id); starts.push(i); ends.push(i + units);
    } else {
      const bytes = t.spec.byteFallback ? Array.from(utf8Encode(ch), (b) => t.byteIds[b]!) : [];
      if (bytes.length > 0 && bytes.every((b) => b >= 0)) {
        // each byte token covers the whole character (what its bytes align to); a pending unk is not flushed
        for (const b of bytes) { ids.push(b); starts.push(i); ends.push(i + units); }
      } else if (t.unkId >= 0) {
        if (unk && t.spec.fuseUnk) unk.end = i + units;
        else { flushUnk(); unk = { start: i, end: i + units }; }
      } // else the crate drops the character
    }
    i += units;
  }
  flushUnk();
  return mergeSymbols(t, ids, starts, ends);
}

/** Applies the merges over a symbol sequence with a linked list and a heap keyed by (rank, position). */
function mergeSymbols(t: BpeTables, id0: number[], start0: number[], end0: number[]): WordTokens {
  const n = id0.length;
  const id = Int32Array.from(id0), start = Int32Array.from(start0), end = Int32Array.from(end0);
  const next = Int32Array.from({ length: n }, (_, i) => (i + 1 < n ? i + 1 : -1));
  const prev = Int32Array.from({ length: n }, (_, i) => i - 1);
  const alive = new Uint8Array(n).fill(1);
  const stride = n + 1;
  const heap = new Heap<number>((a, b) => a < b);
  const consider = (p: number): void => {
    if (p < 0 || next[p]! < 0) return;
    const m = t.merges.get(pairKey(id[p]!, id[next[p]!]!));
    if (m !== undefined) heap.push(m.rank * stride + p);
  };
  for (let p = 0; p + 1 < n; p++) consider(p);
  for (let key = heap.pop(); key !== undefined; key = heap.pop()) {
    const p = key % stride;
    const q = next[p]!;
    if (!alive[p] || q < 0) continue;
    const m = t.merges.get(pairKey(id[p]!, id[q]!));
    if (m === undefined || m.rank !== (key - p) / stride) continue; // stale entry
    id[p] = m.id;
    end[p] = Math.max(end[p]!, end[q]!);
    start[p] = Math.min(start[p]!, start[q]!);
    alive[q] = 0;
    next[p] = next[q]!;
    if (next[q]! >= 0) prev[next[q]!] = p;
    consider(prev[p]!);
    consider(p);
  }
  const ids: number[] = [], starts: number[] = [], ends: number[] = [];
  for (let p = n > 0 ? 0 : -1; p >= 0; p = next[p]!) { ids.push(id[p]!); starts.push(start[p]!); ends.push(end[p]!); }
  return { ids: Int32Array.from(ids), starts: Int32Array.from(starts), ends: Int32Array.from(ends) };
}
