import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import * as E from 'fp-ts/lib/Either.js';
import { BYTES_PER_ELEMENT, fromArray, getBackend, leaves, setBackend } from '@safekey-ts/core';
import { cpuBackend } from '@safekey-ts/cpu';
import { ADAPTER_FILES, loadCheckpoint, parseSafetensors, readAdapterFiles, saveCheckpoint, writeAdapterFiles } from '@safekey-ts/hf';
import { type ModelConfig, type ModelParams, forward, mergeLora, storeBase } from '@safekey-ts/safekey';
import { cli, hfDir } from './fixtures.js';

// An adapter PEFT made (random A and B on all seven projections of the Llama-3 fixture) and PEFT's own logits,
// adapted and after merge_and_unload (test/fixtures/scripts/make_lora_fixture.py).
const loraDir = `${hfDir}lora/`;
const exp = JSON.parse(readFileSync(`${loraDir}expected.json`, 'utf8')) as { ids: number[] };
const peftLogits = (() => {
  const st = parseSafetensors(new Uint8Array(readFileSync(`${loraDir}logits.safetensors`)), 'logits');
  if (E.isLeft(st)) throw new Error(st.left.message);
  return { adapted: st.right.tensors.get('adapted')!.data as Float32Array, merged: st.right.tensors.get('merged')!.data as Float32Array };
})();
const tmp = mkdtempSync(join(tmpdir(), 'safekey-lora-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const unwrapSaved = (r: E.Either<{ message: string }, unknown>) => assert.ok(E.isRight(r), E.isLeft(r) ? r.left.message : '');
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => { let w = 0; for (let i = 0; i < a.length; i++) w = Math.max(w, Math.abs(a[i]! - b[i]!)); return w; };
const logitsOf = (params: ModelParams, config: ModelConfig) =>
  forward(params, config, fromArray(Int32Array.from(exp.ids), [1, exp.ids.length], 'int32')).logits.dataSync();

async function base() {
  const ck = await loadCheckpoint(`${hfDir}models/llama3`);
  assert.ok(E.isRight(ck), E.isLeft(ck) ? ck.left.message : '');
  return ck.right;
}

describe('LoRA in PEFT\'s format', () => {
  test('an adapter PEFT wrote loads, and the adapted model\'s logits are PEFT\'s within 2e-5', async () => {
    const { config, params } = await base();
    const a = await readAdapterFiles(`${loraDir}adapter`, config);
    assert.ok(E.isRight(a) && a.right, E.isLeft(a) ? a.left.message : 'no adapter');
    assert.deepEqual({ ...a.right.spec, targets: [...a.right.spec.targets].sort() }, { rank: 4, alpha: 8, dropout: 0, targets: ['down', 'gate', 'k', 'o', 'q', 'up', 'v'] });
    const adapted = logitsOf({ ...params, adapter: a.right.adapter }, config);
    assert.ok(maxDiff(adapted, peftLogits.adapted) < 2e-5, `adapted: ${maxDiff(adapted, peftLogits.adapted)}`);
    assert.ok(maxDiff(logitsOf(params, config), peftLogits.adapted) > 1e-2, 'the adapter changes the logits (so the check above means something)');
    const merged = logitsOf(mergeLora({ ...params, adapter: a.right.adapter }), config);
    assert.ok(maxDiff(merged, peftLogits.merged) < 2e-5, `merged: ${maxDiff(merged, peftLogits.merged)}`);
  });

  test('over a base stored in bfloat16 (storeBase), the adapted logits are PEFT\'s over the base rounded to bfloat16, within 2e-5', async () => {
    const { config, params } = await base();
    const a = await readAdapterFiles(`${loraDir}adapter`, config);
    assert.ok(E.isRight(a) && a.right);
    const stored = storeBase(params, 'bfloat16');
    const bytes = (p: ModelParams) => leaves(p).reduce((n, { tensor }) => n + tensor.size * BYTES_PER_ELEMENT[tensor.dtype], 0);
    assert.deepEqual([stored.embed.dtype, stored.layers[0]!.q.dtype, stored.layers[0]!.down.dtype, stored.norm.dtype, stored.layers[0]!.inputNorm.dtype],
      ['bfloat16', 'bfloat16', 'bfloat16', 'float32', 'float32']);
    assert.ok(bytes(stored) < 0.51 * bytes(params), `${bytes(stored)} of ${bytes(params)} bytes`);
    const st = parseSafetensors(new Uint8Array(readFileSync(`${loraDir}bf16-base.safetensors`)), 'bf16-base');
    assert.ok(E.isRight(st));
    const want = st.right.tensors.get('adapted')!.data as Float32Array;
    const got = logitsOf({ ...stored, adapter: a.right.adapter }, config);
    assert.ok(maxDiff(got, want) < 2e-5, `bf16 base: ${maxDiff(got, want)}`);
    assert.ok(maxDiff(got, peftLogits.adapted) > 20 * maxDiff(got, want), `the rounding shows (${maxDiff(got, peftLogits.adapted)} from the float32 base's logits)`);
  });

  test('loadCheckpoint with matrixDtype bfloat16 stores the matrices as storeBase does, a BF16 file bit for bit, in about half the bytes', async () => {
    const peakOf = async (dir: string, matrixDtype: 'float32' | 'bfloat16') => {
      const before = getBackend(), b = cpuBackend();
      setBackend(b);
      try {
        const ck = await loadCheckpoint(dir, { matrixDtype });
        assert.ok(E.isRight(ck), E.isLeft(ck) ? ck.left.message : '');
        return { params: ck.right.params, peak: b.memory().peakBytes };
      } finally { setBackend(before); }
    };
    const f32 = await peakOf(`${hfDir}models/llama3`, 'float32'), bf16 = await peakOf(`${hfDir}models/llama3`, 'bfloat16');
    const bits = (p: ModelParams) => leaves(p).map(({ path, tensor }) => [path, tensor.dtype, Array.from(tensor.dataSync())]);
    assert.deepEqual(bits(bf16.params), bits(storeBase(f32.params, 'bfloat16')));
    assert.ok(bf16.peak < 0.55 * f32.peak, `peak ${bf16.peak} vs ${f32.peak} bytes`);
    // a checkpoint written in BF16 reads back as the same bits
    const { config, tokenizer } = await base();
    unwrapSaved(await saveCheckpoint(join(tmp, 'bf16-file'), { config, tokenizer, params: f32.params }, { weights: { dtype: 'BF16' } }));
    const fromFile = await peakOf(join(tmp, 'bf16-file'), 'bfloat16');
    assert.deepEqual(bits(fromFile.params), bits(bf16.params));
  });

  test('written back, the adapter has PEFT\'s tensor names, shapes and values', async () => {
    const { config } = await base();
    const a = await readAdapterFiles(`${loraDir}adapter`, config);
    assert.ok(E.isRight(a) && a.right);
    const w = await writeAdapterFiles(join(tmp, 'again'), config, a.right.spec, a.right.adapter);
    assert.ok(E.isRight(w), E.isLeft(w) ? w.left.message : '');
    const read = (dir: string) => {
      const st = parseSafetensors(new Uint8Array(readFileSync(join(dir, ADAPTER_FILES.weights))), dir);
      if (E.isLeft(st)) throw new Error(st.left.message);
      return new Map([...st.right.tensors].map(([n, t]) => [n, { shape: t.shape, data: Array.from(t.data) }]));
    };
    const ours = read(join(tmp, 'again')), peft = read(`${loraDir}adapter`);
    assert.deepEqual([...ours.keys()].sort(), [...peft.keys()].sort());
    for (const [n, t] of peft) assert.deepEqual(ours.get(n), t, n);
    const cfg = JSON.parse(readFileSync(join(tmp, 'again', ADAPTER_FILES.config), 'utf8'));
    assert.deepEqual([cfg.peft_type, cfg.r, cfg.lora_alpha, [...cfg.target_modules].sort()], ['LORA', 4, 8, ['down_proj', 'gate_proj', 'k_proj', 'o_proj', 'q_proj', 'up_proj', 'v_proj']]);
  });

  test('safekey merge --adapter writes a plain checkpoint whose logits are merge_and_unload\'s', async () => {
    const r = await cli('merge', '--checkpoint', `${hfDir}models/llama3`, '--adapter', `${loraDir}adapter`, '--out', join(tmp, 'merged'));
    assert.equal(r.code, 0, r.err);
    const ck = await loadCheckpoint(join(tmp, 'merged'));
    assert.ok(E.isRight(ck), E.isLeft(ck) ? ck.left.message : '');
    assert.equal(ck.right.params.adapter, undefined);
    const logits = logitsOf(ck.right.params, ck.right.config);
    assert.ok(maxDiff(logits, peftLogits.merged) < 2e-5, `${maxDiff(logits, peftLogits.merged)}`);
    const none = await cli('merge', '--checkpoint', `${hfDir}models/llama3`, '--out', join(tmp, 'nothing'));
    assert.equal(none.code, 1);
    assert.match(none.err, /llama3 has no adapter to merge \(give --adapter DIR\)/);
  });

  test('what this project does not compute is refused by field: DoRA, rsLoRA, a pattern of modules, an unknown module', async () => {
    const { config } = await base();
    const cases: [object, RegExp][] = [
      [{ use_dora: true }, /field 'use_dora': not supported/],
      [{ use_rslora: true }, /field 'use_rslora': not supported/],
      [{ target_modules: '.*proj' }, /field 'target_modules': a pattern/],
      [{ target_modules: ['q_proj', 'lm_head'] }, /field 'target_modules': 'lm_head' is not one of/],
    ];
    const { writeFileSync, mkdirSync, copyFileSync } = await import('node:fs');
    for (const [i, [patch, message]] of cases.entries()) {
      const dir = join(tmp, `bad-${i}`);
      mkdirSync(dir, { recursive: true });
      copyFileSync(`${loraDir}adapter/${ADAPTER_FILES.weights}`, join(dir, ADAPTER_FILES.weights));
      writeFileSync(join(dir, ADAPTER_FILES.config), JSON.stringify({ ...JSON.parse(readFileSync(`${loraDir}adapter/${ADAPTER_FILES.config}`, 'utf8')), ...patch }));
      const r = await readAdapterFiles(dir, config);
      assert.ok(E.isLeft(r), JSON.stringify(patch));
      assert.match(r.left.message, message);
      assert.ok(r.left.message.startsWith(join(dir, ADAPTER_FILES.config)));
    }
  });
});
