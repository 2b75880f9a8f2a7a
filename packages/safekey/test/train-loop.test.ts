import { test } from 'node:test';
import assert from 'node:assert/strict';
import { random, leaves, type Tensor } from '@safekey-ts/core';
import { type ModelConfig, type LoopSettings, type LoopState, type SampleSpans, type UpdateMetrics, initAdamW, initParams, initSafetyHead, lora, splitParams, trainLoop, runLength } from '@safekey-ts/safekey';

const config: ModelConfig = {
  vocab_size: 24, hidden_size: 8, intermediate_size: 12, num_hidden_layers: 1, num_attention_heads: 2, num_key_value_heads: 1,
  rms_norm_eps: 1e-5, rope_theta: 10000, max_position_embeddings: 64, tie_word_embeddings: true,
};
const u = random.uniformArray(random.key(5), 200);
const samples: SampleSpans[] = Array.from({ length: 6 }, (_, i) => {
  const len = 9 + (i % 3);
  return { ids: Array.from({ length: len }, (_, j) => 1 + Math.floor(u[i * 12 + j] * 23)), promptEnd: 3, keyStart: 5, keyEnd: 7, harmful: (i % 2) as 0 | 1 };
});
const settings: LoopSettings = {
  config, arm: 'safekey', weights: { qmm: 0.2, dpsh: 0.2 }, adam: { beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 1e-4 }, clip: 1,
  epochs: 3, extraEpochs: 2, batchSize: 2, accumulation: 2, peakLr: 1e-2, warmup: 0.1, minRatio: 0, seed: 3,
};
const start = (): LoopState => {
  const params = { model: initParams(random.key(1), config, 0.2), head: initSafetyHead(random.key(2), 8) };
  return { params, opt: initAdamW(params), at: { step: 0, epoch: 0, position: 0 } };
};
const values = (s: LoopState) => leaves({ p: s.params, o: s.opt }).map((l) => Array.from((l.tensor as Tensor).dataSync()));

test('the loop: updates per epoch, the extra losses only in the last epochs, and a falling loss', async () => {
  const seen: UpdateMetrics[] = [];
  await trainLoop(samples, { ...settings, epochs: 6, extraEpochs: 2 }, start(), { onUpdate: (m) => seen.push(m) });
  const { updatesPerEpoch, totalUpdates } = runLength(samples.length, { ...settings, epochs: 6 });
  assert.equal(updatesPerEpoch, 2);
  assert.equal(seen.length, totalUpdates);
  assert.deepEqual(seen.map((m) => m.extra), [false, false, false, false, false, false, false, false, true, true, true, true]);
  assert.ok(seen.slice(0, 8).every((m) => m.qmm === undefined) && seen.slice(8).every((m) => m.qmm !== undefined && m.dpsh !== undefined));
  assert.ok(seen[7].sft < seen[0].sft, `sft ${seen[0].sft} -> ${seen[7].sft}`);
});

test('resume is exact: k epochs, keep the state, the rest, equals the whole run bit for bit', async () => {
  const straight = await trainLoop(samples, settings, start());
  let saved: LoopState | undefined;
  await trainLoop(samples, settings, start(), { onEpochEnd: (s) => { saved = s; return 'stop'; } });
  assert.deepEqual(saved!.at, { step: 2, epoch: 1, position: 0 });
  const resumed = await trainLoop(samples, settings, saved!);
  assert.deepEqual(resumed.at, straight.at);
  assert.deepEqual(values(resumed), values(straight));
});

test('a loss that turns NaN stops the run with the last good state, or is skipped when asked', async () => {
  const wild = { ...settings, peakLr: 1e30, warmup: 0, clip: undefined, epochs: 4 };
  const stopped = await trainLoop(samples, wild, start());
  assert.ok(stopped.stopped, 'the run should stop');
  assert.ok(values(stopped).flat().every(Number.isFinite), 'the state handed back is finite');
  assert.ok(stopped.at.step <= stopped.stopped!.step);
  const seen: UpdateMetrics[] = [];
  const skipped = await trainLoop(samples, { ...wild, onNonFinite: 'skip' }, start(), { onUpdate: (m) => seen.push(m) });
  assert.equal(skipped.stopped, undefined);
  assert.equal(skipped.at.step, runLength(samples.length, wild).totalUpdates);
  assert.equal(skipped.skippedUpdates, seen.filter((m) => m.skipped).length);
  assert.ok(skipped.skippedUpdates > 0);
  assert.ok(values(skipped).flat().every(Number.isFinite));
});

test('LoRA: the base gets no update and no moments, and resume is exact bit for bit', async () => {
  const spec = { rank: 2, alpha: 4, dropout: 0, targets: ['q', 'v', 'down'] as const };
  const loraStart = (): LoopState => {
    const base = start().params;
    const params = { ...base, model: lora(base.model, config, spec, random.key(9)) };
    return { params, opt: initAdamW(splitParams(params).trainable), at: { step: 0, epoch: 0, position: 0 } };
  };
  const s0 = loraStart();
  const baseOf = (st: LoopState) => { const { adapter: _a, ...b } = st.params.model; return leaves(b).map((l) => Array.from(l.tensor.dataSync())); };
  const baseBefore = baseOf(s0);
  const straight = await trainLoop(samples, settings, loraStart());
  assert.deepEqual(baseOf(straight), baseBefore);
  assert.ok('adapter' in straight.opt.m && !('model' in straight.opt.m), 'moments only for the adapter and the head');
  let saved: LoopState | undefined;
  await trainLoop(samples, settings, loraStart(), { onEpochEnd: (st) => { saved = st; return 'stop'; } });
  const resumed = await trainLoop(samples, settings, saved!);
  assert.deepEqual(values(resumed), values(straight));
});
