import assert from 'node:assert/strict';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import * as E from 'fp-ts/lib/Either.js';
import { bf16Bits, bf16Value } from '@safekey-ts/core';
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

test('a bfloat16 base (lora.baseDtype) trains what a float32 base holding the bfloat16-rounded values trains, bit for bit', async () => {
  writeFileSync(at('bf16.json'), config({ out: 'bf16', lora: { rank: 2, alpha: 4, targets: ['q', 'v', 'down'], baseDtype: 'bfloat16' } }));
  const r = await cli('train', '--config', at('bf16.json'));
  assert.equal(r.code, 0, r.err);
  // the checkpoint keeps the base it trained on: the matrices' values rounded to bfloat16, the norms as they were
  const init = tensors(at('init/model.safetensors')), saved = tensors(at('bf16/checkpoint/model.safetensors'));
  let rounded = 0;
  for (const [name, t] of init) {
    const want = t.shape.length === 2 ? Array.from(t.data, (v) => bf16Value(bf16Bits(v))) : Array.from(t.data);
    assert.deepEqual(Array.from(saved.get(name)!.data), want, name);
    if (want.some((v, i) => v !== t.data[i])) rounded++;
  }
  assert.ok(rounded >= 10, `${rounded} tensors changed by the rounding`);
  // the same run from a float32 checkpoint holding those values
  cpSync(at('init'), at('init-rounded'), { recursive: true });
  cpSync(at('bf16/checkpoint/model.safetensors'), at('init-rounded/model.safetensors'));
  writeFileSync(at('f32r.json'), config({ out: 'f32r', model: { checkpoint: 'init-rounded' } }));
  assert.equal((await cli('train', '--config', at('f32r.json'))).code, 0);
  for (const f of ['adapter_model.safetensors', 'safety_head.safetensors', 'optimizer.safetensors'])
    assert.deepEqual(readFileSync(at(`bf16/checkpoint/${f}`)), readFileSync(at(`f32r/checkpoint/${f}`)), f);
});

test('lora settings that cannot work are refused by field', async () => {
  for (const [extra, message] of [
    [{ model: { config: 'tiny.json' }, tokenizer: 'init/tokenizer.json' }, /field 'lora': LoRA adapts a trained model: give model.checkpoint/],
    [{ lora: { rank: 2, alpha: 4, targets: ['q', 'qq'] } }, /field 'lora.targets\[1\]'/],
    [{ lora: { rank: 2, alpha: 4, targets: ['q'], dropout: 0.1 } }, /field 'lora.dropout': expected 0 \(LoRA dropout is not implemented by this trainer\)/],
    [{ lora: { rank: 2, alpha: 4, targets: ['q', 'q'] } }, /field 'lora.targets': name each projection once/],
    [{ lora: { rank: 2, alpha: 4, targets: ['q'], baseDtype: 'float16' } }, /field 'lora.baseDtype': expected float32 or bfloat16/],
    [{ lora: { rank: 2, alpha: 4, targets: ['q'], baseDtype: 'bfloat16' }, backend: 'gpujs' }, /field 'lora.baseDtype': the gpujs-\w+ backend does not store bfloat16; use float32 there/],
  ] as const) {
    writeFileSync(at('bad.json'), config({ out: 'bad', ...extra }));
    const r = await cli('train', '--config', at('bad.json'));
    assert.equal(r.code, 1, JSON.stringify(extra));
    assert.match(r.err, message);
  }
});
