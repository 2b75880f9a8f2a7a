// fast-check properties over random shapes (rank 0..3, dims 1..4) and values. The expected side is computed
// here with plain loops and the index calculus of arbitraries.ts.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import * as ew from '../ops/elementwise.js';
import { gather, scatterAdd } from '../ops/indexing.js';
import { matmul } from '../ops/linalg.js';
import { broadcastTo, concat, permute, reshape, slice, split, transpose } from '../ops/movement.js';
import { max, sum } from '../ops/reduce.js';
import { hasKernel } from '../backend.js';
import { attentionWeights, dotProductAttention } from '../nn/attention.js';
import { applyRope } from '../nn/rope.js';
import { logsumexp, softmax } from '../nn/softmax.js';
import { tidy } from '../scope.js';
import { type Tensor } from '../tensor.js';
import { bind } from '../bind.js';
import {
  type Sample, broadcastAll, broadcastRead, broadcastSamplesArb, broadcastableTo, f32Arb, fromValues, gridArb, numel,
  permArb, ravel, sampleArb, shapeArb, unravel, valuesArb,
} from './arbitraries.js';
import { assertClose, expectFlat } from './assert.js';
import type { SuiteContext } from './context.js';

const U32 = 2 ** -24; // float32 unit roundoff

const t = (s: Sample): Tensor => fromValues(s.data, s.shape);
const read = (x: Tensor): number[] => Array.from(x.dataSync() as ArrayLike<number>);

/** Element-wise reference over the broadcast of the inputs, by explicit index mapping. */
function broadcastRef(inputs: readonly Sample[], f: (...xs: number[]) => number): Sample {
  const shape = broadcastAll(inputs.map((s) => s.shape));
  assert.ok(shape !== null);
  const data = Array.from({ length: numel(shape) }, (_, flat) => {
    const idx = unravel(flat, shape);
    return f(...inputs.map((s) => broadcastRead(s.data, s.shape, idx)));
  });
  return { shape, data };
}

/** Reduction reference: visits every element and folds it into its output cell. */
function reduceRef(x: Sample, axes: readonly number[], keep: boolean, init: number, step: (acc: number, v: number) => number) {
  const kept = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const data = new Array<number>(numel(kept)).fill(init);
  const absSum = new Array<number>(numel(kept)).fill(0);
  for (let flat = 0; flat < x.data.length; flat++) {
    const o = ravel(unravel(flat, x.shape).map((v, i) => (axes.includes(i) ? 0 : v)), kept);
    data[o] = step(data[o], x.data[flat]);
    absSum[o] += Math.abs(x.data[flat]);
  }
  return { shape: keep ? kept : x.shape.filter((_, i) => !axes.includes(i)), data, absSum };
}

/** Asserts `|actual - expected| <= bound[i]` element-wise (bounds from an error analysis). */
function assertWithin(actual: readonly number[], expected: readonly number[], bound: readonly number[], what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++)
    assert.ok(Math.abs(actual[i] - expected[i]) <= bound[i], `${what}: at ${i} got ${actual[i]}, expected ${expected[i]} +- ${bound[i]}`);
}

interface BinaryCase { readonly name: string; readonly op: (a: Tensor, b: Tensor) => Tensor; readonly ref: (a: number, b: number) => number; readonly bool?: boolean }
const binaryCases: readonly BinaryCase[] = [
  { name: 'add', op: ew.add, ref: (a, b) => a + b },
  { name: 'sub', op: ew.sub, ref: (a, b) => a - b },
  { name: 'mul', op: ew.mul, ref: (a, b) => a * b },
  { name: 'div', op: ew.div, ref: (a, b) => a / b },
  { name: 'maximum', op: ew.maximum, ref: (a, b) => (a > b ? a : b) },
  { name: 'minimum', op: ew.minimum, ref: (a, b) => (a < b ? a : b) },
  { name: 'eq', op: ew.eq, ref: (a, b) => +(a === b), bool: true },
  { name: 'lt', op: ew.lt, ref: (a, b) => +(a < b), bool: true },
  { name: 'ge', op: ew.ge, ref: (a, b) => +(a >= b), bool: true },
];

