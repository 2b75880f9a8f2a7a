// Views with bounds (pads, the parts of a concat) against an independent reading: each element's value
// computed from the stored array by walking the ops' index maps back, and the boxes a plain-loop backend runs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  type Expr, type View, broadcastView, boundsOf, contiguousView, padView, paddedPieces, permuteView, sliceView,
} from '@safekey-ts/core';

type Op =
  | { kind: 'pad'; before: number[]; after: number[]; value: number }
  | { kind: 'slice'; starts: number[]; ends: number[] }
  | { kind: 'permute'; perm: number[] }
  | { kind: 'broadcast'; lead: number; expand: boolean };

/** A chain of ops (all pads with one fill, as one view holds one) from random draws over `shape`. */
function chainOf(shape: number[], draws: number[][], fill: number): { ops: Op[]; shapes: number[][] } {
  const ops: Op[] = [], shapes = [shape];
  let s = shape;
  for (const d of draws) {
    const r = s.length, pick = (k: number) => d[k % d.length];
    let op: Op;
    switch (pick(0) % 4) {
      case 0: op = { kind: 'pad', before: s.map((_, a) => pick(a + 1) % 3), after: s.map((_, a) => pick(a + 2) % 2), value: fill }; break;
      case 1: {
        const starts = s.map((n, a) => (n === 0 ? 0 : pick(a + 1) % n));
        op = { kind: 'slice', starts, ends: s.map((n, a) => starts[a] + (n === 0 ? 0 : pick(a + 3) % (n - starts[a] + 1))) };
        break;
      }
      case 2: op = { kind: 'permute', perm: Array.from({ length: r }, (_, a) => (a + pick(1)) % r) }; break;
      default: op = { kind: 'broadcast', lead: 1 + (pick(1) % 2), expand: pick(2) % 2 === 1 };
    }
    ops.push(op);
    s = op.kind === 'pad' ? s.map((n, a) => op.before[a] + n + op.after[a])
      : op.kind === 'slice' ? op.ends.map((e, a) => e - op.starts[a])
      : op.kind === 'permute' ? op.perm.map((p) => s[p]) : [op.lead, ...s.map((n) => (op.expand && n === 1 ? 2 : n))];
    shapes.push(s);
  }
  return { ops, shapes };
}

function viewAfter(shape: number[], ops: readonly Op[]): View {
  let v = contiguousView(shape);
  for (const op of ops) {
    v = op.kind === 'pad' ? padView(v, op.before, op.after, op.value)!
      : op.kind === 'slice' ? sliceView(v, op.starts, op.ends)
      : op.kind === 'permute' ? permuteView(v, op.perm) : broadcastView(v, [op.lead, ...v.shape.map((n) => (op.expand && n === 1 ? 2 : n))]);
  }
  return v;
}

/** The stored element an index of the last shape reads, or null for the fill: the ops' index maps, backwards. */
function source(idx: number[], ops: readonly Op[], shapes: readonly number[][]): number[] | null {
  let i = idx;
  for (let k = ops.length - 1; k >= 0; k--) {
    const op = ops[k];
    if (op.kind === 'pad') {
      i = i.map((x, a) => x - op.before[a]);
      if (i.some((x, a) => x < 0 || x >= shapes[k][a])) return null;
    } else if (op.kind === 'slice') i = i.map((x, a) => x + op.starts[a]);
    else if (op.kind === 'permute') { const back = new Array<number>(i.length); op.perm.forEach((p, a) => { back[p] = i[a]; }); i = back; }
    else i = i.slice(1).map((x, a) => (shapes[k][a] === 1 ? 0 : x)); // a repeated axis of length 1 reads its one index
  }
  return i;
}

const indices = (shape: readonly number[]): number[][] =>
  shape.reduce<number[][]>((acc, n) => acc.flatMap((p) => Array.from({ length: n }, (_, x) => [...p, x])), [[]]);

