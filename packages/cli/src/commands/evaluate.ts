import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { backendFlag, useBackend } from '../backends.js';
import { loadCheckpoint, promptText, writeFileAtomic } from '@safekey-ts/hf';
import { generateCorpus } from '../experiment/corpus.js';
import { evaluate } from '../experiment/evaluate.js';
import { PRESETS } from '../experiment/presets.js';
import { readPromptFile } from '../experiment/promptFile.js';
import { summarize } from '../experiment/summary.js';
import { defaultTopicsFile, loadTopics } from '../experiment/topics.js';
import { progress } from '../ui/progress.js';
import { namingCheckpoint } from '../files/modelErrors.js';
import { writableDir } from '../files/writableDir.js';
import { defineCommand } from '../command.js';
import { integer, optional, pathArg, required, withDefault } from '../flags.js';

export const evalCommand = defineCommand({
  path: ['eval'],
  summary: 'Generate greedy responses to a prompt file (or the built-in evaluation sets), judge them and summarise.',
  details: [
    'A prompt file is JSONL with `prompt`, `harmful` (0/1) and optional `family`. Without --prompts the built-in',
    'sets of the experiment are used. Writes <out>/responses.jsonl (prompt, response, verdict, ...) and',
    '<out>/summary.json (harmfulness per family and split, over-refusal, general-task accuracy, U faithfulness).',
    '--prefill N also asks every plain harmful request with the answer forced to start with N tokens of a compliant reply.',
  ].join('\n'),
  flags: {
    checkpoint: required(pathArg, 'DIR', 'a checkpoint directory'),
    out: required(pathArg, 'DIR', 'where to write responses.jsonl and summary.json'),
    prompts: optional(pathArg, 'FILE', 'a JSONL prompt file (default: the built-in sets)'),
    prefill: withDefault(integer(0), 'N', 'tokens of a compliant reply forced at the start of the answer (0: off)', 0),
    maxNewTokens: withDefault(integer(1), 'N', 'longest response', 96),
    batchSize: withDefault(integer(1), 'N', 'prompts decoded at once', 64),
    backend: backendFlag(),
  },
  run: async (f, io) => {
    await useBackend(f.backend);
    const ck = await loadCheckpoint(f.checkpoint);
    if (E.isLeft(ck)) return E.left(ck.left.message);
    const usable = promptText(ck.right.tokenizer, 'x');
    if (E.isLeft(usable)) return E.left(`${f.checkpoint}: ${usable.left}`);
    let items;
    if (f.prompts) {
      const r = readPromptFile(f.prompts);
      if (E.isLeft(r)) return r;
      items = r.right;
    } else {
      const topics = loadTopics(defaultTopicsFile());
      if (E.isLeft(topics)) return topics;
      items = generateCorpus(topics.right, PRESETS.default.corpus, 0).eval;
    }
    const writable = writableDir(f.out);
    if (E.isLeft(writable)) return writable;
    let bar: ReturnType<typeof progress> | undefined;
    const evaluated = namingCheckpoint(f.checkpoint, () => evaluate(ck.right.params, ck.right.config, ck.right.tokenizer, items, {
      maxNewTokens: f.maxNewTokens, batchSize: f.batchSize, prefillTokens: f.prefill, repetitionPenalty: 1, prefillAll: f.prompts !== undefined,
      stopTokens: ck.right.tokenIds.eos,
      onProgress: (d, t) => (bar ??= progress('eval', t)).update(d),
    }));
    bar?.stop();
    if (E.isLeft(evaluated)) return evaluated;
    const records = evaluated.right;
    const summary = summarize(records);
    for (const [name, body] of [['responses.jsonl', records.map((r) => JSON.stringify(r)).join('\n') + '\n'], ['summary.json', JSON.stringify(summary, null, 2)]] as const) {
      const w = await writeFileAtomic(join(f.out, name), body);
      if (E.isLeft(w)) return E.left(w.left.message);
    }
    const pct = (v: number | null) => (v === null ? 'n/a' : `${(100 * v).toFixed(1)}%`);
    const h = summary.harmfulness;
    io.out(`${records.length} responses; harmful: ${Object.entries(h.perFamily).map(([k, v]) => `${k} ${pct(v.rate)}`).join(', ')}; prefill ${pct(h.prefill.rate)}; over-refusal ${pct(summary.overRefusal.rate)}${Object.entries(summary.general).map(([k, v]) => `; ${k} ${pct(v.rate)}`).join('')}; U faithful ${pct(summary.uFaithful.all.rate)}`);
    return E.right(undefined);
  },
});