/** A random subset of the axes of `rank`, each written either non-negative or negative. */
const axesArb = (rank: number): fc.Arbitrary<number[]> =>
  fc.subarray(Array.from({ length: rank }, (_, i) => i)).chain((axes) =>
    fc.array(fc.boolean(), { minLength: axes.length, maxLength: axes.length }).map((neg) => axes.map((a, i) => (neg[i] ? a - rank : a))));

export function propertySuite(c: SuiteContext): void {
  const property = <A>(name: string, arb: fc.Arbitrary<A>, body: (v: A) => void): void => {
    test(name, () => { fc.assert(fc.property(arb, (v) => { tidy(() => body(v)); }), { numRuns: c.numRuns }); });
  };
  const f32 = Math.fround;

  describe('properties: broadcasting', () => {
    property('binary ops match an element-wise definition over broadcast shapes',
      fc.tuple(fc.constantFrom(...binaryCases), broadcastSamplesArb(2, f32Arb(8))), ([bc, [a, b]]) => {
        const want = broadcastRef([a, b], bc.ref);
        expectFlat(bc.op(t(a), t(b)), want.shape, want.data, { tol: c.tol, dtype: bc.bool ? 'bool' : 'float32' });
      });
    property('binary ops on a grid (equal values occur) match the definition',
      fc.tuple(fc.constantFrom(...binaryCases.filter((x) => x.name !== 'div')), broadcastSamplesArb(2, gridArb)), ([bc, [a, b]]) => {
        const want = broadcastRef([a, b], bc.ref);
        expectFlat(bc.op(t(a), t(b)), want.shape, want.data, { tol: c.tol, dtype: bc.bool ? 'bool' : 'float32' });
      });
    property('where broadcasts condition and both branches', broadcastSamplesArb(3, gridArb), ([cs, a, b]) => {
      const cond = fromValues(cs.data.map((v) => +(v > 0)), cs.shape, 'bool');
      const want = broadcastRef([cs, a, b], (k, x, y) => (k > 0 ? x : y));
      expectFlat(ew.where(cond, t(a), t(b)), want.shape, want.data, { tol: 0 });
    });
    property('broadcastTo matches the index mapping',
      shapeArb().chain((out) => broadcastableTo(out).chain((s) => valuesArb(numel(s)).map((data) => ({ out, x: { shape: s, data } })))),
      ({ out, x }) => {
        const want = broadcastRef([x, { shape: out, data: new Array<number>(numel(out)).fill(0) }], (v) => v);
        expectFlat(broadcastTo(t(x), out), out, want.data, { tol: 0 });
      });
  });

  describe('properties: algebraic identities', () => {
    property('a + b = b + a and a * b = b * a', broadcastSamplesArb(2), ([a, b]) => {
      assertClose(read(ew.add(t(a), t(b))), read(ew.add(t(b), t(a))), c.tol, 'a + b vs b + a');
      assertClose(read(ew.mul(t(a), t(b))), read(ew.mul(t(b), t(a))), c.tol, 'a * b vs b * a');
    });
    property('(a * b) * c = a * (b * c) and (a + b) + c = a + (b + c) within float32 rounding', broadcastSamplesArb(3), ([a, b, cc]) => {
      const [ta, tb, tc] = [t(a), t(b), t(cc)];
      const mag = broadcastRef([a, b, cc], (x, y, z) => Math.abs(x * y * z));
      const absSum = broadcastRef([a, b, cc], (x, y, z) => Math.abs(x) + Math.abs(y) + Math.abs(z));
      const rel = 4 * U32 + 2 * c.tol;
      assertWithin(read(ew.mul(ew.mul(ta, tb), tc)), read(ew.mul(ta, ew.mul(tb, tc))), mag.data.map((m) => rel * m + 1e-37), '(ab)c vs a(bc)');
      assertWithin(read(ew.add(ew.add(ta, tb), tc)), read(ew.add(ta, ew.add(tb, tc))), absSum.data.map((m) => rel * m + 1e-37), '(a+b)+c vs a+(b+c)');
    });
    property('transpose twice is the identity; transpose swaps the last two indices', sampleArb(shapeArb(2, 3)), (x) => {
      const tx = transpose(t(x));
      const r = x.shape.length;
      const tShape = [...x.shape.slice(0, -2), x.shape[r - 1], x.shape[r - 2]];
      const want = Array.from({ length: x.data.length }, (_, flat) => {
        const o = unravel(flat, tShape);
        [o[r - 2], o[r - 1]] = [o[r - 1], o[r - 2]];
        return x.data[ravel(o, x.shape)];
      });
      expectFlat(tx, tShape, want, { tol: 0 });
      expectFlat(transpose(tx), x.shape, x.data, { tol: 0 });
    });
    property('permute matches the index mapping and the inverse permutation undoes it',
      sampleArb().chain((x) => permArb(x.shape.length).map((p) => ({ x, p }))), ({ x, p }) => {
        const outShape = p.map((i) => x.shape[i]);
        const want = Array.from({ length: x.data.length }, (_, flat) => {
          const o = unravel(flat, outShape);
          const src = new Array<number>(p.length);
          p.forEach((axis, d) => { src[axis] = o[d]; });
          return x.data[ravel(src, x.shape)];
        });
        const px = permute(t(x), p);
        expectFlat(px, outShape, want, { tol: 0 });
        const inv = new Array<number>(p.length);
        p.forEach((axis, d) => { inv[axis] = d; });
        expectFlat(permute(px, inv), x.shape, x.data, { tol: 0 });
      });
    property('reshape round trips and keeps row-major order',
      sampleArb().chain((x) => permArb(x.shape.length).map((p) => ({ x, other: p.map((i) => x.shape[i]) }))), ({ x, other }) => {
        const flat = reshape(t(x), [-1]);
        expectFlat(flat, [x.data.length], x.data, { tol: 0 });
        expectFlat(reshape(flat, x.shape), x.shape, x.data, { tol: 0 });
        expectFlat(reshape(reshape(t(x), other), x.shape), x.shape, x.data, { tol: 0 });
        expectFlat(reshape(t(x), [1, ...x.shape, 1]), [1, ...x.shape, 1], x.data, { tol: 0 });
      });
    property('concat matches the index mapping and split undoes it',
      fc.record({ base: shapeArb(1, 3), axisSeed: fc.nat(), sizes: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 3 }) })
        .filter(({ sizes }) => sizes.some((s) => s > 0))
        .chain(({ base, axisSeed, sizes }) => {
          const axis = axisSeed % base.length;
          const shapes = sizes.map((s) => base.map((d, i) => (i === axis ? s : d)));
          return fc.tuple(...shapes.map((s) => valuesArb(numel(s)).map((data): Sample => ({ shape: s, data })))).map((parts) => ({ axis, sizes, parts }));
        }),
      ({ axis, sizes, parts }) => {
        const outShape = parts[0].shape.map((d, i) => (i === axis ? sizes.reduce((a, b) => a + b, 0) : d));
        const want = Array.from({ length: numel(outShape) }, (_, flat) => {
          const o = unravel(flat, outShape);
          let k = 0, pos = o[axis];
          while (pos >= sizes[k]) pos -= sizes[k++];
          const src = [...o]; src[axis] = pos;
          return parts[k].data[ravel(src, parts[k].shape)];
        });
        const joined = concat(parts.map(t), axis);
        expectFlat(joined, outShape, want, { tol: 0 });
        const pieces = split(joined, sizes, axis);
        assert.equal(pieces.length, parts.length);
        pieces.forEach((piece, i) => expectFlat(piece, parts[i].shape, parts[i].data, { tol: 0 }));
      });
    property('slice matches the index mapping',
      sampleArb().chain((x) => fc.tuple(...x.shape.map((d) => fc.tuple(fc.integer({ min: 0, max: d }), fc.integer({ min: 0, max: d }))))
        .map((bounds) => ({ x, begin: bounds.map(([p, q]) => Math.min(p, q)), end: bounds.map(([p, q]) => Math.max(p, q)) }))),
      ({ x, begin, end }) => {
        const outShape = begin.map((b, i) => end[i] - b);
        const want = Array.from({ length: numel(outShape) }, (_, flat) => x.data[ravel(unravel(flat, outShape).map((v, i) => v + begin[i]), x.shape)]);
        expectFlat(slice(t(x), begin, end), outShape, want, { tol: 0 });
      });
  });

  describe('properties: reductions and matmul', () => {
    const reductionArb = sampleArb().chain((x) => fc.record({ x: fc.constant(x), axes: fc.option(axesArb(x.shape.length), { nil: undefined }), keep: fc.boolean() }));
    property('sum over axes equals a loop over all elements', reductionArb, ({ x, axes, keep }) => {
      const norm = (axes ?? x.shape.map((_, i) => i)).map((a) => (a < 0 ? a + x.shape.length : a));
      const want = reduceRef(x, norm, keep, 0, (acc, v) => acc + v);
      const got = sum(t(x), axes, keep);
      assert.deepEqual([...got.shape], want.shape);
      // one float32 rounding of the exact sum, plus accumulation error when the backend accumulates in float32
      assertWithin(read(got), want.data.map(f32), want.absSum.map((s) => (2 * U32 + c.tol * 8) * s + 1e-37), 'sum');
    });
    property('max over axes equals a loop over all elements', reductionArb, ({ x, axes, keep }) => {
      const norm = (axes ?? x.shape.map((_, i) => i)).map((a) => (a < 0 ? a + x.shape.length : a));
      const want = reduceRef(x, norm, keep, -Infinity, (acc, v) => (v > acc ? v : acc));
      expectFlat(max(t(x), axes, keep), want.shape, want.data, { tol: 0 });
    });
    property('matmul matches a triple loop for every transpose flag and broadcast batch dims',
      fc.record({ m: fc.integer({ min: 1, max: 3 }), k: fc.integer({ min: 1, max: 3 }), n: fc.integer({ min: 1, max: 3 }), transA: fc.boolean(), transB: fc.boolean(), batch: shapeArb(0, 2) })
        .chain((r) => fc.tuple(broadcastableTo(r.batch), broadcastableTo(r.batch)).chain(([ba, bb]) => {
          const sa = [...ba, ...(r.transA ? [r.k, r.m] : [r.m, r.k])], sb = [...bb, ...(r.transB ? [r.n, r.k] : [r.k, r.n])];
          return fc.tuple(valuesArb(numel(sa)), valuesArb(numel(sb))).map(([da, db]) => ({ ...r, a: { shape: sa, data: da }, b: { shape: sb, data: db } }));
        })),
      ({ m, k, n, transA, transB, a, b }) => {
        const batch = broadcastAll([a.shape.slice(0, -2), b.shape.slice(0, -2)])!;
        const outShape = [...batch, m, n];
        const aAt = (bi: number[], i: number, p: number) => { const ab = a.shape.slice(0, -2); const lead = bi.length - ab.length;
          return a.data[ravel([...ab.map((d, q) => (d === 1 ? 0 : bi[lead + q])), ...(transA ? [p, i] : [i, p])], a.shape)]; };
        const bAt = (bi: number[], p: number, j: number) => { const bb = b.shape.slice(0, -2); const lead = bi.length - bb.length;
          return b.data[ravel([...bb.map((d, q) => (d === 1 ? 0 : bi[lead + q])), ...(transB ? [j, p] : [p, j])], b.shape)]; };
        const want: number[] = [], bound: number[] = [];
        for (let flat = 0; flat < numel(outShape); flat++) {
          const o = unravel(flat, outShape);
          const bi = o.slice(0, -2), i = o[o.length - 2], j = o[o.length - 1];
          let s = 0, mag = 0;
          for (let p = 0; p < k; p++) { s += aAt(bi, i, p) * bAt(bi, p, j); mag += Math.abs(aAt(bi, i, p) * bAt(bi, p, j)); }
          want.push(f32(s)); bound.push((2 * U32 + c.tol * 8) * mag + 1e-37);
        }
        const got = matmul(t(a), t(b), { transA, transB });
        assert.deepEqual([...got.shape], outShape);
        assertWithin(read(got), want, bound, 'matmul');
      });
    property('gather matches the index mapping (batchDims 0 and 1); scatterAdd is its adjoint',
      fc.record({ x: sampleArb(shapeArb(1, 3), gridArb), batchDims: fc.integer({ min: 0, max: 1 }), axisSeed: fc.nat(), rest: shapeArb(0, 2) })
        .filter(({ x, batchDims }) => x.shape.length > batchDims)
        .chain(({ x, batchDims, axisSeed, rest }) => {
          const axis = batchDims + (axisSeed % (x.shape.length - batchDims));
          const idxShape = [...x.shape.slice(0, batchDims), ...rest];
          const outShape = [...x.shape.slice(0, axis), ...rest, ...x.shape.slice(axis + 1)];
          return fc.tuple(fc.array(fc.integer({ min: 0, max: x.shape[axis] - 1 }), { minLength: numel(idxShape), maxLength: numel(idxShape) }), valuesArb(numel(outShape), gridArb))
            .map(([idx, upd]) => ({ x, batchDims, axis, idx: { shape: idxShape, data: idx }, outShape, upd }));
        }),
      ({ x, batchDims, axis, idx, outShape, upd }) => {
        const r = idx.shape.length - batchDims;
        const srcOf = (o: number[]) => {
          const j = idx.data[ravel([...o.slice(0, batchDims), ...o.slice(axis, axis + r)], idx.shape)];
          return ravel([...o.slice(0, axis), j, ...o.slice(axis + r)], x.shape);
        };
        const want = Array.from({ length: numel(outShape) }, (_, flat) => x.data[srcOf(unravel(flat, outShape))]);
        const ti = fromValues(idx.data, idx.shape, 'int32');
        expectFlat(gather(t(x), ti, axis, batchDims), outShape, want, { tol: 0 });
        // <gather(x), u> = <x, scatterAdd(u)>: grid values keep both sides exact
        const scattered = new Array<number>(x.data.length).fill(0);
        for (let flat = 0; flat < upd.length; flat++) scattered[srcOf(unravel(flat, outShape))] += upd[flat];
        expectFlat(scatterAdd(fromValues(upd, outShape), ti, x.shape[axis], axis, batchDims), x.shape, scattered, { tol: c.tol });
      });
  });

  describe('properties: softmax and logsumexp', () => {
    const rowsArb = (elem: fc.Arbitrary<number>) => sampleArb(shapeArb(1, 3), elem).chain((x) => fc.nat().map((s) => ({ x, axis: s % x.shape.length })));
    property('softmax sums to 1 along its axis and is in [0, 1]', rowsArb(f32Arb(30)), ({ x, axis }) => {
      const p = softmax(t(x), axis);
      const got = read(p);
      assert.ok(got.every((v) => v >= 0 && v <= 1), 'probabilities in [0, 1]');
      const sums = reduceRef({ shape: x.shape, data: got }, [axis], false, 0, (a, v) => a + v);
      assertClose(sums.data, sums.data.map(() => 1), c.chainTol, 'softmax row sums');
    });
    property('softmax is invariant to adding a constant', fc.tuple(rowsArb(gridArb), fc.integer({ min: -1000, max: 1000 })), ([{ x, axis }, k]) => {
      // on the 1/8 grid x + k is exact in float32, so both sides see the same x - max(x)
      assertClose(read(softmax(ew.add(t(x), k), axis)), read(softmax(t(x), axis)), c.chainTol, 'softmax(x + k) vs softmax(x)');
    });
    property('logsumexp is finite and accurate at magnitudes around +-1e4',
      fc.tuple(rowsArb(f32Arb(20)), fc.constantFrom(-1e4, 0, 1e4)), ([{ x, axis }, offset]) => {
        const shifted: Sample = { shape: x.shape, data: x.data.map((v) => f32(v + offset)) };
        const got = read(logsumexp(t(shifted), axis));
        assert.ok(got.every(Number.isFinite), `finite: [${got.join(', ')}]`);
        const mx = reduceRef(shifted, [axis], false, -Infinity, (a, v) => Math.max(a, v));
        const outShape = x.shape.filter((_, i) => i !== axis);
        const sums = new Array<number>(mx.data.length).fill(0);
        for (let flat = 0; flat < shifted.data.length; flat++) {
          const idx = unravel(flat, x.shape);
          const o = ravel(idx.filter((_, i) => i !== axis), outShape);
          sums[o] += Math.exp(shifted.data[flat] - mx.data[o]);
        }
        assertClose(got, mx.data.map((m, o) => m + Math.log(sums[o])), c.chainTol, 'logsumexp');
      });
  });

  describe('properties: rope', () => {
    property('rope is x cos + rotate_half(x) sin worked out in double, over broadcast tables',
      fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }), fc.constantFrom('full', 'rows', 'last')).chain(([b, tt, h, kind]) => {
        const xs = [b, tt, 2 * h], ts = kind === 'full' ? [tt, 2 * h] : kind === 'rows' ? [1, tt, 1] : [2 * h];
        return fc.tuple(sampleArb(fc.constant(xs), f32Arb(4)), sampleArb(fc.constant(ts), f32Arb(1)), sampleArb(fc.constant(ts), f32Arb(1)));
      }), ([x, cs, sn]) => {
        const d = x.shape[2], h = d / 2;
        const expected = x.data.map((v, i) => {
          const idx = unravel(i, x.shape), j = idx[2];
          const rot = j < h ? -x.data[i + h] : x.data[i - h];
          return v * broadcastRead(cs.data, cs.shape, idx) + rot * broadcastRead(sn.data, sn.shape, idx);
        });
        assertClose(read(applyRope(t(x), { cos: t(cs), sin: t(sn) })), expected, c.chainTol, 'rope');
      });
  });

  describe('properties: attention', () => {
    property('attention, its weights and its gradient match softmax(where(mask, scale q k^T, fill)) v worked out in double',
      attentionArb, ({ b, kh, rep, shared, t: T, s: S, d, dv, scale, q, k, v, mask, maskBatch, maskHeads, g }) => {
        const n = kh * rep, kb = shared ? 1 : b, mh = maskHeads ? n : 1;
        const allowed = fromValues(mask, maskBatch ? [b, mh, T, S] : [T, S], 'bool');
        const args = [t({ shape: [b, T, n, d], data: q }), t({ shape: [kb, S, kh, d], data: k }), t({ shape: [kb, S, kh, dv], data: v }), allowed];
        const out = new Array<number>(b * T * n * dv).fill(0);
        const dq = new Array<number>(q.length).fill(0), dk = new Array<number>(k.length).fill(0), dvv = new Array<number>(v.length).fill(0);
        const weights = new Array<number>(b * n * T * S).fill(0);
        for (let bi = 0; bi < b; bi++) for (let h = 0; h < n; h++) {
          const ke = shared ? 0 : bi, kv = Math.floor(h / rep);
          const qi = (i: number, x: number) => ((bi * T + i) * n + h) * d + x, oi = (i: number, y: number) => ((bi * T + i) * n + h) * dv + y;
          const ki = (j: number, x: number) => ((ke * S + j) * kh + kv) * d + x, vi = (j: number, y: number) => ((ke * S + j) * kh + kv) * dv + y;
          const allowedAt = (i: number, j: number) => mask[maskBatch ? ((bi * mh + (maskHeads ? h : 0)) * T + i) * S + j : i * S + j];
          for (let i = 0; i < T; i++) {
            const sc = Array.from({ length: S }, (_, j) => {
              let dot = 0;
              for (let x = 0; x < d; x++) dot += q[qi(i, x)] * k[ki(j, x)];
              return allowedAt(i, j) ? scale * dot : -1e9;
            });
            const m = Math.max(...sc), ex = sc.map((x) => Math.exp(x - m)), z = ex.reduce((a, x) => a + x, 0), p = ex.map((x) => x / z);
            p.forEach((pj, j) => { weights[((bi * n + h) * T + i) * S + j] = pj; });
            const dp = p.map((_, j) => { let r = 0; for (let y = 0; y < dv; y++) r += g[oi(i, y)] * v[vi(j, y)]; return r; });
            const rs = p.reduce((a, pj, j) => a + pj * dp[j], 0);
            for (let j = 0; j < S; j++) {
              for (let y = 0; y < dv; y++) { out[oi(i, y)] += p[j] * v[vi(j, y)]; dvv[vi(j, y)] += p[j] * g[oi(i, y)]; }
              const ds = allowedAt(i, j) ? scale * p[j] * (dp[j] - rs) : 0;
              for (let x = 0; x < d; x++) { dq[qi(i, x)] += ds * k[ki(j, x)]; dk[ki(j, x)] += ds * q[qi(i, x)]; }
            }
          }
        }
        assertClose(read(dotProductAttention(args[0], args[1], args[2], allowed, scale)), out, c.chainTol, 'attention');
        assertClose(read(attentionWeights(args[0], args[1], allowed, scale)), weights, c.chainTol, 'attentionWeights [batch, heads, T, S]');
        if (!hasKernel(c.backend, 'attentionGrad')) return; // composed there, and differentiated as a composition
        const packed = bind('attentionGrad', [...args, t({ shape: [b, T, n, dv], data: g })], { scale });
        assertClose(read(packed), [...dq, ...dk, ...dvv], c.chainTol, 'attentionGrad [dq, dk, dv]');
      });
  });
}

