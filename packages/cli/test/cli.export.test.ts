import assert from 'node:assert/strict';
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import * as E from 'fp-ts/lib/Either.js';
import { random } from '@safekey-ts/core';
import { loadCheckpoint, readSamples, sampleEncoder } from '@safekey-ts/hf';
import { RECIPE, encodeSamples, initSafetyHead } from '@safekey-ts/safekey';
import { cli, reasoningSample, scratch, tinyConfigJson } from './cliHarness.js';

const at = scratch('safekey-export-');
const sample = reasoningSample;
writeFileSync(at('data.jsonl'), [sample('bake bread', 0), sample('hurt someone', 1), { query: 'no key', harmful: 0, response: '<think>\nOnly one\n</think>\n\nx' }]
  .map((d) => JSON.stringify(d)).join('\n'));
writeFileSync(at('tiny.json'), tinyConfigJson());
const bytes = (f: string) => readFileSync(f);
const load = async (dir: string) => { const c = await loadCheckpoint(dir); if (E.isLeft(c)) throw new Error(c.left.message); return c.right; };

test('export writes the starting checkpoint, each sample\'s tokens and spans, and a run.json with every default written out', async () => {
  assert.equal((await cli('init', '--config', at('tiny.json'), '--out', at('init'), '--seed', '5')).code, 0);
  writeFileSync(at('run.json'), JSON.stringify({ data: { train: 'data.jsonl' }, model: { checkpoint: 'init' }, arm: 'safekey', epochs: 3, batchSize: 2, lr: { peak: 1e-3 }, seed: 1, out: 'run', maxLength: 200 }));
  const r = await cli('export', '--run', at('run.json'), '--out', at('exported'));
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /data\.jsonl:3: skipped: no K/);
  assert.match(r.out, /exported 2 samples/);
  assert.deepEqual(JSON.parse(readFileSync(at('exported/run.json'), 'utf8')), {
    data: { train: 'data/train.jsonl' }, model: { checkpoint: 'checkpoint' }, arm: 'safekey', epochs: 3, batchSize: 2,
    lr: { peak: 1e-3, warmup: RECIPE.warmup, minRatio: RECIPE.minRatio }, seed: 1, out: 'out', weights: RECIPE.weights,
    extraEpochs: RECIPE.extraEpochs, accumulation: RECIPE.accumulation, weightDecay: RECIPE.adam.weightDecay,
    betas: [RECIPE.adam.beta1, RECIPE.adam.beta2], clip: RECIPE.clip, maxLength: 200, uSentences: 1,
  });
  const ck = await load(at('init'));
  const raw = readSamples(at('data.jsonl'));
  if (E.isLeft(raw)) throw new Error(raw.left.message);
  const enc = sampleEncoder(ck.tokenizer);
  if (E.isLeft(enc)) throw new Error(enc.left);
  const { samples } = encodeSamples(enc.right, raw.right, { maxLength: 200 });
  const lines = readFileSync(at('exported/data/train.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(lines, samples.map((s) => ({ ids: s.ids, promptEnd: s.promptEnd, keyStart: s.keyStart, keyEnd: s.keyEnd, harmful: s.harmful })));
  for (const f of ['model.safetensors', 'safety_head.safetensors', 'tokenizer.json', 'config.json'])
    assert.deepEqual(bytes(at(`exported/checkpoint/${f}`)), bytes(at(`init/${f}`)), f);
});

test('export starts where `safekey train` starts: a fresh model from the seed, a new head for a checkpoint without one', async () => {
  assert.equal((await cli('tokenizer', 'train', '--corpus', at('data.jsonl'), '--vocab-size', '280', '--out', at('tok/tokenizer.json'))).code, 0);
  writeFileSync(at('fresh.json'), JSON.stringify({ data: { train: 'data.jsonl' }, model: { config: 'tiny.json' }, tokenizer: 'tok/tokenizer.json', arm: 'sft', epochs: 1, batchSize: 1, lr: { peak: 1e-3 }, seed: 9, out: 'run' }));
  assert.equal((await cli('export', '--run', at('fresh.json'), '--out', at('fresh'))).code, 0);
  // `safekey init --seed 9` draws the model and the head from the same keys as a fresh run with seed 9
  assert.equal((await cli('init', '--config', at('tiny.json'), '--tokenizer', at('tok/tokenizer.json'), '--out', at('init9'), '--seed', '9')).code, 0);
  for (const f of ['model.safetensors', 'safety_head.safetensors']) assert.deepEqual(bytes(at(`fresh/checkpoint/${f}`)), bytes(at(`init9/${f}`)), f);

  cpSync(at('init'), at('headless'), { recursive: true });
  rmSync(at('headless/safety_head.safetensors'));
  writeFileSync(at('headless.json'), JSON.stringify({ data: { train: 'data.jsonl' }, model: { checkpoint: 'headless' }, arm: 'safekey', epochs: 1, batchSize: 1, lr: { peak: 1e-3 }, seed: 4, out: 'run' }));
  assert.equal((await cli('export', '--run', at('headless.json'), '--out', at('headless-export'))).code, 0);
  const head = (await load(at('headless-export/checkpoint'))).head!;
  const want = initSafetyHead(random.foldIn(random.key(4), 1), 16);
  assert.deepEqual(Array.from(head.context.weight.dataSync()), Array.from(want.context.weight.dataSync()));
  assert.deepEqual(Array.from(head.understanding.weight.dataSync()), Array.from(want.understanding.weight.dataSync()));
});

test('export reports a bad config field as one line and writes nothing', async () => {
  writeFileSync(at('bad.json'), JSON.stringify({ data: { train: 'data.jsonl' }, model: { checkpoint: 'init' }, arm: 'magic', epochs: 1, batchSize: 1, lr: { peak: 1e-3 }, seed: 0, out: 'run' }));
  const r = await cli('export', '--run', at('bad.json'), '--out', at('bad-export'));
  assert.equal(r.code, 1);
  assert.match(r.err, /bad\.json: field 'arm'/);
  assert.throws(() => readFileSync(at('bad-export/run.json')));
});
