import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { fromArray, narrow } from '@safekey-ts/core';
import { forward } from '@safekey-ts/safekey';
import { loadGolden, maxAbsDiff } from './golden.js';

const g = loadGolden();
const T = Math.max(...g.cases.samples.map((s) => s.ids.length));
const B = g.cases.samples.length;
// Right-padded batch: the padding must not change any real position's numbers.
const ids = fromArray(Int32Array.from(g.cases.samples.flatMap((s) => [...s.ids, ...Array(T - s.ids.length).fill(0)])), [B, T], 'int32');
const padding = fromArray(Uint8Array.from(g.cases.samples.flatMap((s) => s.ids.map(() => 1).concat(Array(T - s.ids.length).fill(0)))), [B, T], 'bool');
const rows = (t: ReturnType<typeof forward>['logits'], b: number, from: number, n: number) => narrow(narrow(t, 0, b, 1), 1, from, n).dataSync();

describe('the Llama forward pass reproduces PyTorch (golden tiny-llama)', () => {
  const plain = forward(g.params, g.config, ids, { padding });
  test('logits and final normed hidden states of every sample, in one padded batch', () => {
    g.cases.samples.forEach((s, b) => {
      const n = s.ids.length;
      assert.ok(maxAbsDiff(rows(plain.logits, b, 0, n), s.logits.flat()) < 2e-5, `logits of sample ${b}`);
      assert.ok(maxAbsDiff(rows(plain.hidden, b, 0, n), s.hidden.flat()) < 2e-5, `hidden of sample ${b}`);
    });
  });
  test('the query-masked pass (no position attends to the prompt) from the prompt end on', () => {
    const keyMask = fromArray(Uint8Array.from(g.cases.samples.flatMap((s) => Array.from({ length: T }, (_, j) => +(j < s.promptEnd)))), [B, T], 'bool');
    const masked = forward(g.params, g.config, ids, { padding, keyMask });
    g.cases.samples.forEach((s, b) => {
      const n = s.ids.length - s.promptEnd;
      assert.ok(maxAbsDiff(rows(masked.logits, b, s.promptEnd, n), s.qmmLogits.flat()) < 2e-5, `qmm logits of sample ${b}`);
    });
    assert.ok(Array.from(masked.logits.dataSync()).every(Number.isFinite), 'prompt rows with nothing to attend to stay finite');
  });
});