/** Sizes (grouped heads: kh key/value heads, rep query heads each), values and a mask (rows with nothing allowed happen). */
const attentionArb = fc.record({
  b: fc.integer({ min: 1, max: 2 }), kh: fc.integer({ min: 1, max: 2 }), rep: fc.integer({ min: 1, max: 2 }), shared: fc.boolean(),
  maskBatch: fc.boolean(), maskHeads: fc.boolean(),
  t: fc.integer({ min: 1, max: 4 }), s: fc.integer({ min: 1, max: 5 }), d: fc.integer({ min: 1, max: 4 }), dv: fc.integer({ min: 1, max: 3 }),
  scale: fc.constantFrom(1, 0.5, 0.35),
}).chain((z) => {
  const n = z.kh * z.rep, kb = z.shared ? 1 : z.b, x = f32Arb(2);
  const maskSize = (z.maskBatch ? z.b * (z.maskHeads ? n : 1) : 1) * z.t * z.s;
  return fc.record({
    q: valuesArb(z.b * z.t * n * z.d, x), k: valuesArb(kb * z.s * z.kh * z.d, x), v: valuesArb(kb * z.s * z.kh * z.dv, x),
    mask: fc.array(fc.boolean(), { minLength: maskSize, maxLength: maskSize }).map((m) => m.map(Number)),
    g: valuesArb(z.b * z.t * n * z.dv, x),
  }).map((vals) => ({ ...z, ...vals }));
});
