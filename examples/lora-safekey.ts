// SafeKey with a LoRA adapter on a Hugging Face checkpoint directory, then the adapter merged and the merged
// model evaluated on a prompt file:
//   node --conditions=development --import tsx examples/lora-safekey.ts HF_CHECKPOINT_DIR DATA.jsonl PROMPTS.jsonl OUT_DIR [EPOCHS]
// DATA.jsonl: query, response (<think>\n...\n</think>\n\nanswer), harmful (the public SafeKey names work too).
// PROMPTS.jsonl: prompt, harmful, optional family and kind. Writes OUT_DIR/run (the adapter run),
// OUT_DIR/merged (a plain checkpoint, as PEFT's merge_and_unload) and prints the evaluation summary.
import { writeFileSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { loadCheckpoint, saveCheckpoint } from '@safekey-ts/hf';
import { mergeLora } from '@safekey-ts/safekey';
import { evaluate, readPromptFile, runTraining, summarize, useBackend } from '@safekey-ts/cli';

const [base, data, prompts, out, epochs = '2'] = process.argv.slice(2);
if (!base || !data || !prompts || !out) { console.error('usage: lora-safekey.ts HF_CHECKPOINT_DIR DATA.jsonl PROMPTS.jsonl OUT_DIR [EPOCHS]'); process.exit(2); }
function fail(message: string): never { console.error(message); process.exit(1); }

// 1. the run: SafeKey's objective, LoRA rank 8 on every projection of the decoder, the safety heads in full
// (add `baseDtype: 'bfloat16'` to the lora section to keep the frozen base in half the memory on the cpu
// backend's native path)
mkdirSync(out, { recursive: true });
const configFile = join(out, 'run.json');
writeFileSync(configFile, JSON.stringify({
  data: { train: resolve(data) }, model: { checkpoint: resolve(base) }, out: 'run', arm: 'safekey',
  epochs: Number(epochs), extraEpochs: 1, batchSize: 2, accumulation: 1, lr: { peak: 2e-3, warmup: 0.1 }, seed: 1,
  lora: { rank: 8, alpha: 16, targets: ['q', 'k', 'v', 'o', 'gate', 'up', 'down'] },
}, null, 2));
const trained = await runTraining(configFile, { overwrite: true });
if (E.isLeft(trained)) fail(trained.left);

// 2. merge the adapter into the base weights: a plain checkpoint any Hugging Face tool loads
const ck = await loadCheckpoint(join(out, 'run', 'checkpoint'));
if (E.isLeft(ck)) fail(ck.left.message);
const { config, params, tokenizer, tokenIds, head } = ck.right;
const mergedDir = join(out, 'merged');
const saved = await saveCheckpoint(mergedDir, { config, params: mergeLora(params), tokenizer, tokenIds, ...(head ? { head } : {}) });
if (E.isLeft(saved)) fail(saved.left.message);
console.log(`adapter: ${join(out, 'run', 'checkpoint')} (adapter_config.json, adapter_model.safetensors); merged: ${mergedDir}`);

// 3. evaluate the merged model on the prompts (what `safekey eval --checkpoint OUT_DIR/merged --prompts FILE` does)
await useBackend('cpu');
const merged = await loadCheckpoint(mergedDir);
if (E.isLeft(merged)) fail(merged.left.message);
const items = readPromptFile(prompts);
if (E.isLeft(items)) fail(items.left);
const m = merged.right;
const records = evaluate(m.params, m.config, m.tokenizer, items.right, {
  maxNewTokens: 32, batchSize: 16, prefillTokens: 0, repetitionPenalty: 1, stopTokens: m.tokenIds.eos,
});
for (const r of records) console.log(`[${r.verdict}] ${r.prompt} -> ${JSON.stringify(r.response.slice(0, 60))}`);
const s = summarize(records);
console.log(JSON.stringify({ harmful: s.groups, overRefusal: s.overRefusal }));
