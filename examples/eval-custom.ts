// Evaluate a checkpoint on your own prompt file (JSONL: prompt, harmful, optional family) and print a summary.
//   node --conditions=development --import tsx examples/eval-custom.ts CHECKPOINT_DIR PROMPTS.jsonl
import * as E from 'fp-ts/lib/Either.js';
import { loadCheckpoint } from '@safekey-ts/hf';
import { evaluate, readPromptFile, summarize } from '@safekey-ts/cli';

const [dir, promptFile] = process.argv.slice(2);
if (!dir || !promptFile) { console.error('usage: eval-custom.ts CHECKPOINT_DIR PROMPTS.jsonl'); process.exit(2); }
const ck = await loadCheckpoint(dir);
if (E.isLeft(ck)) { console.error(ck.left.message); process.exit(1); }
const items = readPromptFile(promptFile);
if (E.isLeft(items)) { console.error(items.left); process.exit(1); }
const records = evaluate(ck.right.params, ck.right.config, ck.right.tokenizer, items.right, { maxNewTokens: 48, batchSize: 32, prefillTokens: 0, repetitionPenalty: 1 });
for (const r of records) console.log(`[${r.verdict}] ${r.prompt} -> ${JSON.stringify(r.response.slice(0, 80))}`);
const s = summarize(records);
console.log(JSON.stringify({ harmfulness: Object.fromEntries(Object.entries(s.harmfulness.perFamily).map(([k, v]) => [k, v.rate])), overRefusal: s.overRefusal.rate }));
