import { Heap } from './heap.js';
import { pairKey, type Tokenizer } from './tokenizer.js';

/**
 * Applies the merges to a byte sequence: repeatedly merge the adjacent pair with the lowest merge rank, the
 * leftmost one on ties, until no adjacent pair has a merge (the order `@huggingface/tokenizers` uses). Symbols
 * form a linked list and candidate pairs sit in a heap keyed by (rank, position of the left symbol), so a word of
 * n bytes takes O(n log n). Returns the token ids and, per token, the end of its bytes.
 */
export function applyMerges(tok: Tokenizer, bytes: Uint8Array): { ids: number[]; byteEnds: number[] } {
  const n = bytes.length;
  const id = Int32Array.from(bytes, (b) => tok.byteToId[b]!);
  const next = Int32Array.from({ length: n }, (_, i) => (i + 1 < n ? i + 1 : -1));
  const prev = Int32Array.from({ length: n }, (_, i) => i - 1);
  const alive = new Uint8Array(n).fill(1);
  const heap = new Heap<number>((a, b) => a < b);
  const stride = n + 1;
  const consider = (p: number): void => {
    if (p < 0 || next[p]! < 0) return;
    const q = next[p]!;
    const m = tok.mergeTable.get(pairKey(id[p]!, id[q]!));
    if (m !== undefined) heap.push(m.rank * stride + p);
  };
  for (let p = 0; p + 1 < n; p++) consider(p);
  for (let key = heap.pop(); key !== undefined; key = heap.pop()) {
    const p = key % stride;
    const rank = (key - p) / stride;
    const q = next[p]!;
    // Stale entry: the left symbol was absorbed, or either side has changed since the pair was queued.
    if (!alive[p] || q < 0) continue;
    const m = tok.mergeTable.get(pairKey(id[p]!, id[q]!));
    if (m === undefined || m.rank !== rank) continue;
    id[p] = m.id;
    alive[q] = 0;
    next[p] = next[q]!;
    if (next[q]! >= 0) prev[next[q]!] = p;
    consider(prev[p]!);
    consider(p);
  }
  const ids: number[] = [];
  const byteEnds: number[] = [];
  for (let p = n > 0 ? 0 : -1; p >= 0; p = next[p]!) {
    ids.push(id[p]!);
    byteEnds.push(next[p]! >= 0 ? next[p]! : n);
  }
  return { ids, byteEnds };
}
