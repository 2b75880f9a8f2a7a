import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { cli, reasoningSample, scratch, tinyConfigJson } from './cliHarness.js';

// A diverging run (issue: a NaN loss used to end "trained 4 updates", exit 0, with an all-NaN checkpoint).
const at = scratch('safekey-diverge-');
const sample = reasoningSample;
const data = [sample('bake bread', 0), sample('hurt someone', 1), sample('plant a tree', 0), sample('steal a car', 1)];
const config = (extra: object) => JSON.stringify({
  data: { train: 'data.jsonl' }, model: { checkpoint: 'init' }, arm: 'safekey', epochs: 2, extraEpochs: 1, batchSize: 2,
  lr: { peak: 1e-3, warmup: 0 }, seed: 1, backend: 'reference', ...extra,
});

before(async () => {
  writeFileSync(at('data.jsonl'), data.map((d) => JSON.stringify(d)).join('\n'));
  writeFileSync(at('tiny.json'), tinyConfigJson());
  const init = await cli('init', '--config', at('tiny.json'), '--out', at('init'));
  assert.equal(init.code, 0, init.err);
});

test('betas of 1 are refused before anything runs, as PyTorch refuses them', async () => {
  writeFileSync(at('betas.json'), config({ betas: [1, 1], out: 'betas-run' }));
  const r = await cli('train', '--config', at('betas.json'));
  assert.equal(r.code, 1);
  assert.match(r.err, /betas\.json: field 'betas\[0\]'.*\[0, 1\)/);
  assert.ok(!existsSync(at('betas-run')));
});

test('a diverging run stops before the bad update, exits non-zero naming update, epoch and value, and keeps the last good checkpoint', async () => {
  writeFileSync(at('good.json'), config({ out: 'run', epochs: 1, extraEpochs: 0 }));
  assert.equal((await cli('train', '--config', at('good.json'))).code, 0);
  const saved = readFileSync(at('run/checkpoint/model.safetensors'));

  writeFileSync(at('diverge.json'), config({ out: 'run', lr: { peak: 1e6, warmup: 0 } }));
  const r = await cli('train', '--config', at('diverge.json'), '--resume', '--ignore-changes');
  assert.equal(r.code, 1, r.out);
  assert.match(r.err, /diverge\.json: update \d+ \(epoch 2 of 2\): the (loss is (NaN|Infinity)|gradient norm is (NaN|Infinity)|updated weights are not finite); stopped before applying it; the last checkpoint .* after epoch 1\) is kept/);
  assert.deepEqual(readFileSync(at('run/checkpoint/model.safetensors')), saved, 'the checkpoint of epoch 1 is untouched');
  const resumed = await cli('train', '--config', at('good.json'), '--resume');
  assert.equal(resumed.code, 0, resumed.err);
});

test("onNonFinite 'skip' drops the bad updates, counts them, and writes only finite weights", async () => {
  writeFileSync(at('skip.json'), config({ out: 'skip-run', lr: { peak: 1e6, warmup: 0 }, onNonFinite: 'skip' }));
  const r = await cli('train', '--config', at('skip.json'));
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /[1-9]\d* updates skipped for non-finite numbers/);
  const metrics = readFileSync(at('skip-run/metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { skipped?: boolean });
  assert.ok(metrics.some((m) => m.skipped));
  const loss = await cli('loss', '--checkpoint', at('skip-run/checkpoint'), '--data', at('data.jsonl'), '--json');
  assert.equal(loss.code, 0, `the checkpoint loads (every weight finite): ${loss.err}`);
});
