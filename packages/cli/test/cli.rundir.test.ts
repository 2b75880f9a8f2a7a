import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { before, test } from 'node:test';
import { cli, reasoningSample, scratch, tinyConfigJson } from './cliHarness.js';

// A run owns its directory: no silent overwrite, no two runs at once, an interrupted save recovered, a resume
// that refuses changed settings or data, and a wrapper that does not leave its child running.
const at = scratch('safekey-rundir-');
const bin = fileURLToPath(new URL('../bin/safekey.mjs', import.meta.url));
const sample = reasoningSample;
const data = [sample('bake bread', 0), sample('hurt someone', 1), sample('plant a tree', 0), sample('steal a car', 1)];
const config = (extra: object) => JSON.stringify({
  data: { train: 'data.jsonl' }, model: { checkpoint: 'init' }, arm: 'safekey', epochs: 2, extraEpochs: 1, batchSize: 2,
  lr: { peak: 1e-3, warmup: 0 }, seed: 1, backend: 'reference', ...extra,
});
const lines = (f: string) => readFileSync(f, 'utf8').trim().split('\n').length;
const train = (name: string, extra: object, ...flags: string[]) => {
  writeFileSync(at(`${name}.json`), config(extra));
  return cli('train', '--config', at(`${name}.json`), ...flags);
};
const deadPid = () => spawnSync(process.execPath, ['-e', '0']).pid!;

before(async () => {
  writeFileSync(at('data.jsonl'), data.map((d) => JSON.stringify(d)).join('\n'));
  writeFileSync(at('tiny.json'), tinyConfigJson());
  const init = await cli('init', '--config', at('tiny.json'), '--out', at('init'));
  assert.equal(init.code, 0, init.err);
});

test('a new run over an earlier one is refused and changes nothing; --overwrite replaces it', async () => {
  assert.equal((await train('a', { out: 'a-run' })).code, 0);
  const before = readFileSync(at('a-run/metrics.jsonl'));
  const again = await train('a', { out: 'a-run', seed: 2 });
  assert.equal(again.code, 1);
  assert.match(again.err, /a-run holds an earlier run \(checkpoint\/, metrics\.jsonl\); pass --resume to continue it or --overwrite to replace it/);
  assert.deepEqual(readFileSync(at('a-run/metrics.jsonl')), before, 'metrics untouched');
  const over = await train('a', { out: 'a-run', seed: 2, epochs: 1, extraEpochs: 0 }, '--overwrite');
  assert.equal(over.code, 0, over.err);
  assert.equal(lines(at('a-run/metrics.jsonl')), 2, 'only the new run\'s updates');
  assert.ok(!existsSync(at('a-run/.lock')), 'the lock is gone when the run ends');
});

test('a directory locked by a live process is refused; a lock left by a dead one is taken over with a word', async () => {
  const live = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
  mkdirSync(at('b-run'), { recursive: true });
  writeFileSync(at('b-run/.lock'), JSON.stringify({ pid: live.pid, started: 'earlier' }));
  const busy = await train('b', { out: 'b-run' });
  live.kill();
  assert.equal(busy.code, 1);
  assert.match(busy.err, new RegExp(`b-run is in use by another training run \\(pid ${live.pid}, started earlier\\)`));
  assert.ok(!existsSync(at('b-run/metrics.jsonl')));

  const dead = deadPid();
  writeFileSync(at('b-run/.lock'), JSON.stringify({ pid: dead, started: 'earlier' }));
  const taken = await train('b', { out: 'b-run', epochs: 1, extraEpochs: 0 });
  assert.equal(taken.code, 0, taken.err);
  assert.match(taken.err, new RegExp(`took over the lock of .*b-run from pid ${dead}, which is no longer running`));
});

test('a kill between the two renames of a save leaves a checkpoint that --resume finds; stale temporaries are removed', async () => {
  assert.equal((await train('c', { out: 'c-run', epochs: 1, extraEpochs: 0 })).code, 0);
  // the state writeDirAtomic leaves between renaming the old copy aside and the new one into place
  cpSync(at('c-run/checkpoint'), at('c-run/.checkpoint.tmp-4242-1'), { recursive: true });
  renameSync(at('c-run/checkpoint'), at('c-run/.checkpoint.old-4242-1'));
  cpSync(at('init'), at('c-run/.checkpoint.tmp-4242-7'), { recursive: true }); // a half-made one from another save
  const r = await train('c', { out: 'c-run', epochs: 1, extraEpochs: 0 }, '--resume');
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /recovered .*c-run\/checkpoint from \.checkpoint\.tmp-4242-1, left by a save that was interrupted/);
  assert.deepEqual(readdirSync(at('c-run')).sort(), ['checkpoint', 'metrics.jsonl']);
});

