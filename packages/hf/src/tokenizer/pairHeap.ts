import { Heap } from './heap.js';

/** A candidate merge: a pair of token ids and the count it had when pushed. */
export interface PairEntry {
  readonly count: number;
  readonly left: number;
  readonly right: number;
}

/** Training's fixed order: higher count first; on equal counts the smaller left id, then the smaller right id. */
export const before = (a: PairEntry, b: PairEntry): boolean =>
  a.count !== b.count ? a.count > b.count : a.left !== b.left ? a.left < b.left : a.right < b.right;

/** Candidate merges, best first in the `before` order. */
export const pairHeap = (): Heap<PairEntry> => new Heap(before);
