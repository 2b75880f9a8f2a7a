/** A candidate merge: a pair of token ids and the count it had when pushed. */
export interface PairEntry {
  readonly count: number;
  readonly left: number;
  readonly right: number;
}

/** Training's fixed order: higher count first; on equal counts the smaller left id, then the smaller right id. */
export const before = (a: PairEntry, b: PairEntry): boolean =>
  a.count !== b.count ? a.count > b.count : a.left !== b.left ? a.left < b.left : a.right < b.right;

/** A binary max-heap of pair entries in the `before` order. */
export class PairHeap {
  private readonly items: PairEntry[] = [];

  get size(): number { return this.items.length; }

  push(entry: PairEntry): void {
    const a = this.items;
    a.push(entry);
    let i = a.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(a[i]!, a[parent]!)) break;
      [a[i], a[parent]] = [a[parent]!, a[i]!];
      i = parent;
    }
  }

  pop(): PairEntry | undefined {
    const a = this.items;
    if (a.length === 0) return undefined;
    const top = a[0]!;
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && before(a[l]!, a[m]!)) m = l;
        if (r < a.length && before(a[r]!, a[m]!)) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m]!, a[i]!];
        i = m;
      }
    }
    return top;
  }
}
