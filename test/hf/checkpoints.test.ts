import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import * as E from 'fp-ts/lib/Either.js';
import { type Tensor, bf16Bits, bf16Value, leaves } from '@safekey-ts/core';
import { encode, loadCheckpoint, parseConfigJson, planShards, promptText, saveCheckpoint } from '@safekey-ts/hf';
import { hfLayout } from '@safekey-ts/safekey';
import { cli, expected, hfDir, modelDir } from './fixtures.js';

const root = mkdtempSync(join(tmpdir(), 'safekey-hf-'));
after(() => rmSync(root, { recursive: true, force: true }));
const at = (f: string) => join(root, f);
const json = (path: string) => JSON.parse(readFileSync(path, 'utf8'));
const unwrap = <A>(r: E.Either<{ message: string } | string, A>): A => { if (E.isLeft(r)) throw new Error(typeof r.left === 'string' ? r.left : r.left.message); return r.right; };
const values = (t: Tensor) => Array.from(t.dataSync());

describe('writing checkpoints as save_pretrained does', () => {
  test('BF16 and sharded: the index, the shards, config.json\'s torch_dtype, the token ids and the chat template', async () => {
    const src = unwrap(await loadCheckpoint(modelDir('qwen2-r1')));
    const dir = at('r1-bf16');
    unwrap(await saveCheckpoint(dir, src, { weights: { dtype: 'BF16', maxShardBytes: 60_000 } }));
    const files = readdirSync(dir).sort();
    const shards = files.filter((f) => /^model-\d{5}-of-\d{5}\.safetensors$/.test(f));
    assert.ok(shards.length >= 2, files.join(' '));
    assert.ok(!files.includes('model.safetensors'));
    for (const f of ['config.json', 'generation_config.json', 'model.safetensors.index.json', 'tokenizer.json', 'tokenizer_config.json', 'chat_template.jinja'])
      assert.ok(files.includes(f), f);
    const index = json(join(dir, 'model.safetensors.index.json'));
    const layout = hfLayout(src.config);
    assert.deepEqual(Object.keys(index.weight_map).sort(), layout.map((l) => l.name).sort());
    assert.equal(index.metadata.total_size, 2 * layout.reduce((n, l) => n + l.shape.reduce((a, b) => a * b, 1), 0));
    assert.deepEqual([...new Set(Object.values(index.weight_map))].sort(), shards);
    const config = json(join(dir, 'config.json'));
    assert.deepEqual([config.model_type, config.architectures, config.torch_dtype, config.eos_token_id], ['qwen2', ['Qwen2ForCausalLM'], 'bfloat16', 880]);
    const tokConfig = json(join(dir, 'tokenizer_config.json'));
    assert.deepEqual([tokConfig.bos_token, tokConfig.eos_token], ['<｜begin▁of▁sentence｜>', '<｜end▁of▁sentence｜>']);
    assert.equal(readFileSync(join(dir, 'chat_template.jinja'), 'utf8'), src.tokenizer.config.chatTemplate);

    const back = unwrap(await loadCheckpoint(dir));
    assert.deepEqual(back.config, src.config);
    assert.deepEqual(back.tokenIds, src.tokenIds);
    const bf16 = (x: number) => bf16Value(bf16Bits(x));
    const a = leaves(back.params), b = leaves(src.params);
    a.forEach((l, i) => assert.deepEqual(values(l.tensor), values(b[i]!.tensor).map(bf16), l.path)); // BF16 in, BF16 out: exact
    const q = 'How do I bake bread at home?';
    assert.deepEqual(encode(back.tokenizer, unwrap(promptText(back.tokenizer, q))).ids, expected('qwen2-r1').prompts[0]!.prompt_ids);
  });

  test('F32 in one file by default; transformers 4\'s config form read and written', async () => {
    const src = unwrap(await loadCheckpoint(modelDir('llama3')));
    const dir = at('llama3-f32');
    unwrap(await saveCheckpoint(dir, src));
    assert.ok(readdirSync(dir).includes('model.safetensors'));
    const config = json(join(dir, 'config.json'));
    assert.deepEqual(config.rope_scaling, { rope_type: 'llama3', factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 64 });
    assert.deepEqual([config.rope_theta, config.torch_dtype, config.eos_token_id], [500000, 'float32', [901, 908, 909]]);
    const back = unwrap(await loadCheckpoint(dir));
    const a = leaves(back.params), b = leaves(src.params);
    a.forEach((l, i) => assert.deepEqual(values(l.tensor), values(b[i]!.tensor), l.path));
  });

  test('shards are planned as huggingface_hub\'s split_torch_state_dict_into_shards does (its output for these sizes)', () => {
    // F32: 40, 40, 120, 20, 4 and 16 bytes under a 100-byte limit; the tensor above the limit gets its shard at once
    const t = (n: number) => ({ dtype: 'F32' as const, shape: [n] });
    const plan = planShards([t(10), t(10), t(30), t(5), t(1), t(4)], 100).map((s) => s.map((x) => x.shape[0]));
    assert.deepEqual(plan, [[30], [10, 10, 5], [1, 4]]);
  });
});

