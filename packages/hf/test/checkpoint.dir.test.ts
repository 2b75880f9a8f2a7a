import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync, mkdirSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import * as E from 'fp-ts/lib/Either.js';
import { type Tensor, bf16Bits, bf16Value, leaves, mapLeaves, random, scalar } from '@safekey-ts/core';
import { type ModelConfig, type SafetyHead, adamwUpdate, hfLayout, initAdamW, initParams, initSafetyHead, safetyHeadNames } from '@safekey-ts/safekey';
import { type Checkpoint, type CheckpointDirError, type LoadedCheckpoint, type TensorToWrite, type Tokenizer, DEFAULT_CHAT_TEMPLATE, chatTemplateOf, f16BitsToNumber, loadCheckpoint, numberToF16Bits, parseSafetensors, promptText, saveCheckpoint, serializeSafetensors, trainBpe, headLayout } from '@safekey-ts/hf';
import { chatCorpus } from './fixtures/corpus.js';

const root = mkdtempSync(join(tmpdir(), 'safekey-ckpt-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = () => join(root, `c${++n}`);

const config: ModelConfig = {
  vocab_size: 300, hidden_size: 8, intermediate_size: 12, num_hidden_layers: 2, num_attention_heads: 2, num_key_value_heads: 1,
  rms_norm_eps: 1e-5, rope_theta: 10000, max_position_embeddings: 32, tie_word_embeddings: false,
};
const tokenizer = (() => { const r = trainBpe(chatCorpus(40), { vocabSize: 290 }); if (E.isLeft(r)) throw new Error(r.left.message); return r.right; })();
const model = initParams(random.key(1), config);
const head = initSafetyHead(random.key(2), config.hidden_size);
const trained = (() => {
  const p = { model, head };
  let state = initAdamW(p);
  for (let s = 0; s < 2; s++) {
    const grads = mapLeaves(p, (t, path) => random.normal(random.foldIn(random.key(3 + s), path.length), t.shape));
    state = adamwUpdate(p, grads, state, scalar(0.01)).state;
  }
  return state;
})();
const trainer = { step: 2, epoch: 1, position: 3, rngKey: random.key(99), note: { by: 'test' } };
const full: Checkpoint = { config, params: model, tokenizer, head, train: { optimizer: trained, trainer } };

const unwrap = <A>(r: E.Either<CheckpointDirError, A>): A => { if (E.isLeft(r)) throw new Error(r.left.message); return r.right; };
const leftOf = <A>(r: E.Either<CheckpointDirError, A>): CheckpointDirError => { if (E.isRight(r)) throw new Error('expected a Left'); return r.left; };
const bytes = (t: Tensor) => Buffer.from((t.dataSync() as Float32Array).buffer.slice(0));
const sameTensors = (a: unknown, b: unknown, what: string) => {
  const la = leaves(a), lb = leaves(b);
  assert.deepEqual(la.map((l) => l.path), lb.map((l) => l.path), `${what}: structure`);
  la.forEach((l, i) => {
    assert.deepEqual(l.tensor.shape, lb[i]!.tensor.shape, `${what}.${l.path}: shape`);
    assert.ok(bytes(l.tensor).equals(bytes(lb[i]!.tensor)), `${what}.${l.path}: bits`);
  });
};

/** Saves `c`, then rewrites one of its files with `edit` (given the parsed tensors) and loads. */
async function loadAfter(c: Checkpoint, file: string, edit: (t: Map<string, TensorToWrite>) => void) {
  const dir = fresh();
  unwrap(await saveCheckpoint(dir, c));
  const st = parseSafetensors(new Uint8Array(readFileSync(join(dir, file))), file);
  if (E.isLeft(st)) throw new Error(st.left.message);
  const m = new Map<string, TensorToWrite>([...st.right.tensors].map(([k, t]) => [k, { dtype: t.dtype === 'I32' ? 'I32' : 'F32', shape: t.shape, data: t.data }]));
  edit(m);
  writeFileSync(join(dir, file), serializeSafetensors(Object.fromEntries(m)));
  return loadCheckpoint(dir);
}

describe('checkpoint directory: save and load', () => {
  test('round trip is bit-identical: model, head, tokenizer, optimizer state, trainer state; Hugging Face layout', async () => {
    const dir = fresh();
    unwrap(await saveCheckpoint(dir, full));
    assert.deepEqual(readdirSync(dir).sort(), ['chat_template.jinja', 'config.json', 'generation_config.json', 'model.safetensors', 'optimizer.safetensors', 'safety_head.safetensors', 'tokenizer.json', 'tokenizer_config.json', 'trainer_state.json']);
    assert.deepEqual(readdirSync(root).filter((f) => f.startsWith('.')), [], 'no temp directory is left');
    const json = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    assert.deepEqual(json.architectures, ['LlamaForCausalLM']);
    assert.equal(json.model_type, 'llama');
    assert.equal(json.num_key_value_heads, 1);
    assert.equal(json.eos_token_id, tokenizer.addedIds.get('<|eos|>'));
    assert.equal(json.pad_token_id, tokenizer.addedIds.get('<|pad|>'));
    assert.equal(json.torch_dtype, 'float32');
    assert.deepEqual([json.rope_theta, json.rope_scaling, json.head_dim, json.attention_bias], [10000, null, undefined, false]);
    assert.deepEqual(JSON.parse(readFileSync(join(dir, 'generation_config.json'), 'utf8')), { eos_token_id: json.eos_token_id, pad_token_id: json.pad_token_id });
    const st = parseSafetensors(new Uint8Array(readFileSync(join(dir, 'model.safetensors'))), 'model.safetensors');
    assert.ok(E.isRight(st));
    assert.deepEqual([...st.right.tensors.keys()].sort(), hfLayout(config).map((l) => l.name).sort());
    assert.ok([...st.right.tensors.values()].every((t) => t.dtype === 'F32'));
    assert.deepEqual(st.right.metadata, { format: 'pt' });
    assert.deepEqual(headLayout(8).map((l) => l.name), safetyHeadNames(head).map(([name]) => name));

    const c: LoadedCheckpoint = unwrap(await loadCheckpoint(dir));
    assert.deepEqual(c.config, { ...config, model_type: 'llama', attention_bias: false, rope_scaling: null, sliding_window: null });
    assert.deepEqual(c.tokenIds, { eos: [json.eos_token_id], pad: json.pad_token_id });
    sameTensors(c.params, model, 'model');
    sameTensors(c.head, head, 'head');
    sameTensors(c.train!.optimizer, trained, 'optimizer');
    assert.equal(c.train!.optimizer.step.item(), 2);
    assert.deepEqual(c.train!.trainer, JSON.parse(JSON.stringify(trainer)));
    for (const key of ['model', 'addedTokens', 'preTokenizer', 'decoder', 'config'] as const) assert.deepEqual(c.tokenizer[key], tokenizer[key], key);
  });

  test('a model alone (tied embeddings, no head, no training state) round-trips too', async () => {
    const tied = { ...config, tie_word_embeddings: true };
    const params = initParams(random.key(5), tied);
    const dir = fresh();
    unwrap(await saveCheckpoint(dir, { config: tied, params, tokenizer }));
    assert.deepEqual(readdirSync(dir).sort(), ['chat_template.jinja', 'config.json', 'generation_config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']);
    const c = unwrap(await loadCheckpoint(dir));
    sameTensors(c.params, params, 'model');
    assert.equal(c.head, undefined);
    assert.equal(c.train, undefined);
  });

  test('saving over a checkpoint replaces it whole; a directory of other files is refused and left alone', async () => {
    const dir = fresh();
    unwrap(await saveCheckpoint(dir, full));
    unwrap(await saveCheckpoint(dir, { config, params: model, tokenizer }));
    assert.deepEqual(readdirSync(dir).sort(), ['chat_template.jinja', 'config.json', 'generation_config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']);
    const other = fresh();
    mkdirSync(other);
    writeFileSync(join(other, 'notes.txt'), 'mine');
    const e = leftOf(await saveCheckpoint(other, full));
    assert.equal(e.kind, 'NotACheckpointDir');
    assert.deepEqual(readdirSync(other), ['notes.txt']);
  });

  test('a failed save leaves the old checkpoint as it was and no temp directory', async () => {
    const dir = fresh();
    unwrap(await saveCheckpoint(dir, full));
    const before = readFileSync(join(dir, 'model.safetensors'));
    const bad = { ...full, head: { ...head, context: { ...head.context, weight: random.normal(random.key(1), [1, 9]) } } as SafetyHead };
    const e = leftOf(await saveCheckpoint(dir, bad));
    assert.equal(e.kind, 'ShapeMismatch');
    assert.match(e.message, /safety_head\.safetensors: tensor 'safety_head\.context\.weight': shape \[1, 9\], expected \[1, 8\]/);
    assert.ok(readFileSync(join(dir, 'model.safetensors')).equals(before));
    assert.deepEqual(readdirSync(root).filter((f) => f.startsWith('.')), []);
  });
});

describe('checkpoint directory: loading reports what is wrong, by file and tensor', () => {
  test('a truncated model file', async () => {
    const dir = fresh();
    unwrap(await saveCheckpoint(dir, full));
    const path = join(dir, 'model.safetensors');
    const b = readFileSync(path);
    writeFileSync(path, b.subarray(0, b.length - 10));
    const e = leftOf(await loadCheckpoint(dir));
    assert.equal(e.kind, 'Truncated');
    assert.match(e.message, /model\.safetensors: tensor '[^']+': data_offsets .* run past the end/);
    assert.ok(e.message.startsWith(path));
  });
  test('a corrupted header', async () => {
    const dir = fresh();
    unwrap(await saveCheckpoint(dir, full));
    const path = join(dir, 'safety_head.safetensors');
    const b = readFileSync(path);
    b[9] = 0x7b; // '{' inside the JSON header
    writeFileSync(path, b);
    const e = leftOf(await loadCheckpoint(dir));
    assert.equal(e.kind, 'MalformedHeader');
    assert.ok(e.message.startsWith(path));
  });
  test('a wrong shape, a missing tensor, an unknown tensor, a non-finite value, an integer dtype', async () => {
    let e = leftOf(await loadAfter(full, 'model.safetensors', (m) => m.set('model.norm.weight', { dtype: 'F32', shape: [9], data: new Float32Array(9) })));
    assert.equal(e.kind, 'ShapeMismatch');
    assert.match(e.message, /model\.safetensors: tensor 'model\.norm\.weight': shape \[9\], expected \[8\]$/);
    e = leftOf(await loadAfter(full, 'model.safetensors', (m) => m.delete('model.layers.1.mlp.up_proj.weight')));
    assert.equal(e.kind, 'MissingTensor');
    assert.match(e.message, /model\.safetensors: tensor 'model\.layers\.1\.mlp\.up_proj\.weight': missing/);
    e = leftOf(await loadAfter(full, 'optimizer.safetensors', (m) => m.delete('opt.v.safety_head.understanding.bias')));
    assert.match(e.message, /optimizer\.safetensors: tensor 'opt\.v\.safety_head\.understanding\.bias': missing/);
    e = leftOf(await loadAfter(full, 'model.safetensors', (m) => m.set('model.extra.weight', { dtype: 'F32', shape: [1], data: [0] })));
    assert.equal(e.kind, 'UnexpectedTensor');
    assert.match(e.message, /tensor 'model\.extra\.weight'/);
    e = leftOf(await loadAfter(full, 'safety_head.safetensors', (m) => m.set('safety_head.context.bias', { dtype: 'F32', shape: [1], data: [Number.NaN] })));
    assert.equal(e.kind, 'ValueOutOfRange');
    assert.match(e.message, /safety_head\.safetensors: tensor 'safety_head\.context\.bias': value NaN/);
    e = leftOf(await loadAfter(full, 'model.safetensors', (m) => m.set('model.norm.weight', { dtype: 'I32', shape: [8], data: new Int32Array(8) })));
    assert.equal(e.kind, 'UnsupportedDType');
    assert.match(e.message, /tensor 'model\.norm\.weight': dtype I32/);
  });
  test('config.json: bad JSON, a bad field, an unsupported variant, a missing file', async () => {
    const dir = fresh();
    unwrap(await saveCheckpoint(dir, full));
    const path = join(dir, 'config.json');
    const json = JSON.parse(readFileSync(path, 'utf8'));
    writeFileSync(path, '{"vocab_size": 300,');
    assert.equal(leftOf(await loadCheckpoint(dir)).kind, 'MalformedJson');
    writeFileSync(path, JSON.stringify({ ...json, hidden_size: 'eight' }));
    let e = leftOf(await loadCheckpoint(dir));
    assert.equal(e.kind, 'InvalidConfig');
    assert.match(e.message, /config\.json: hidden_size: expected a positive integer, got "eight"/);
    writeFileSync(path, JSON.stringify({ ...json, hidden_act: 'gelu', mlp_bias: true }));
    assert.match(leftOf(await loadCheckpoint(dir)).message, /config\.json: hidden_act "gelu" is not supported \(only "silu"\); mlp_bias true is not supported$/);
    writeFileSync(path, JSON.stringify({ ...json, model_type: 'gpt2', architectures: ['GPT2LMHeadModel'] }));
    assert.match(leftOf(await loadCheckpoint(dir)).message, /config\.json: model_type "gpt2" is not supported \(supported: llama \(LlamaForCausalLM\), qwen2 \(Qwen2ForCausalLM\), mistral \(MistralForCausalLM\)\)$/);
    writeFileSync(path, JSON.stringify({ ...json, rope_scaling: { rope_type: 'yarn', factor: 4 } }));
    assert.match(leftOf(await loadCheckpoint(dir)).message, /config\.json: rope_scaling\.rope_type "yarn" is not supported \(supported: default, linear, dynamic, llama3\)$/);
    writeFileSync(path, JSON.stringify({ ...json, num_key_value_heads: 3 }));
    assert.match(leftOf(await loadCheckpoint(dir)).message, /config\.json: .*not divisible/);
    unlinkSync(path);
    e = leftOf(await loadCheckpoint(dir));
    assert.equal(e.kind, 'FileError');
    assert.ok(e.message.startsWith(path));
  });
  test('the training state: both files needed, trainer_state.json validated, a too small vocabulary', async () => {
    const dir = fresh();
    unwrap(await saveCheckpoint(dir, full));
    const state = join(dir, 'trainer_state.json');
    writeFileSync(state, JSON.stringify({ ...trainer, step: -1 }));
    let e = leftOf(await loadCheckpoint(dir));
    assert.equal(e.kind, 'InvalidTrainerState');
    assert.match(e.message, /trainer_state\.json: step: expected non-negative integer, got -1/);
    unlinkSync(state);
    e = leftOf(await loadCheckpoint(dir));
    assert.equal(e.kind, 'IncompleteCheckpoint');
    assert.match(e.message, /trainer_state\.json: missing/);
    const small = fresh();
    const err = leftOf(await saveCheckpoint(small, { ...full, config: { ...config, vocab_size: 200 }, params: initParams(random.key(1), { ...config, vocab_size: 200 }), train: undefined }));
    assert.equal(err.kind, 'InvalidTokenizer');
    const badState = leftOf(await saveCheckpoint(fresh(), { ...full, train: { optimizer: trained, trainer: { ...trainer, epoch: 1.5 } } }));
    assert.equal(badState.kind, 'InvalidTrainerState');
    assert.match(badState.message, /^trainer_state\.json: epoch: expected non-negative integer, got 1\.5$/);
  });
});

describe('checkpoint directory: other tools\' files', () => {
  test('a tokenizer_config.json without a chat template, or none at all: the default template when the tokenizer has its tokens', async () => {
    const custom = { ...tokenizer, config: { ...tokenizer.config, chatTemplate: "{{ messages[0]['content'] }}|" } };
    const dir = fresh();
    unwrap(await saveCheckpoint(dir, { config, params: model, tokenizer: custom }));
    assert.deepEqual(promptText(unwrap(await loadCheckpoint(dir)).tokenizer, 'q'), E.right('q|'));
    unlinkSync(join(dir, 'chat_template.jinja'));
    writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify({ tokenizer_class: 'PreTrainedTokenizerFast' }));
    const loaded = unwrap(await loadCheckpoint(dir)).tokenizer;
    assert.equal(loaded.config.chatTemplate, null);
    assert.deepEqual(chatTemplateOf(loaded), E.right(DEFAULT_CHAT_TEMPLATE));
    unlinkSync(join(dir, 'tokenizer_config.json'));
    assert.deepEqual(promptText(unwrap(await loadCheckpoint(dir)).tokenizer, 'q'), E.right('<|user|>q<|end_of_turn|><|assistant|>'));
  });

  test('a tokenizer without a chat template nor the default format\'s tokens cannot make prompts (never text markers)', async () => {
    const plain = unwrap(trainBpe(chatCorpus(40), { vocabSize: 290, specialTokens: ['<|eos|>'] }) as E.Either<CheckpointDirError, Tokenizer>);
    const bare = { ...plain, config: { ...plain.config, chatTemplate: null } };
    assert.deepEqual(promptText(bare, 'q'), E.left('the tokenizer has no chat template (no chat_template in tokenizer_config.json, no chat_template.jinja) and lacks the default format\'s tokens <|user|> <|end_of_turn|> <|assistant|>'));
  });

  test('F16 model and BF16 head weights load as the float32 values they encode', async () => {
    const f16 = (x: number) => f16BitsToNumber(numberToF16Bits(x));
    const bf16 = (x: number) => bf16Value(bf16Bits(x));
    const dir = fresh();
    unwrap(await saveCheckpoint(dir, { config, params: model, tokenizer, head }));
    const recode = (file: string, dtype: 'F16' | 'BF16') => {
      const st = parseSafetensors(new Uint8Array(readFileSync(join(dir, file))), file);
      if (E.isLeft(st)) throw new Error(st.left.message);
      writeFileSync(join(dir, file), serializeSafetensors(Object.fromEntries([...st.right.tensors].map(([k, t]) => [k, { dtype, shape: t.shape, data: t.data }]))));
    };
    recode('model.safetensors', 'F16');
    recode('safety_head.safetensors', 'BF16');
    const c = unwrap(await loadCheckpoint(dir));
    const expect = (got: Tensor, orig: Tensor, round: (x: number) => number, what: string) =>
      assert.deepEqual(Array.from(got.dataSync()), Array.from(orig.dataSync(), round), what);
    hfLayout(config).forEach((l) => expect(l.get(c.params), l.get(model), f16, l.name));
    expect(c.head!.understanding.weight, head.understanding.weight, bf16, 'head');
  });
});
