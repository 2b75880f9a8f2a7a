import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  type Backend, type Primitive, type Shape, type Tensor, abs, add, applyRope, arange, bind, hasKernel, broadcastTo, cast, dotProductAttention, concat, cos, div, eq, exp, fromArray,
  gather, ge, gt, le, log, lt, matmul, max, maximum, minimum, mul, ne, neg, pad, permute, pow, reciprocal, reshape, rsqrt,
  scatterAdd, sigmoid, sign, sin, slice, sqrt, sub, sum, tanh, where,
} from '@safekey-ts/core';
import { gradcheck } from '@safekey-ts/autograd';
import { type Data, type ValueOpts, broadcastShapesArb, dataArb, dimsArb, distinctDataArb, indicesArb, shapeArb, t64 } from './arbitraries.js';

/** A function to differentiate and the float64 inputs it is differentiated at. */
interface Case { readonly inputs: Data[]; readonly f: (...xs: Tensor[]) => Tensor; readonly eps?: number; readonly tol?: number }

const TOL = 1e-6;
const ints = (shape: Shape, idx: number[]) => fromArray(Int32Array.from(idx), shape, 'int32');
const bools = (shape: Shape, b: boolean[]) => fromArray(Uint8Array.from(b, Number), shape, 'bool');

const unary = (f: (x: Tensor) => Tensor, o?: ValueOpts): fc.Arbitrary<Case> =>
  shapeArb().chain((s) => dataArb(s, o)).map((d) => ({ inputs: [d], f }));

const binary = (f: (a: Tensor, b: Tensor) => Tensor, oa?: ValueOpts, ob?: ValueOpts): fc.Arbitrary<Case> =>
  broadcastShapesArb(2).chain(([sa, sb]) => fc.tuple(dataArb(sa, oa), dataArb(sb, ob))).map(([a, b]) => ({ inputs: [a, b], f }));

/** a on integers, b on half-integers: never tied, so max/min/comparisons are differentiable. */
const untied = (f: (a: Tensor, b: Tensor) => Tensor): fc.Arbitrary<Case> =>
  broadcastShapesArb(2).chain(([sa, sb]) => fc.tuple(
    indicesArb(sa, 7).map((v) => ({ shape: [...sa], values: v.map((x) => x - 3) })),
    indicesArb(sb, 7).map((v) => ({ shape: [...sb], values: v.map((x) => x - 3.5) })),
  )).map(([a, b]) => ({ inputs: [a, b], f }));

const comparison = (cmp: (a: Tensor, b: Tensor) => Tensor) =>
  untied((a, b) => add(mul(cast(cmp(a, b), 'float64'), b), a));

/**
 * Attention over random sizes: batch 2, grouped heads (kh key/value heads, rep query heads each), k and v shared
 * across the batch when `shared`, a random per-head mask (rows with nothing allowed included) and scale;
 * `make` picks the differentiated inputs.
 */
function attentionCase(make: (q: Data, k: Data, v: Data, mask: Tensor<Shape, 'bool'>, scale: number, g: Data) =>
  [Data[], (...xs: Tensor[]) => Tensor]): fc.Arbitrary<Case> {
  return fc.tuple(dimsArb(4, 3), dimsArb(2, 2), fc.boolean(), fc.double({ min: 0.3, max: 1.5, noNaN: true })).chain(([[t, s, d, dv], [kh, rep], shared, scale]) => {
    const n = kh * rep, kb = shared ? 1 : 2;
    return fc.tuple(dataArb([2, t, n, d]), dataArb([kb, s, kh, d]), dataArb([kb, s, kh, dv]), fc.array(fc.boolean(), { minLength: 2 * n * t * s, maxLength: 2 * n * t * s }),
      dataArb([2, t, n, dv])).map(([q, k, v, m, g]) => {
      const [inputs, f] = make(q, k, v, bools([2, n, t, s], m), scale, g);
      return { inputs, f };
    });
  });
}

const axesArb = (rank: number) => fc.subarray([...Array(rank).keys()], { minLength: 1 });

