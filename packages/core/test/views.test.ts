// Views with bounds (pads, the parts of a concat) against an independent reading: each element's value
// computed from the stored array by walking the ops' index maps back, and the boxes a plain-loop backend runs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  type Expr, type View, broadcastView, boundsOf, contiguousView, gatherViews, gatheredValues, padView, paddedPieces, permuteView, sliceView,
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

/** The values a view reads (no bounds), row-major over its shape: the plain walk of its offsets. */
const readView = (data: ArrayLike<number>, v: View): number[] =>
  indices(v.shape).map((i) => data[v.offset + i.reduce((o, x, a) => o + x * v.strides[a], 0)]);

test('gatherViews and gatheredValues read x[b, p, indices[b, q], s] through permuted and sliced views of x and the indices', () => {
  const arb = fc.record({
    xShape: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 }),
    rest: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 0, maxLength: 2 }),
    draws: fc.array(fc.nat(1000), { minLength: 12, maxLength: 12 }),
  });
  fc.assert(fc.property(arb, ({ xShape, rest, draws }) => {
    const rank = xShape.length, pick = (k: number) => draws[k % draws.length];
    // x stored larger on every axis, read through a slice and a permute whose result has shape xShape
    const stored = xShape.map(() => Math.max(...xShape) + 1);
    const starts = stored.map((_, a) => pick(a) % 2), perm = Array.from({ length: rank }, (_, a) => (a + pick(3)) % rank);
    const inv = new Array<number>(rank); perm.forEach((p, a) => { inv[p] = a; });
    const xv = permuteView(sliceView(contiguousView(stored), starts, starts.map((s0, a) => s0 + xShape[inv[a]])), perm);
    const xData = Array.from({ length: stored.reduce((p, n) => p * n, 1) }, (_, i) => i * 10 + 1);
    const axis = pick(4) % rank, batchDims = pick(5) % (axis + 1);
    const size = xv.shape[axis];
    // the indices [...x's batch dims, ...rest], stored with two more on the last axis and read through a slice of it
    const iShape = [...xv.shape.slice(0, batchDims), ...rest];
    const iStored = iShape.map((n, a) => (a === iShape.length - 1 ? n + 2 : n));
    const iv = iShape.length === 0 ? contiguousView([]) : sliceView(contiguousView(iStored), iStored.map((_, a) => (a === iShape.length - 1 ? 1 : 0)), iStored.map((n, a) => (a === iShape.length - 1 ? n - 1 : n)));
    const iData = Array.from({ length: iStored.reduce((p, n) => p * n, 1) }, (_, i) => (i * 7 + pick(6)) % size);
    const g = gatherViews(xv, iv, axis, batchDims);
    const got = Array.from(gatheredValues(g, Float32Array.from(xData), Int32Array.from(iData), 'float32'));
    // the definition, on the values the views read
    const xs = readView(xData, xv), is = readView(iData, iv);
    const xIdx = indices(xv.shape), iIdx = indices(iv.shape);
    const at = <T>(vals: T[], idxs: number[][], want: number[]) => vals[idxs.findIndex((i) => i.every((x, a) => x === want[a]))];
    const outShape = [...xv.shape.slice(0, axis), ...rest, ...xv.shape.slice(axis + 1)];
    assert.deepEqual(g.x.shape, outShape);
    const want = indices(outShape).map((o) => {
      const j = at(is, iIdx, [...o.slice(0, batchDims), ...o.slice(axis, axis + rest.length)]);
      return at(xs, xIdx, [...o.slice(0, axis), j, ...o.slice(axis + rest.length)]);
    });
    assert.deepEqual(got, want, JSON.stringify({ xShape, rest, axis, batchDims, perm, starts }));
  }), { numRuns: 300 });
});
