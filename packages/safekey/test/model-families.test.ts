import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { add, fromArray, random } from '@safekey-ts/core';
import { type ModelConfig, type ModelParams, dimsOf, forward, hfLayout, initParams, ropeInverseFrequencies } from '@safekey-ts/safekey';

const base: ModelConfig = {
  vocab_size: 40, hidden_size: 16, intermediate_size: 24, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2,
  rms_norm_eps: 1e-6, rope_theta: 10000, max_position_embeddings: 64, tie_word_embeddings: false,
};
const ids = fromArray(Int32Array.of(3, 14, 15, 9, 2, 6), [1, 6], 'int32');
const logitsOf = (p: ModelParams, c: ModelConfig) => Array.from(forward(p, c, ids).logits.dataSync());

describe('model families', () => {
  test('Qwen2 has q, k, v biases (zeros at init) and no o bias; with zero biases it computes what Llama does', () => {
    const qwen: ModelConfig = { ...base, model_type: 'qwen2' };
    assert.deepEqual([dimsOf(qwen).qkvBias, dimsOf(qwen).oBias], [true, false]);
    const names = hfLayout(qwen).map((l) => l.name);
    for (const b of ['q', 'k', 'v']) assert.ok(names.includes(`model.layers.1.self_attn.${b}_proj.bias`));
    assert.ok(!names.includes('model.layers.0.self_attn.o_proj.bias'));
    const p = initParams(random.key(1), qwen);
    const llama = { ...p, layers: p.layers.map(({ qBias: _q, kBias: _k, vBias: _v, ...l }) => l) };
    assert.deepEqual(logitsOf(p, qwen), logitsOf(llama, base));
    const biased = { ...p, layers: p.layers.map((l) => ({ ...l, qBias: add(l.qBias!, random.normal(random.key(2), [16])) })) };
    assert.notDeepEqual(logitsOf(biased, qwen), logitsOf(p, qwen));
  });

  test('Llama with attention_bias has all four biases; Mistral none', () => {
    assert.deepEqual(dimsOf({ ...base, attention_bias: true }), { ...dimsOf(base), qkvBias: true, oBias: true });
    assert.deepEqual([dimsOf({ ...base, model_type: 'mistral' }).qkvBias, dimsOf({ ...base, model_type: 'mistral' }).oBias], [false, false]);
  });

  test('an explicit head_dim sets the projections\' shapes apart from hidden_size / heads', () => {
    const c: ModelConfig = { ...base, model_type: 'mistral', head_dim: 8 };
    const shapes = Object.fromEntries(hfLayout(c).map((l) => [l.name, l.shape]));
    assert.deepEqual(shapes['model.layers.0.self_attn.q_proj.weight'], [32, 16]);
    assert.deepEqual(shapes['model.layers.0.self_attn.k_proj.weight'], [16, 16]);
    assert.deepEqual(shapes['model.layers.0.self_attn.o_proj.weight'], [16, 32]);
    assert.equal(forward(initParams(random.key(3), c), c, ids).logits.shape[2], 40);
  });

  test('a sequence longer than the sliding window is refused, a shorter one computed', () => {
    const c: ModelConfig = { ...base, model_type: 'mistral', sliding_window: 5 };
    const p = initParams(random.key(4), c);
    assert.throws(() => forward(p, c, ids), /forward: 6 positions exceed the config's sliding_window 5 \(sliding-window attention is not supported\)/);
    const five = fromArray(Int32Array.of(3, 14, 15, 9, 2), [1, 5], 'int32');
    assert.deepEqual(Array.from(forward(p, c, five).logits.dataSync()), Array.from(forward(p, { ...c, sliding_window: null }, five).logits.dataSync()));
  });

  test('RoPE scaling: linear divides every frequency; dynamic changes nothing up to max_position_embeddings; llama3 keeps the short wavelengths', () => {
    const plain = ropeInverseFrequencies(base, 10);
    assert.deepEqual(ropeInverseFrequencies({ ...base, rope_scaling: { rope_type: 'linear', factor: 4 } }, 10), plain.map((x) => Math.fround(x / 4)));
    const dynamic: ModelConfig = { ...base, rope_scaling: { rope_type: 'dynamic', factor: 2 } };
    assert.deepEqual(ropeInverseFrequencies(dynamic, 64), plain);
    const grown = ropeInverseFrequencies(dynamic, 200);
    assert.equal(grown[0], plain[0]);
    assert.ok(grown.slice(1).every((x, i) => x < plain[i + 1]!), 'a longer sequence stretches the wavelengths');
    const l3 = ropeInverseFrequencies({ ...base, rope_theta: 5e5, rope_scaling: { rope_type: 'llama3', factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 64 } }, 10);
    const p3 = ropeInverseFrequencies({ ...base, rope_theta: 5e5 }, 10);
    assert.equal(l3[0], p3[0]); // wavelength 2π, below 64 / high_freq_factor: kept
    assert.equal(l3.at(-1), Math.fround(p3.at(-1)! / 8)); // the longest wavelength is divided by the factor
  });
});