const cases: { readonly [P in Primitive]: fc.Arbitrary<Case> } = {
  exp: unary(exp),
  log: unary(log, { min: 0.2, max: 3 }),
  sqrt: unary(sqrt, { min: 0.2, max: 3 }),
  rsqrt: unary(rsqrt, { min: 0.2, max: 3 }),
  sin: unary(sin),
  cos: unary(cos),
  tanh: unary(tanh),
  sigmoid: unary(sigmoid),
  reciprocal: unary(reciprocal, { awayFromZero: 0.3 }),
  neg: unary(neg),
  abs: unary(abs, { awayFromZero: 0.1 }),
  sign: unary((x) => mul(sign(x), x), { awayFromZero: 0.1 }),
  add: binary(add),
  sub: binary(sub),
  mul: binary(mul),
  div: binary(div, {}, { awayFromZero: 0.4 }),
  pow: binary(pow, { min: 0.3, max: 2 }, { min: -2, max: 2 }),
  maximum: untied(maximum),
  minimum: untied(minimum),
  eq: comparison(eq), ne: comparison(ne), lt: comparison(lt), le: comparison(le), gt: comparison(gt), ge: comparison(ge),
  where: broadcastShapesArb(3).chain(([sc, sa, sb]) => fc.tuple(
    fc.array(fc.boolean(), { minLength: sc.reduce((p, d) => p * d, 1), maxLength: sc.reduce((p, d) => p * d, 1) }),
    dataArb(sa), dataArb(sb),
  ).map(([c, a, b]) => ({ inputs: [a, b], f: (x: Tensor, y: Tensor) => where(bools(sc, c), x, y) }))),
  cast: fc.oneof(
    unary((x) => cast(cast(x, 'float32'), 'float64')).map((c) => ({ ...c, eps: 1e-2, tol: 1e-3 })),
    unary((x) => add(x, cast(cast(mul(x, 0), 'int32'), 'float64'))),
  ),
  reduceSum: shapeArb(1).chain((s) => fc.tuple(dataArb(s), axesArb(s.length), fc.boolean()))
    .map(([d, axes, keep]) => ({ inputs: [d], f: (x: Tensor) => sum(x, axes, keep) })),
  reduceMax: shapeArb(1).chain((s) => fc.tuple(distinctDataArb(s), axesArb(s.length), fc.boolean()))
    .map(([d, axes, keep]) => ({ inputs: [d], f: (x: Tensor) => max(x, axes, keep) })),
  matmul: fc.tuple(broadcastShapesArb(2), dimsArb(3), fc.boolean(), fc.boolean()).chain(([[ba, bb], [m, k, n], ta, tb]) => {
    const sa = [...ba, ...(ta ? [k, m] : [m, k])], sb = [...bb, ...(tb ? [n, k] : [k, n])];
    return fc.tuple(dataArb(sa), dataArb(sb)).map(([a, b]) => ({ inputs: [a, b], f: (x: Tensor, y: Tensor) => matmul(x, y, { transA: ta, transB: tb }) }));
  }),
  reshape: shapeArb().chain((s) => dataArb(s)).map((d) => ({ inputs: [d], f: (x: Tensor) => reshape(x, [...d.shape].reverse()) })),
  permute: shapeArb().chain((s) => fc.tuple(dataArb(s), fc.shuffledSubarray([...s.keys()], { minLength: s.length, maxLength: s.length })))
    .map(([d, perm]) => ({ inputs: [d], f: (x: Tensor) => permute(x, perm) })),
  broadcastTo: broadcastShapesArb(1).chain(([s]) => fc.tuple(dataArb(s), dimsArb(s.length), fc.integer({ min: 0, max: 2 })))
    .map(([d, big, lead]) => {
      const target = [...Array(lead).fill(2), ...d.shape.map((x, i) => (x === 1 ? big[i] : x))];
      return { inputs: [d], f: (x: Tensor) => broadcastTo(x, target) };
    }),
  slice: shapeArb(1).chain((s) => fc.tuple(dataArb(s), fc.tuple(...s.map((dd) => fc.tuple(fc.nat(dd), fc.nat(dd))))))
    .map(([d, bounds]) => {
      const lo = bounds.map(([a, b]) => Math.min(a, b)), hi = bounds.map(([a, b]) => Math.max(a, b));
      return { inputs: [d], f: (x: Tensor) => slice(x, lo, hi) };
    }),
  pad: shapeArb(1).chain((s) => fc.tuple(dataArb(s), fc.array(fc.tuple(fc.nat(2), fc.nat(2)), { minLength: s.length, maxLength: s.length }), fc.double({ min: -1, max: 1, noNaN: true })))
    .map(([d, widths, value]) => ({ inputs: [d], f: (x: Tensor) => pad(x, widths, value) })),
  concat: shapeArb(1).chain((s) => fc.tuple(fc.nat(s.length - 1), dimsArb(3)).chain(([axis, sizes]) =>
    fc.tuple(...sizes.map((n) => dataArb(s.map((dd, i) => (i === axis ? n : dd)))))
      .map((ds) => ({ inputs: ds, f: (...xs: Tensor[]) => concat(xs, axis) })))),
  gather: shapeArb(2).chain((s) => fc.tuple(dataArb(s), fc.nat(s.length - 1), fc.integer({ min: 0, max: 1 }), dimsArb(2)))
    .chain(([d, axis0, batch, extra]) => {
      const batchDims = Math.min(batch, axis0), axis = Math.max(axis0, batchDims);
      const idxShape = [...d.shape.slice(0, batchDims), ...extra.slice(0, 1 + (axis0 % 2))];
      return indicesArb(idxShape, d.shape[axis]).map((idx) => ({ inputs: [d], f: (x: Tensor) => gather(x, ints(idxShape, idx), axis, batchDims) }));
    }),
  scatterAdd: fc.tuple(dimsArb(2), fc.integer({ min: 1, max: 4 }), dimsArb(1)).chain(([[rows, cols], size, [m]]) =>
    fc.tuple(indicesArb([rows, m], size), dataArb([rows, m, cols])).map(([idx, u]) => ({
      inputs: [u], f: (x: Tensor) => scatterAdd(x, ints([rows, m], idx), size, 1, 1),
    }))),
  iota: fc.integer({ min: 1, max: 5 }).chain((n) => dataArb([n])).map((d) => ({
    inputs: [d], f: (x: Tensor) => mul(x, cast(arange(d.shape[0]), 'float64')),
  })),
  // tables of full, length-1 and missing leading dims, and a last dim of 1 (broadcast over the halves)
  rope: fc.tuple(dimsArb(2, 3), fc.integer({ min: 1, max: 3 }), fc.boolean()).chain(([[b, t], h, narrowTables]) => {
    const xs = [b, t, 2 * h], ts = narrowTables ? [t, 1] : [1, t, 2 * h];
    return fc.tuple(dataArb(xs), dataArb(ts), dataArb(ts)).map(([x, c, s]) => ({ inputs: [x, c, s], f: (a: Tensor, cc: Tensor, ss: Tensor) => applyRope(a, { cos: cc, sin: ss }) }));
  }),
  attention: attentionCase((q, k, v, mask, scale) => [[q, k, v], (a, b, c) => dotProductAttention(a, b, c, mask, scale)]),
  attentionGrad: attentionCase((q, k, v, mask, scale, g) => [[q, k, v, g],
    (a, b, c, d) => bind('attentionGrad', [a, b, c, mask, d], { scale })]),
};

/** Every primitive: reverse-mode gradients against central differences in float64, on `backend` (the default backend while it runs). */
export function primitiveGradSuite(backend: Backend): void {
  describe('every primitive: reverse-mode gradient equals central differences (float64)', () => {
    for (const prim of Object.keys(cases) as Primitive[]) {
      // attentionGrad is bound only where the attention kernel is (elsewhere attention is a composition)
      const skip = prim === 'attentionGrad' && !hasKernel(backend, prim) ? `${backend.name} has no attention kernel` : false;
      test(prim, { skip }, () => {
        fc.assert(fc.property(cases[prim], (c) => {
          const { errors } = gradcheck(c.f, c.inputs.map(t64), c.eps !== undefined ? { eps: c.eps } : {});
          errors.forEach((e, i) => assert.ok(e < (c.tol ?? TOL), `${prim}: input ${i} shape [${c.inputs[i].shape}] error ${e}`));
        }), { numRuns: 100 });
      });
    }
  });
}
