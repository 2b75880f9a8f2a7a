import * as E from 'fp-ts/lib/Either.js';
import { leaves, random } from '@safekey-ts/core';
import { byteLevelTokenizer, checkVocabFits, readConfigFile, readTokenizerFile, saveCheckpoint, vocabSize } from '@safekey-ts/hf';
import { dimsOf, initParams, initSafetyHead } from '@safekey-ts/safekey';
import { backendFlag, useBackend } from '../backends.js';
import { defineCommand } from '../command.js';
import { integer, optional, pathArg, required, withDefault } from '../flags.js';

export const initCommand = defineCommand({
  path: ['init'],
  summary: 'Write a randomly initialised checkpoint (model and safety head) from a Hugging Face config.json (Llama, Qwen2 or Mistral).',
  details: [
    'Weights are normal(0, 0.02), norms 1, biases 0, all from --seed. Without --tokenizer the checkpoint gets a',
    'byte-level tokenizer with no merges plus the chat special tokens (263 tokens); with it, the given tokenizer.json',
    '(and the tokenizer_config.json and chat_template.jinja beside it). vocab_size must hold the tokenizer.',
    'The directory is written atomically; an existing checkpoint there is replaced.',
  ].join('\n'),
  flags: {
    config: required(pathArg, 'FILE', 'a Hugging Face config.json (model_type llama, qwen2 or mistral)'),
    out: required(pathArg, 'DIR', 'the checkpoint directory to write'),
    seed: withDefault(integer(0), 'N', 'the random seed', 0),
    tokenizer: optional(pathArg, 'FILE', 'a tokenizer.json (e.g. from `safekey tokenizer train`)'),
    backend: backendFlag(),
  },
  run: async (f, io) => {
    await useBackend(f.backend);
    const file = await readConfigFile(f.config);
    if (E.isLeft(file)) return E.left(file.left.message);
    const config = file.right.config;
    const tokenizer = f.tokenizer === undefined ? E.right(byteLevelTokenizer()) : await readTokenizerFile(f.tokenizer);
    if (E.isLeft(tokenizer)) return E.left(tokenizer.left.message);
    const fits = checkVocabFits(config, vocabSize(tokenizer.right), f.tokenizer ?? 'the byte-level tokenizer', f.config);
    if (E.isLeft(fits)) return E.left(fits.left.message);
    const [modelKey, headKey] = random.split(random.key(f.seed), 2);
    const params = initParams(modelKey!, config);
    const head = initSafetyHead(headKey!, dimsOf(config).d);
    const saved = await saveCheckpoint(f.out, { config, params, tokenizer: tokenizer.right, head });
    if (E.isLeft(saved)) return E.left(saved.left.message);
    const count = leaves(params).reduce((n, l) => n + l.tensor.size, 0);
    io.out(`wrote ${f.out}: ${dimsOf(config).family} model, ${count} parameters, safety head, tokenizer of ${vocabSize(tokenizer.right)} tokens`);
    return E.right(undefined);
  },
});
