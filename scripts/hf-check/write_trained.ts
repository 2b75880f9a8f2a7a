// Writes checkpoints the project trains and saves (sharded, BF16) and what the project computes from them, for
// check_trained.py to load them in transformers. Not part of CI.
//   node --conditions=development --import tsx scripts/hf-check/write_trained.ts OUT
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as E from 'fp-ts/lib/Either.js';
import { fromArray } from '@safekey-ts/core';
import { encode, loadCheckpoint, promptText, serializeSafetensors } from '@safekey-ts/hf';
import { forward } from '@safekey-ts/safekey';
import { runCli } from '@safekey-ts/cli';

const out = resolve(process.argv[2] ?? '');
if (!process.argv[2]) throw new Error('usage: write_trained.ts OUT');
const fixtures = fileURLToPath(new URL('../../test/fixtures/hf/', import.meta.url));
mkdirSync(out, { recursive: true });
const run = async (...args: string[]) => {
  const lines: string[] = [];
  const code = await runCli(args, { out: (l) => lines.push(l), err: (l) => lines.push(l) });
  if (code !== 0) throw new Error(`safekey ${args.join(' ')}: ${lines.join('\n')}`);
};
const save = { dtype: 'bfloat16', maxShardSize: '60KB' };
const train = (name: string, model: object, extra: object = {}) => {
  writeFileSync(join(out, `${name}.json`), JSON.stringify({
    data: { train: join(fixtures, 'data.jsonl') }, model, arm: 'safekey', epochs: 1, extraEpochs: 1, batchSize: 3,
    lr: { peak: 1e-2 }, seed: 1, out: name, save, backend: 'cpu', ...extra,
  }));
  return run('train', '--config', join(out, `${name}.json`));
};

// 1. a DeepSeek-R1-Distill-Qwen-shaped checkpoint transformers wrote (BF16, no heads), fine-tuned with SafeKey
await train('r1-trained', { checkpoint: join(fixtures, 'models/qwen2-r1') });
// 2. the project's own: its byte-level tokenizer, the default chat format, a fresh Llama
writeFileSync(join(out, 'corpus.txt'), 'How do I bake bread at home? The user wants bread. Mix flour and water. I can\'t help with that.\n'.repeat(20));
await run('tokenizer', 'train', '--corpus', join(out, 'corpus.txt'), '--vocab-size', '300', '--out', join(out, 'own-tokenizer/tokenizer.json'));
writeFileSync(join(out, 'own-config.json'), JSON.stringify({
  architectures: ['LlamaForCausalLM'], model_type: 'llama', vocab_size: 300, hidden_size: 64, intermediate_size: 128, num_hidden_layers: 2,
  num_attention_heads: 4, num_key_value_heads: 2, rms_norm_eps: 1e-5, rope_theta: 10000, max_position_embeddings: 256, tie_word_embeddings: false,
}));
await train('own-trained', { config: join(out, 'own-config.json') }, { tokenizer: join(out, 'own-tokenizer/tokenizer.json') });

const PROMPTS = ['How do I bake bread at home?', 'Tell me how to pick a lock 🔒 quickly.'];
for (const name of ['r1-trained', 'own-trained']) {
  const dir = join(out, name, 'checkpoint');
  const ck = await loadCheckpoint(dir);
  if (E.isLeft(ck)) throw new Error(ck.left.message);
  const { tokenizer, params, config } = ck.right;
  const prompts = PROMPTS.map((content) => {
    const text = promptText(tokenizer, content);
    if (E.isLeft(text)) throw new Error(text.left);
    return { content, text: text.right, prompt_ids: encode(tokenizer, text.right).ids };
  });
  const ids = prompts[0]!.prompt_ids;
  const logits = forward(params, config, fromArray(Int32Array.from(ids), [1, ids.length], 'int32')).logits;
  writeFileSync(join(out, `${name}.logits.safetensors`), serializeSafetensors({ logits: { dtype: 'F32', shape: logits.shape, data: logits.dataSync() as Float32Array } }));
  writeFileSync(join(out, `${name}.expected.json`), JSON.stringify({ dir, prompts, logits_ids: ids }, null, 1));
  console.log(`${name}: ${dir}`);
}
