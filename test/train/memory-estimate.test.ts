import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { type Backend, fromData, getBackend, mapLeaves, random, referenceBackend, setBackend } from '@safekey-ts/core';
import { cpuBackend } from '@safekey-ts/cpu';
import {
  type Arm, type BaseDtype, type LoraSpec, type ModelConfig, type SafekeyParams, type SampleSpans, estimateTrainingMemory, initAdamW, initParams,
  initSafetyHead, lora, parameterCount, splitParams, storeBase, trainLoop,
} from '@safekey-ts/safekey';
import { leaves } from '@safekey-ts/core';

const configOf = (d: number, ff: number, layers: number, vocab: number): ModelConfig => ({
  vocab_size: vocab, hidden_size: d, intermediate_size: ff, num_hidden_layers: layers, num_attention_heads: 4, num_key_value_heads: 2,
  rms_norm_eps: 1e-5, rope_theta: 10000, max_position_embeddings: 512, tie_word_embeddings: true,
});

/** A LoRA adapter on every projection, its base stored in `baseDtype`. */
interface LoraRun { readonly spec: LoraSpec; readonly baseDtype: BaseDtype }

/** The parameters, made on the reference backend and then stored on `backend` (so its peak counts training alone). */
function paramsOn(backend: Backend, config: ModelConfig, run?: LoraRun): SafekeyParams {
  const before = getBackend();
  setBackend(referenceBackend());
  try {
    let params: SafekeyParams = { model: initParams(random.key(1), config), head: initSafetyHead(random.key(2), config.hidden_size) };
    if (run) params = { ...params, model: storeBase(lora(params.model, config, run.spec, random.key(3)), run.baseDtype) };
    return mapLeaves(params, (t) => fromData(t.dataSync(), t.shape, t.dtype, backend)) as SafekeyParams;
  } finally { setBackend(before); }
}

/** The cpu backend's measured peak over one epoch of two updates. */
async function measuredPeak(config: ModelConfig, arm: Arm, batchSize: number, seqLength: number, remat: boolean, run?: LoraRun): Promise<number> {
  const before = getBackend();
  const backend = cpuBackend();
  setBackend(backend);
  try {
    const v = config.vocab_size;
    const samples: SampleSpans[] = Array.from({ length: batchSize * 2 }, (_, i) => ({
      ids: Array.from({ length: seqLength }, (_, j) => (i * 7 + j * 3) % v), promptEnd: 5, keyStart: 10, keyEnd: 15, harmful: (i % 2) as 0 | 1,
    }));
    const params = paramsOn(backend, config, run);
    await trainLoop(samples, {
      config, arm, weights: { qmm: 0.2, dpsh: 0.2 }, adam: { beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0 }, clip: 1,
      epochs: 1, extraEpochs: 1, batchSize, accumulation: 1, peakLr: 1e-3, warmup: 0, minRatio: 0, seed: 1, remat,
    }, { params, opt: initAdamW(splitParams(params).trainable), at: { step: 0, epoch: 0, position: 0 } });
    return backend.memory().peakBytes;
  } finally { setBackend(before); }
}

test('the parameter count is the number of weights the model and head hold', () => {
  const config = configOf(48, 96, 3, 200);
  const p = { model: initParams(random.key(1), config), head: initSafetyHead(random.key(2), 48) };
  assert.equal(parameterCount(config), leaves(p).reduce((n, l) => n + l.tensor.size, 0));
});

test('the training memory estimate is never below the measured peak, and at most twice it (shapes it was not fitted on, with and without remat)', async () => {
  const shapes = fc.sample(fc.record({
    d: fc.constantFrom(32, 48, 80, 112), ff: fc.constantFrom(64, 160, 320), layers: fc.integer({ min: 1, max: 4 }), vocab: fc.integer({ min: 200, max: 2500 }),
    batch: fc.integer({ min: 1, max: 6 }), seq: fc.integer({ min: 24, max: 100 }), arm: fc.constantFrom<Arm>('sft', 'safekey'), remat: fc.boolean(),
  }), { seed: 7, numRuns: 8 });
  for (const s of shapes) {
    const config = configOf(s.d, s.ff, s.layers, s.vocab);
    const peak = await measuredPeak(config, s.arm, s.batch, s.seq, s.remat);
    const est = estimateTrainingMemory(config, s.arm, s.batch, s.seq, { remat: s.remat }).total;
    assert.ok(est >= peak && est <= 2 * peak, `${JSON.stringify(s)}: estimate ${est} vs measured peak ${peak} (${(est / peak).toFixed(2)}x)`);
  }
});

test('a LoRA base stored in bfloat16 takes half the bytes of a float32 one at the peak, and the estimate knows it', async () => {
  const config = configOf(256, 512, 2, 4000);
  const spec: LoraSpec = { rank: 4, alpha: 8, dropout: 0, targets: ['q', 'k', 'v', 'o', 'gate', 'up', 'down'] };
  const peaks: number[] = [];
  for (const baseDtype of ['float32', 'bfloat16'] as const) {
    const peak = await measuredPeak(config, 'safekey', 1, 24, true, { spec, baseDtype });
    const est = estimateTrainingMemory(config, 'safekey', 1, 24, { lora: spec, baseDtype, remat: true }).total;
    assert.ok(est >= peak && est <= 2 * peak, `${baseDtype}: estimate ${est} vs measured peak ${peak} (${(est / peak).toFixed(2)}x)`);
    peaks.push(peak);
  }
  // the base's matrices are nearly all of its parameters: 2 bytes each saved
  const saved = peaks[0]! - peaks[1]!, expected = 2 * parameterCount(config);
  assert.ok(saved >= 0.9 * expected && saved <= 1.05 * expected, `saved ${saved} bytes at the peak, expected about ${expected}`);
});
