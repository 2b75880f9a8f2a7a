import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { cli, reasoningSample, scratch, tinyConfigJson } from './cliHarness.js';

const at = scratch('safekey-train-');
const sample = reasoningSample;
const data = [sample('bake bread', 0), sample('hurt someone', 1), sample('plant a tree', 0), sample('steal a car', 1),
  { query: 'no key', harmful: 0, response: '<think>\nOnly one sentence\n</think>\n\nx' }];
writeFileSync(at('data.jsonl'), data.map((d) => JSON.stringify(d)).join('\n'));
writeFileSync(at('tiny.json'), tinyConfigJson());
const trainConfig = (extra: object = {}) => JSON.stringify({
  data: { train: 'data.jsonl' }, model: { checkpoint: 'init' }, arm: 'safekey', epochs: 2, extraEpochs: 1, batchSize: 2,
  lr: { peak: 1e-3 }, seed: 1, backend: 'reference', out: 'run', ...extra,
});

test('init, train (progress, metrics, a checkpoint per epoch, skipped samples reported), then per-sample losses', async () => {
  assert.equal((await cli('init', '--config', at('tiny.json'), '--out', at('init'))).code, 0);
  writeFileSync(at('train.json'), trainConfig());
  const r = await cli('train', '--config', at('train.json'));
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /data\.jsonl:5: skipped: no K/);
  assert.match(r.out, /trained 4 updates/);
  const metrics = readFileSync(at('run/metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(metrics.map((m) => m.step), [1, 2, 3, 4]);
  assert.ok(metrics[0].qmm === undefined && metrics[3].qmm !== undefined && Number.isFinite(metrics[3].dpsh));
  // memory as the OS and the backend see it: the peak never below what is live, RSS above the tensors
  for (const m of metrics) assert.ok(m.peakBytes >= m.liveBytes && m.liveBytes > 0 && m.peakRss > m.peakBytes, JSON.stringify(m));
  assert.ok(existsSync(at('run/checkpoint/trainer_state.json')) || existsSync(at('run/checkpoint/config.json')));

  const loss = await cli('loss', '--checkpoint', at('run/checkpoint'), '--data', at('data.jsonl'), '--json');
  assert.equal(loss.code, 0, loss.err);
  const rows = loss.out.split('\n').map((l) => JSON.parse(l));
  assert.equal(rows.length, 4);
  for (const row of rows) {
    assert.ok(row.promptEnd < row.keyStart && row.keyStart < row.keyEnd && row.keyEnd <= row.ids.length);
    for (const k of ['sft', 'qmm', 'dpsh']) assert.ok(Number.isFinite(row[k]) && row[k] > 0, `${k} ${row[k]}`);
  }

  const resumed = await cli('train', '--config', at('train.json'), '--resume');
  assert.equal(resumed.code, 0, resumed.err);
  assert.match(resumed.out, /trained 4 updates/, 'a finished run resumes to its end without new updates');
});

test('a bad data line or config field stops the run before training with one clear line', async () => {
  writeFileSync(at('bad.jsonl'), `${JSON.stringify(data[0])}\n{"query":"q","response":"r","harmful":"yes"}\n`);
  writeFileSync(at('bad-data.json'), trainConfig({ data: { train: 'bad.jsonl' } }));
  const r = await cli('train', '--config', at('bad-data.json'));
  assert.equal(r.code, 1);
  assert.match(r.err, /bad\.jsonl:2: field 'harmful'/);
  writeFileSync(at('bad-field.json'), trainConfig({ arm: 'magic' }));
  const r2 = await cli('train', '--config', at('bad-field.json'));
  assert.equal(r2.code, 1);
  assert.match(r2.err, /bad-field\.json: field 'arm'/);
  assert.ok(!existsSync(at('run-bad')));
});
