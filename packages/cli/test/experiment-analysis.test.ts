import { test } from 'node:test';
import assert from 'node:assert/strict';
import { random, zeros } from '@safekey-ts/core';
import { type ModelConfig, type SampleSpans, initParams } from '@safekey-ts/safekey';
import { attentionShares, hiddenBeforeK, probeAccuracy } from '@safekey-ts/cli';

const config: ModelConfig = {
  vocab_size: 30, hidden_size: 8, intermediate_size: 12, num_hidden_layers: 1, num_attention_heads: 2, num_key_value_heads: 1,
  rms_norm_eps: 1e-5, rope_theta: 10000, max_position_embeddings: 64, tie_word_embeddings: true,
};
const samples: SampleSpans[] = [
  { ids: [1, 2, 3, 4, 5, 6, 7, 8], promptEnd: 3, keyStart: 5, keyEnd: 7, harmful: 1 },
  { ids: [9, 8, 7, 6, 5, 4], promptEnd: 2, keyStart: 3, keyEnd: 5, harmful: 0 },
];

test('attention shares: with zero queries attention is uniform, so the shares are the counted fractions', () => {
  const p = initParams(random.key(0), config, 0.5);
  const flat = { ...p, layers: p.layers.map((l) => ({ ...l, q: zeros(l.q.shape) })) };
  const got = attentionShares(flat, config, samples);
  const expect = (f: (s: SampleSpans, r: number) => number) => samples.reduce((acc, s) => {
    let x = 0;
    for (let r = s.keyStart; r < s.keyEnd; r++) x += f(s, r) / (r + 1);
    return acc + x / (s.keyEnd - s.keyStart);
  }, 0) / samples.length;
  assert.ok(Math.abs(got.toU - expect((s) => s.keyStart - s.promptEnd)) < 1e-6);
  assert.ok(Math.abs(got.toQuery - expect((s) => s.promptEnd)) < 1e-6);
});

test('hidden states before K: one vector of the model width per sample', () => {
  const h = hiddenBeforeK(initParams(random.key(1), config), config, samples);
  assert.deepEqual(h.map((v) => v.length), [8, 8]);
});

test('the logistic probe separates separable features', () => {
  const u = random.uniformArray(random.key(2), 400);
  const feats = (i: number, label: number) => Float32Array.from([label * 2 - 1 + 0.3 * (u[i] - 0.5), u[i + 200], u[(i + 7) % 200]]);
  const labels = Array.from({ length: 60 }, (_, i) => i % 2);
  const train = labels.map((l, i) => feats(i, l)), test = labels.map((l, i) => feats(i + 60, l));
  assert.equal(probeAccuracy(train, labels, test, labels), 1);
});