const chainArb = fc.record({
  shape: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 3 }),
  draws: fc.array(fc.array(fc.nat(7), { minLength: 4, maxLength: 4 }), { minLength: 1, maxLength: 5 }),
  fill: fc.constantFrom(0, -0, -1.5, Number.NaN),
});

test('a view through pads, slices, permutes and broadcasts reads what the ops would give, fill outside its bounds', () => {
  fc.assert(fc.property(chainArb, ({ shape, draws, fill }) => {
    const { ops, shapes } = chainOf(shape, draws, fill);
    const v = viewAfter(shape, ops), last = shapes[shapes.length - 1];
    assert.deepEqual(v.shape, last);
    const bounds = boundsOf(v), st = shape.map((_, a) => shape.slice(a + 1).reduce((p, n) => p * n, 1));
    for (const idx of indices(last)) {
      const src = source(idx, ops, shapes);
      const inside = idx.every((x, a) => x >= bounds[a][0] && x < bounds[a][1]);
      assert.equal(inside, src !== null, `${JSON.stringify(ops)} at ${idx}`);
      if (src) assert.equal(v.offset + idx.reduce((o, x, a) => o + x * v.strides[a], 0), src.reduce((o, x, a) => o + x * st[a], 0));
      else assert.ok(Object.is(v.fill, fill), `fill ${v.fill}`);
    }
  }), { numRuns: 300 });
});

test('paddedPieces cut the output into boxes, each read all stored or all fill, covering every element once', () => {
  const arb = fc.tuple(chainArb, chainArb).filter(([a, b]) => a.shape.length === b.shape.length);
  fc.assert(fc.property(arb, ([a, b]) => {
    const va = viewAfter(a.shape, chainOf(a.shape, a.draws, 1).ops), vb = viewAfter(b.shape, chainOf(b.shape, b.draws, 2).ops);
    // the kernel's output: both views broadcast to it where they can be, else the first view's shape
    let out: number[];
    try { out = broadcastShape(va.shape, vb.shape); } catch { return; }
    const leaf = (index: number): Expr => ({ op: 'input', index, dtype: 'float32' });
    const kernel = { inputs: [{ shape: a.shape, dtype: 'float32' as const }, { shape: b.shape, dtype: 'float32' as const }], views: [va, vb],
      out: { shape: out, dtype: 'float32' as const }, expr: { op: 'add', args: [leaf(0), leaf(1)], dtype: 'float32' } as Expr };
    const pieces = paddedPieces(kernel);
    if (!va.bounds && !vb.bounds) { assert.equal(pieces, null); return; }
    const seen = new Map<string, number>();
    for (const p of pieces!) {
      const boxIdx = indices(p.shape).map((i) => i.map((x, d) => x + p.lo[d]));
      boxIdx.forEach((i) => seen.set(i.join(','), (seen.get(i.join(',')) ?? 0) + 1));
      [va, vb].forEach((v, j) => {
        const bo = boundsOf(broadcastView(v, out));
        const ins = boxIdx.map((i) => i.every((x, d) => x >= bo[d][0] && x < bo[d][1]));
        assert.ok(ins.every((x) => x === ins[0]), `input ${j} mixed in box ${p.lo} ${p.shape}`);
        const reads = p.inputs.includes(j);
        if (boxIdx.length > 0) assert.equal(reads, ins[0], `input ${j} read ${reads}, in bounds ${ins[0]}`);
      });
    }
    assert.equal(seen.size, indices(out).length);
    assert.ok([...seen.values()].every((c) => c === 1));
  }), { numRuns: 300 });
});

function broadcastShape(x: readonly number[], y: readonly number[]): number[] {
  const r = Math.max(x.length, y.length), px = [...new Array(r - x.length).fill(1), ...x], py = [...new Array(r - y.length).fill(1), ...y];
  return px.map((n, a) => {
    if (n === py[a] || py[a] === 1) return n;
    if (n === 1) return py[a];
    throw new Error('no broadcast');
  });
}
