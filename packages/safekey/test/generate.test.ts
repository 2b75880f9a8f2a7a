import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { argmax, fromArray, narrow, random } from '@safekey-ts/core';
import { type ModelConfig, checkGenerateOptions, drawFrom, forward, generate, initParams, nucleus, probabilities, repetitionPenalty } from '@safekey-ts/safekey';

const config: ModelConfig = {
  vocab_size: 40, hidden_size: 16, intermediate_size: 32, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2,
  rms_norm_eps: 1e-5, rope_theta: 10000, max_position_embeddings: 64, tie_word_embeddings: false,
};
// a large init spreads the logits, so sampling and greedy decoding make varied choices
const params = initParams(random.key(11), config, 0.5);
const prompt = [3, 17, 5, 29, 8];

describe('generate: KV-cached decoding equals recomputing the whole sequence', () => {
  test('greedy', () => {
    const cached = generate(params, config, prompt, { maxNewTokens: 12 });
    const full = generate(params, config, prompt, { maxNewTokens: 12, useCache: false });
    assert.equal(cached.generated.length, 12);
    assert.deepEqual(cached, full);
    assert.ok(new Set(cached.generated).size > 2, 'the tiny model makes varied choices');
  });
  test('sampled with temperature, top-p and a repetition penalty, from the same key', () => {
    const opts = { maxNewTokens: 12, temperature: 0.9, topP: 0.9, repetitionPenalty: 1.3, key: random.key(4) };
    const cached = generate(params, config, prompt, opts);
    assert.deepEqual(cached, generate(params, config, prompt, { ...opts, useCache: false }));
    assert.deepEqual(cached, generate(params, config, prompt, opts), 'the key alone decides');
    const others = [5, 6, 7].map((k) => generate(params, config, prompt, { ...opts, key: random.key(k) }).generated.join());
    assert.ok(others.some((o) => o !== cached.generated.join()), 'other keys give other samples');
  });
  test('the first greedy token is the argmax of the full forward pass', () => {
    const logits = forward(params, config, fromArray(Int32Array.from(prompt), [1, prompt.length], 'int32')).logits;
    const first = argmax(narrow(logits, 1, prompt.length - 1, 1)).item();
    assert.equal(generate(params, config, prompt, { maxNewTokens: 1 }).generated[0], first);
  });
});

describe('generate: stopping, length and forced prefix', () => {
  const free = generate(params, config, prompt, { maxNewTokens: 12 }).generated;
  test('stops after the first stop token and keeps it', () => {
    const stop = free[3]!;
    const at = free.indexOf(stop);
    const r = generate(params, config, prompt, { maxNewTokens: 12, stopTokens: [39, stop] });
    assert.equal(r.finishReason, 'stop');
    assert.deepEqual(r.generated, free.slice(0, at + 1));
  });
  test('maxNewTokens sampled tokens, then finishReason length; 0 gives the prefix alone', () => {
    const r = generate(params, config, prompt, { maxNewTokens: 5 });
    assert.deepEqual(r, { ids: free.slice(0, 5), generated: free.slice(0, 5), finishReason: 'length' });
    assert.deepEqual(generate(params, config, prompt, { maxNewTokens: 0, prefix: [1, 2] }), { ids: [1, 2], generated: [], finishReason: 'length' });
  });
  test('a forced prefix is continued as if it were part of the prompt, and starts the answer', () => {
    const prefix = [9, 9, 2];
    const r = generate(params, config, prompt, { maxNewTokens: 6, prefix });
    const asPrompt = generate(params, config, [...prompt, ...prefix], { maxNewTokens: 6 });
    assert.deepEqual(r.ids, [...prefix, ...asPrompt.generated]);
    assert.deepEqual(r.generated, asPrompt.generated);
    assert.deepEqual(generate(params, config, prompt, { maxNewTokens: 6, prefix, useCache: false }), r);
  });
  test('vocabLimit: ids at or above it are never produced', () => {
    const r = generate(params, config, prompt, { maxNewTokens: 10, temperature: 2, key: random.key(1), vocabLimit: 10 });
    assert.ok(r.generated.every((id) => id < 10), r.generated.join());
  });
  test('bad options are reported (as a value, and as a RangeError from generate)', () => {
    assert.match(checkGenerateOptions(prompt, { maxNewTokens: 2, temperature: 1 }, 40) ?? '', /random key/);
    assert.match(checkGenerateOptions(prompt, { maxNewTokens: 2, topP: 0 }, 40) ?? '', /topP/);
    assert.match(checkGenerateOptions([1, 40], { maxNewTokens: 2 }, 40) ?? '', /prompt\[1\] = 40/);
    assert.match(checkGenerateOptions([], { maxNewTokens: 2 }, 40) ?? '', /empty/);
    assert.throws(() => generate(params, config, prompt, { maxNewTokens: -1 }), RangeError);
  });
});

describe('logits processors', () => {
  test('repetition penalty as Hugging Face: positive logits divided, negative multiplied, each seen id once', () => {
    assert.deepEqual([...repetitionPenalty(Float64Array.from([2, -2, 3, 1]), [0, 1, 1, 3], 2)], [1, -4, 3, 0.5]);
  });
  test('top-p keeps the most likely tokens until their mass reaches p (at least one)', () => {
    const p = Float64Array.from([0.2, 0.5, 0.3, 0]);
    assert.deepEqual(nucleus(p, 1), [1, 2, 0]);
    assert.deepEqual(nucleus(p, 0.8), [1, 2]);
    assert.deepEqual(nucleus(p, 0.81), [1, 2, 0]);
    assert.deepEqual(nucleus(p, 0.1), [1]);
  });
  test('temperature softmax and inverse-CDF draws', () => {
    const probs = probabilities(Float64Array.from([0, Math.log(3)]), 1);
    assert.ok(Math.abs(probs[1]! - 0.75) < 1e-12);
    assert.equal(drawFrom([1, 0], probs, 0.74), 1);
    assert.equal(drawFrom([1, 0], probs, 0.76), 0);
    assert.equal(drawFrom([1], probs, 0.99), 1);
  });
});
