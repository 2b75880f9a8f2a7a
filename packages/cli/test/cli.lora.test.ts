import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import * as E from 'fp-ts/lib/Either.js';
import { parseSafetensors } from '@safekey-ts/hf';
import { cli, reasoningSample, scratch, tinyConfigJson } from './cliHarness.js';

// `safekey train` with a lora section: the base stays as it was, the adapter (PEFT's files) and the heads move,
// the optimizer holds only their moments, resume is exact, and merge gives a plain checkpoint.
const at = scratch('safekey-lora-cli-');
const sample = reasoningSample;
const config = (extra: object) => JSON.stringify({
  data: { train: 'data.jsonl' }, model: { checkpoint: 'init' }, arm: 'safekey', epochs: 2, extraEpochs: 1, batchSize: 2,
  lr: { peak: 1e-2, warmup: 0 }, seed: 3, lora: { rank: 2, alpha: 4, targets: ['q', 'v', 'down'] }, ...extra,
});
const tensors = (file: string) => {
  const st = parseSafetensors(new Uint8Array(readFileSync(file)), file);
  if (E.isLeft(st)) throw new Error(st.left.message);
  return st.right.tensors;
};

before(async () => {
  writeFileSync(at('data.jsonl'), [sample('bake bread', 0), sample('hurt someone', 1), sample('plant a tree', 0), sample('steal a car', 1)].map((d) => JSON.stringify(d)).join('\n'));
  writeFileSync(at('tiny.json'), tinyConfigJson({ num_hidden_layers: 2 }));
  assert.equal((await cli('init', '--config', at('tiny.json'), '--out', at('init'))).code, 0);
});

test('a LoRA run freezes the base, trains the adapter and the heads, and keeps only their AdamW moments', async () => {
  writeFileSync(at('lora.json'), config({ out: 'run' }));
  const r = await cli('train', '--config', at('lora.json'));
  assert.equal(r.code, 0, r.err);
  assert.deepEqual(readFileSync(at('run/checkpoint/model.safetensors')), readFileSync(at('init/model.safetensors')));
  const adapter = tensors(at('run/checkpoint/adapter_model.safetensors'));
  assert.equal(adapter.size, 2 * 3 * 2, '2 layers x 3 targets x (A, B)');
  for (const [n, t] of adapter) if (n.includes('lora_B')) assert.ok(t.data.some((v) => v !== 0), `${n} moved from zero`);
  const opt = [...tensors(at('run/checkpoint/optimizer.safetensors')).keys()].filter((n) => n.startsWith('opt.m.'));
  assert.ok(opt.every((n) => n.includes('lora_') || n.includes('safety_head')), opt.join(', '));
  assert.equal(opt.length, adapter.size + 4);
});

test('remat (each layer recomputed in the backward pass) trains the same adapter, bit for bit', async () => {
  writeFileSync(at('straight.json'), config({ out: 'straight' }));
  assert.equal((await cli('train', '--config', at('straight.json'))).code, 0);
  writeFileSync(at('remat.json'), config({ out: 'remat', remat: true }));
  assert.equal((await cli('train', '--config', at('remat.json'))).code, 0);
  for (const f of ['adapter_model.safetensors', 'safety_head.safetensors', 'optimizer.safetensors'])
    assert.deepEqual(readFileSync(at(`remat/checkpoint/${f}`)), readFileSync(at(`straight/checkpoint/${f}`)), f);
});

test('merge folds the trained adapter in: a plain checkpoint whose losses equal the adapted model\'s', async () => {
  const m = await cli('merge', '--checkpoint', at('run/checkpoint'), '--out', at('merged'));
  assert.equal(m.code, 0, m.err);
  const adapted = await cli('loss', '--checkpoint', at('run/checkpoint'), '--data', at('data.jsonl'), '--json');
  const merged = await cli('loss', '--checkpoint', at('merged'), '--data', at('data.jsonl'), '--json');
  const rows = (s: string) => s.split('\n').map((l) => JSON.parse(l) as { sft: number; qmm: number; dpsh: number });
  rows(adapted.out).forEach((a, i) => {
    const b = rows(merged.out)[i]!;
    for (const k of ['sft', 'qmm', 'dpsh'] as const) assert.ok(Math.abs(a[k] - b[k]) <= 1e-5 * Math.max(1, Math.abs(a[k])), `${k}: ${a[k]} vs ${b[k]}`);
  });
});

test('lora settings that cannot work are refused by field', async () => {
  for (const [extra, message] of [
    [{ model: { config: 'tiny.json' }, tokenizer: 'init/tokenizer.json' }, /field 'lora': LoRA adapts a trained model: give model.checkpoint/],
    [{ lora: { rank: 2, alpha: 4, targets: ['q', 'qq'] } }, /field 'lora.targets\[1\]'/],
    [{ lora: { rank: 2, alpha: 4, targets: ['q'], dropout: 0.1 } }, /field 'lora.dropout': expected 0 \(LoRA dropout is not implemented by this trainer\)/],
    [{ lora: { rank: 2, alpha: 4, targets: ['q', 'q'] } }, /field 'lora.targets': name each projection once/],
  ] as const) {
    writeFileSync(at('bad.json'), config({ out: 'bad', ...extra }));
    const r = await cli('train', '--config', at('bad.json'));
    assert.equal(r.code, 1, JSON.stringify(extra));
    assert.match(r.err, message);
  }
});
