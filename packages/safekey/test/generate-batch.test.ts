import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { random } from '@safekey-ts/core';
import { type ModelConfig, generate, generateBatch, initParams } from '@safekey-ts/safekey';

const config: ModelConfig = {
  vocab_size: 20, hidden_size: 8, intermediate_size: 12, num_hidden_layers: 2, num_attention_heads: 2, num_key_value_heads: 1,
  rms_norm_eps: 1e-5, rope_theta: 10000, max_position_embeddings: 64, tie_word_embeddings: false,
};
const params = initParams(random.key(3), config, 0.6);

test('batched greedy decoding gives each prompt exactly what decoding it alone gives', () => {
  fc.assert(fc.property(
    fc.array(fc.record({ prompt: fc.array(fc.integer({ min: 0, max: 19 }), { minLength: 1, maxLength: 7 }), prefix: fc.array(fc.integer({ min: 0, max: 19 }), { maxLength: 2 }) }), { minLength: 1, maxLength: 4 }),
    fc.integer({ min: 1, max: 6 }), fc.constantFrom(1, 1.2), fc.integer({ min: 0, max: 19 }),
    (rows, maxNewTokens, repetitionPenalty, stop) => {
      const batch = generateBatch(params, config, rows.map((r) => r.prompt), { maxNewTokens, repetitionPenalty, stopTokens: [stop], prefixes: rows.map((r) => r.prefix) });
      rows.forEach((r, b) => assert.deepEqual(batch[b], generate(params, config, r.prompt, { maxNewTokens, repetitionPenalty, stopTokens: [stop], prefix: r.prefix })));
    }), { numRuns: 25 });
});