test('--resume refuses changed data or settings unless --ignore-changes, and never runs past the end', async () => {
  assert.equal((await train('d', { out: 'd-run', epochs: 1, extraEpochs: 0 })).code, 0);
  writeFileSync(at('data.jsonl'), data.slice(0, 2).map((d) => JSON.stringify(d)).join('\n'));
  try {
    const changed = await train('d', { out: 'd-run', epochs: 1, extraEpochs: 0 }, '--resume');
    assert.equal(changed.code, 1);
    assert.match(changed.err, /cannot resume: the data files of .*d\.json changed since .*d-run\/checkpoint was saved; .*--ignore-changes continues anyway/);
    const settings = await train('d2', { out: 'd-run', epochs: 1, extraEpochs: 0, seed: 9 }, '--resume');
    assert.match(settings.err, /cannot resume: the training settings and the data files of/);
    const forced = await train('d', { out: 'd-run', epochs: 1, extraEpochs: 0 }, '--resume', '--ignore-changes');
    assert.equal(forced.code, 1);
    assert.match(forced.err, /cannot resume: .*d-run\/checkpoint is at update 2, past the 1 updates of this run's settings and data/);
  } finally {
    writeFileSync(at('data.jsonl'), data.map((d) => JSON.stringify(d)).join('\n'));
  }
  const same = await train('d', { out: 'd-run', epochs: 2, extraEpochs: 0 }, '--resume');
  assert.match(same.err, /cannot resume: the training settings of/, 'more epochs is a changed setting');
});

test('config mistakes are refused by field: unknown keys with a near miss, negative weights, extraEpochs > epochs, an unsafe seed', async () => {
  const cases: [object, RegExp][] = [
    [{ epoch: 3 }, /field 'epoch' is not a known setting \(did you mean 'epochs'\?\)/],
    [{ lr: { peak: 1e-3, warmpu: 0.1 } }, /field 'lr\.warmpu' is not a known setting \(did you mean 'lr\.warmup'\?\)/],
    [{ colour: 'blue' }, /field 'colour' is not a known setting$/m],
    [{ weights: { qmm: -1, dpsh: 0.2 } }, /field 'weights\.qmm': expected number >= 0, got -1/],
    [{ weightDecay: -0.1 }, /field 'weightDecay': expected number >= 0/],
    [{ extraEpochs: 3 }, /field 'extraEpochs': 3 is more than epochs \(2\)/],
    [{ seed: 2 ** 53 }, /field 'seed': expected integer in \[0, 2\^53\)/],
    [{ model: { checkpoint: 'init', config: 'tiny.json' } }, /field 'model': give either 'config' .* or 'checkpoint', not both/],
  ];
  for (const [extra, message] of cases) {
    const r = await train('e', { out: 'e-run', ...extra });
    assert.equal(r.code, 1, JSON.stringify(extra));
    assert.match(r.err, message);
    assert.match(r.err, /e\.json: /);
  }
  assert.ok(!existsSync(at('e-run')), 'nothing was created');
});

test('a tokenizer larger than the model\'s vocabulary is refused before the first step', async () => {
  writeFileSync(at('small.json'), JSON.stringify({ ...JSON.parse(readFileSync(at('tiny.json'), 'utf8')), vocab_size: 100 }));
  const r = await train('f', { out: 'f-run', model: { config: 'small.json' }, tokenizer: 'init/tokenizer.json' });
  assert.equal(r.code, 1);
  assert.match(r.err, /init\/tokenizer\.json: \d+ tokens do not fit the 100 rows of the embedding/);
  assert.ok(!existsSync(at('f-run/metrics.jsonl')));
});

/** Starts the real program and resolves when its first update is in the metrics. */
async function startLongRun(out: string): Promise<{ child: ChildProcess; err: () => string; exited: Promise<number | null> }> {
  writeFileSync(at(`${out}.json`), config({ out, epochs: 500, extraEpochs: 0 }));
  const child = spawn(process.execPath, [bin, 'train', '--config', at(`${out}.json`)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
  const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
  for (let i = 0; i < 600 && !(existsSync(at(`${out}/metrics.jsonl`)) && readFileSync(at(`${out}/metrics.jsonl`), 'utf8').length > 0); i++) {
    await new Promise((r) => setTimeout(r, 100));
  }
  return { child, err: () => err, exited };
}

test('SIGINT ends a run saying what was kept, exit 130; killing the wrapper ends its child', async () => {
  const int = await startLongRun('g-run');
  int.child.kill('SIGINT');
  assert.equal(await int.exited, 130);
  assert.match(int.err(), /interrupted at update \d+ of 1000; no checkpoint was written yet/);

  const killed = await startLongRun('h-run');
  const trainer = (JSON.parse(readFileSync(at('h-run/.lock'), 'utf8')) as { pid: number }).pid;
  killed.child.kill('SIGKILL');
  await killed.exited;
  let alive = true;
  for (let i = 0; i < 100 && alive; i++) {
    await new Promise((r) => setTimeout(r, 100));
    try { process.kill(trainer, 0); } catch { alive = false; }
  }
  assert.ok(!alive, `the training process ${trainer} outlived its wrapper`);
});

test('a model whose training cannot fit in memory is refused before anything is allocated, with the estimate', async () => {
  writeFileSync(at('huge.json'), JSON.stringify({ ...JSON.parse(readFileSync(at('tiny.json'), 'utf8')), hidden_size: 8192, intermediate_size: 28672, num_hidden_layers: 80, num_attention_heads: 64, num_key_value_heads: 8 }));
  const r = await train('m', { out: 'm-run', model: { config: 'huge.json' }, tokenizer: 'init/tokenizer.json' });
  assert.equal(r.code, 1);
  assert.match(r.err, /m\.json: the run needs about [\d.]+ GiB at its peak \([\d.]+ GiB for \d+ parameters with gradients and AdamW state\), more than the [\d.]+ GiB the reference backend may use/);
  assert.ok(!existsSync(at('m-run/metrics.jsonl')));
});
