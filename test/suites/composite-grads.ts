import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  type Tensor, applyRope, arange, bceWithLogits, causalMask, crossEntropy, embedding, expandDims, fromArray, gelu, layerNorm,
  logSoftmax, logsumexp, maskScores, mean, min, narrow, relu, reshape, rmsNorm, ropeTables, sigmoid, silu, softmax, split,
  square, squeeze, swapAxes, takeAlongAxis, tokenNll, transpose,
} from '@safekey-ts/core';
import { gradcheck } from '@safekey-ts/autograd';
import { type Data, dataArb, dimsArb, distinctDataArb, indicesArb, shapeArb, t64 } from './arbitraries.js';

interface Case { readonly inputs: Data[]; readonly f: (...xs: Tensor[]) => Tensor }

const ints = (shape: number[], v: number[]) => fromArray(Int32Array.from(v), shape, 'int32');
const bools = (shape: number[], v: boolean[]) => fromArray(Uint8Array.from(v, Number), shape, 'bool');
const onShape = (minRank: number, f: (shape: number[]) => fc.Arbitrary<Case>) => shapeArb(minRank).chain(f);
const lastAxisOp = (op: (x: Tensor) => Tensor) => onShape(1, (s) => dataArb(s, { min: -3, max: 3 }).map((d) => ({ inputs: [d], f: op })));

const cases: Record<string, fc.Arbitrary<Case>> = {
  softmax: lastAxisOp((x) => softmax(x)),
  'softmax (axis 0)': lastAxisOp((x) => softmax(x, 0)),
  logSoftmax: lastAxisOp((x) => logSoftmax(x)),
  logsumexp: lastAxisOp((x) => logsumexp(x, -1)),
  'logsumexp (keepdims, axis 0)': lastAxisOp((x) => logsumexp(x, 0, true)),
  mean: lastAxisOp((x) => mean(x, [0])),
  min: onShape(1, (s) => distinctDataArb(s).map((d) => ({ inputs: [d], f: (x) => min(x, -1) }))),
  sigmoid: lastAxisOp(sigmoid),
  silu: lastAxisOp(silu),
  gelu: lastAxisOp(gelu),
  relu: onShape(1, (s) => dataArb(s, { awayFromZero: 0.1 }).map((d) => ({ inputs: [d], f: relu }))),
  square: lastAxisOp(square),
  // away from 0: at x ~ sqrt(eps) the norm bends too sharply for finite differences
  rmsNorm: onShape(1, (s) => fc.tuple(dataArb(s, { awayFromZero: 0.1 }), dataArb([s[s.length - 1]])).map(([x, w]) => ({ inputs: [x, w], f: (a, b) => rmsNorm(a, b, 1e-5) }))),
  layerNorm: onShape(1, (s) => fc.tuple(distinctDataArb([...s.slice(0, -1), s[s.length - 1] + 1]), dataArb([s[s.length - 1] + 1]), dataArb([s[s.length - 1] + 1]))
    .map(([x, w, b]) => ({ inputs: [x, w, b], f: (a, c, d) => layerNorm(a, c, d) }))),
  'crossEntropy with mask': fc.tuple(dimsArb(2), fc.integer({ min: 2, max: 5 })).chain(([[b, t], v]) =>
    fc.tuple(dataArb([b, t, v]), indicesArb([b, t], v), fc.array(fc.boolean(), { minLength: b * t, maxLength: b * t }))
      .map(([logits, tg, m]) => ({ inputs: [logits], f: (x) => crossEntropy(x, ints([b, t], tg), bools([b, t], m)) }))),
  tokenNll: fc.tuple(dimsArb(1), fc.integer({ min: 2, max: 5 })).chain(([[n], v]) =>
    fc.tuple(dataArb([n, v]), indicesArb([n], v)).map(([logits, tg]) => ({ inputs: [logits], f: (x) => tokenNll(x, ints([n], tg)) }))),
  bceWithLogits: onShape(0, (s) => fc.tuple(dataArb(s, { min: -4, max: 4 }), fc.array(fc.constantFrom(0, 1), { minLength: s.reduce((a, b) => a * b, 1), maxLength: s.reduce((a, b) => a * b, 1) }))
    .map(([z, y]) => ({ inputs: [z], f: (x) => bceWithLogits(x, fromArray(Float64Array.from(y), s, 'float64')) }))),
  'applyRope (rotate-half)': fc.tuple(dimsArb(2), fc.integer({ min: 1, max: 3 })).chain(([[b, t], h]) =>
    dataArb([b, t, 2 * h]).map((d) => ({ inputs: [d], f: (x) => applyRope(x, ropeTables(arange(t), 2 * h, 10000, 'float64')) }))),
  'maskScores + softmax (causal)': fc.integer({ min: 1, max: 4 }).chain((t) => dataArb([t, t]).map((d) => ({
    inputs: [d], f: (x) => softmax(maskScores(x, causalMask(t))),
  }))),
  'maskScores with a fully masked row': fc.integer({ min: 2, max: 4 }).chain((t) => dataArb([t, t]).map((d) => ({
    inputs: [d], f: (x) => softmax(maskScores(x, bools([t, t], Array.from({ length: t * t }, (_, i) => i >= t && i % t <= Math.floor(i / t))))),
  }))),
  takeAlongAxis: onShape(2, (s) => fc.nat(s.length - 1).chain((ax) => {
    const rest = s.filter((_, i) => i !== ax);
    return fc.tuple(dataArb(s), indicesArb(rest, s[ax])).map(([d, idx]) => ({ inputs: [d], f: (x) => takeAlongAxis(x, ints(rest, idx), ax) }));
  })),
  embedding: fc.tuple(dimsArb(2), dimsArb(2)).chain(([[v, dd], ids]) =>
    fc.tuple(dataArb([v + 1, dd]), indicesArb(ids, v + 1)).map(([table, idx]) => ({ inputs: [table], f: (x) => embedding(x, ints(ids, idx)) }))),
  'transpose / swapAxes': onShape(2, (s) => dataArb(s).map((d) => ({ inputs: [d], f: (x) => swapAxes(transpose(x), 0, -1) }))),
  'narrow / split / expandDims / squeeze': onShape(1, (s) => dataArb([...s.slice(0, -1), s[s.length - 1] + 1]).map((d) => ({
    inputs: [d], f: (x) => {
      const [a, b] = split(x, [1, d.shape[d.shape.length - 1] - 1], -1);
      return squeeze(expandDims(reshape(narrow(b, -1, 0, 1), a.shape), 0), [0]);
    },
  }))),
};

/** Every composite op: gradients against central differences in float64, on the default backend. */
export function compositeGradSuite(): void {
  describe('every composite op: gradient equals central differences (float64)', () => {
    for (const [name, arb] of Object.entries(cases)) {
      test(name, () => {
        fc.assert(fc.property(arb, (c) => {
          const { errors } = gradcheck(c.f, c.inputs.map(t64));
          errors.forEach((e, i) => assert.ok(e < 1e-6, `${name}: input ${i} shape [${c.inputs[i].shape}] error ${e}`));
        }), { numRuns: 60 });
      });
    }
  });
}