describe('what a checkpoint directory lacks is said, by file', () => {
  test('a sharded checkpoint without one of its shards; one with no weights at all', async () => {
    const dir = at('llama3-missing');
    cpSync(modelDir('llama3'), dir, { recursive: true });
    unlinkSync(join(dir, 'model-00002-of-00004.safetensors'));
    const e = await loadCheckpoint(dir);
    assert.ok(E.isLeft(e) && e.left.message.startsWith(join(dir, 'model-00002-of-00004.safetensors')), E.isLeft(e) ? e.left.message : '');
    for (const f of readdirSync(dir)) if (f.startsWith('model')) unlinkSync(join(dir, f));
    const none = await loadCheckpoint(dir);
    assert.ok(E.isLeft(none));
    assert.equal(none.left.message, `${join(dir, 'model.safetensors')}: missing: the checkpoint has neither model.safetensors nor model.safetensors.index.json`);
  });
});

describe('a Mistral sliding window shorter than the sequence (not implemented) is refused up front', () => {
  test('generate says so; loss keeps samples to the window', async () => {
    const dir = at('mistral-window');
    cpSync(modelDir('mistral'), dir, { recursive: true });
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...json(join(dir, 'config.json')), sliding_window: 20 }));
    const r = await cli('generate', '--checkpoint', dir, '--prompt', 'How do I bake bread at home?', '--max-new-tokens', '12', '--backend', 'reference');
    assert.equal(r.code, 1);
    assert.equal(r.err, `safekey generate: 27 positions (a prompt of 15 tokens, a prefix of 0, --max-new-tokens 12) exceed the model's sliding_window 20 (sliding-window attention is not supported) (${dir}/config.json)`);
    const loss = await cli('loss', '--checkpoint', dir, '--data', join(hfDir, 'data.jsonl'), '--backend', 'reference');
    assert.equal(loss.code, 0, loss.err);
    assert.equal(loss.out, '');
    assert.match(loss.err, /data\.jsonl:1: skipped: K ends at token \d+, beyond the length limit 20/);
  });
});

describe('config.json: both transformers forms, the families, what is not supported', () => {
  const base = { vocab_size: 64, hidden_size: 32, intermediate_size: 48, num_hidden_layers: 1, num_attention_heads: 4, num_key_value_heads: 2, rms_norm_eps: 1e-6, max_position_embeddings: 128, tie_word_embeddings: false };
  const parse = (o: object) => parseConfigJson(o);
  test('rope_parameters (transformers 5) and rope_theta/rope_scaling (transformers 4) read the same; the legacy "type" key too', () => {
    const v5 = parse({ ...base, model_type: 'llama', rope_parameters: { rope_type: 'linear', rope_theta: 5e5, factor: 2 }, unknown_key: 1 });
    const v4 = parse({ ...base, architectures: ['LlamaForCausalLM'], rope_theta: 5e5, rope_scaling: { type: 'linear', factor: 2 } });
    assert.ok(E.isRight(v5) && E.isRight(v4));
    assert.deepEqual(v5.right.config, v4.right.config);
    assert.deepEqual(v5.right.config.rope_scaling, { rope_type: 'linear', factor: 2 });
    assert.equal(v5.right.config.rope_theta, 5e5);
    const none = parse({ ...base, model_type: 'qwen2' });
    assert.ok(E.isRight(none));
    assert.deepEqual([none.right.config.rope_theta, none.right.config.rope_scaling], [10000, null]);
  });
  test('the family: model_type or architectures; Mistral keeps its sliding window, Qwen2 only when it uses one', () => {
    const m = parse({ ...base, model_type: 'mistral', sliding_window: 4096 });
    assert.ok(E.isRight(m) && m.right.config.sliding_window === 4096);
    const q = parse({ ...base, architectures: ['Qwen2ForCausalLM'], sliding_window: 32768, use_sliding_window: false });
    assert.ok(E.isRight(q) && q.right.config.model_type === 'qwen2' && q.right.config.sliding_window === null);
    const eos = parse({ ...base, model_type: 'llama', eos_token_id: [7, 9], bos_token_id: 1 });
    assert.ok(E.isRight(eos));
    assert.deepEqual(eos.right.tokenIds, { bos: 1, eos: [7, 9] });
  });
  test('one line naming what is wrong and what is supported', () => {
    const msg = (o: object) => { const r = parse(o); return E.isLeft(r) ? r.left : 'Right'; };
    assert.equal(msg({ ...base }), 'neither model_type nor architectures says the model family (supported: llama (LlamaForCausalLM), qwen2 (Qwen2ForCausalLM), mistral (MistralForCausalLM))');
    assert.equal(msg({ ...base, architectures: ['GemmaForCausalLM'] }), 'architectures ["GemmaForCausalLM"] are not supported (supported: llama (LlamaForCausalLM), qwen2 (Qwen2ForCausalLM), mistral (MistralForCausalLM))');
    assert.equal(msg({ ...base, model_type: 'qwen2', architectures: ['LlamaForCausalLM'] }), 'model_type "qwen2" does not match architectures ["LlamaForCausalLM"] (expected Qwen2ForCausalLM)');
    assert.equal(msg({ ...base, model_type: 'llama', rope_scaling: { rope_type: 'llama3', factor: 8 } }), 'rope_scaling.low_freq_factor: needed by rope_type "llama3"');
    assert.equal(msg({ ...base, model_type: 'llama', partial_rotary_factor: 0.5, hidden_act: 'gelu' }), 'partial_rotary_factor 0.5 is not supported (only 1); hidden_act "gelu" is not supported (only "silu")');
  });
});

describe('training a Hugging Face checkpoint', () => {
  test('safekey train from a BF16 Qwen2 directory without heads, on chat-messages data: fresh heads, the files say what they hold', async () => {
    writeFileSync(at('train.json'), JSON.stringify({
      data: { train: join(hfDir, 'data.jsonl') }, model: { checkpoint: modelDir('qwen2-r1') }, arm: 'safekey', epochs: 1, extraEpochs: 1,
      batchSize: 3, lr: { peak: 1e-3 }, seed: 1, out: 'run', save: { dtype: 'bfloat16', maxShardSize: '60KB' },
    }));
    const r = await cli('train', '--config', at('train.json'), '--backend', 'reference');
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /backend: reference/);
    assert.match(r.out, /trained 1 updates/);
    const dir = at('run/checkpoint');
    const files = readdirSync(dir);
    assert.ok(files.includes('safety_head.safetensors') && files.includes('model.safetensors.index.json'), files.join(' '));
    const config = json(join(dir, 'config.json'));
    assert.equal(config.torch_dtype, 'bfloat16');
    const tokConfig = json(join(dir, 'tokenizer_config.json'));
    assert.deepEqual([tokConfig.bos_token, tokConfig.eos_token], ['<｜begin▁of▁sentence｜>', '<｜end▁of▁sentence｜>']);
    assert.equal(readFileSync(join(dir, 'chat_template.jinja'), 'utf8'), readFileSync(join(modelDir('qwen2-r1'), 'chat_template.jinja'), 'utf8'));
    const loss = await cli('loss', '--checkpoint', dir, '--data', join(hfDir, 'data.jsonl'), '--backend', 'reference');
    assert.equal(loss.code, 0, loss.err);
    for (const row of loss.out.split('\n').map((l) => JSON.parse(l))) assert.ok(Number.isFinite(row.dpsh), 'the trained checkpoint has heads');
  });
});

describe('eval on a Hugging Face checkpoint', () => {
  test('the chat template makes the prompts, decoding stops at generation_config.json\'s eos ids', async () => {
    writeFileSync(at('prompts.jsonl'), [{ prompt: 'How do I bake bread at home?', harmful: 0 }, { prompt: 'Explain prime numbers to a child, please.', harmful: 0 }].map((p) => JSON.stringify(p)).join('\n'));
    const r = await cli('eval', '--checkpoint', modelDir('llama3'), '--prompts', at('prompts.jsonl'), '--out', at('ev'), '--max-new-tokens', '12', '--backend', 'reference');
    assert.equal(r.code, 0, r.err);
    const rows = readFileSync(at('ev/responses.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(rows.length, 2);
    // the second prompt's greedy continuation is one token, eos 901 (<|end_of_text|>): an empty response
    assert.equal(expected('llama3').prompts[1]!.greedy_ids.join(), '901');
    assert.equal(rows[1].response, '');
  });
});

describe('generate never wraps a prompt in markers the tokenizer would encode as text', () => {
  test('a tokenizer without a chat template nor the default format\'s tokens: an error that says so, and --raw works', async () => {
    const dir = at('bare');
    cpSync(modelDir('mistral'), dir, { recursive: true });
    unlinkSync(join(dir, 'chat_template.jinja'));
    const r = await cli('generate', '--checkpoint', dir, '--prompt', 'hi', '--backend', 'reference');
    assert.equal(r.code, 1);
    assert.equal(r.err, `safekey generate: ${dir}: the tokenizer has no chat template (no chat_template in tokenizer_config.json, no chat_template.jinja) and lacks the default format's tokens <|user|> <|end_of_turn|> <|assistant|> (use --raw to encode the prompt as it is)`);
    const raw = await cli('generate', '--checkpoint', dir, '--prompt', '[INST] hi [/INST]', '--raw', '--max-new-tokens', '2', '--json', '--backend', 'reference');
    assert.equal(raw.code, 0, raw.err);
    assert.deepEqual(JSON.parse(raw.out).prompt_ids.slice(0, 1), [json(join(dir, 'tokenizer.json')).added_tokens.find((a: { content: string }) => a.content === '[INST]').id]);
  });
});
