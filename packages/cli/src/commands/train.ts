import * as E from 'fp-ts/lib/Either.js';
import { runTraining } from '../train/runTraining.js';
import { defineCommand } from '../command.js';
import { BACKEND_NAMES, backendCodec } from '../backends.js';
import { optional, pathArg, required, switchFlag } from '../flags.js';

export const trainCommand = defineCommand({
  path: ['train'],
  summary: 'Train a model with plain SFT, SafeKey or an ablation, from a JSON config.',
  details: [
    'The config (checked field by field; an unknown key is an error) names the data files (JSONL: query, response,',
    'harmful, optional uEnd/kEnd as offsets into the response in Unicode code points, as Python counts them;',
    'or the public SafeKey field names), the model (a config.json for a fresh model, or a checkpoint to start from),',
    'arm (sft | safekey | dpsh-only | qmm-only | qmm-nomask), weights, epochs, extraEpochs, batchSize, accumulation,',
    'lr { peak, warmup, minRatio }, seed, backend, save { dtype, maxShardSize } and out. Paths are relative to the config',
    'file. The model may be any checkpoint this package reads (a Hugging Face Llama, Qwen2 or Mistral directory); one',
    'without safety heads gets fresh ones. Writes <out>/metrics.jsonl (one line per update) and <out>/checkpoint after',
    'every epoch. A run holds <out> while it lives (a second run there is refused); a new run refuses an <out> that holds an',
    'earlier one unless --overwrite (or --resume) says what to do with it. --resume refuses a config or data that changed',
    'since the checkpoint (--ignore-changes continues anyway). --backend overrides the config\'s backend.',
  ].join('\n'),
  flags: {
    config: required(pathArg, 'FILE', 'the training config (JSON)'),
    resume: switchFlag('continue exactly from <out>/checkpoint'),
    overwrite: switchFlag('replace the earlier run in <out> (its checkpoint and metrics are removed)'),
    'ignore-changes': switchFlag('with --resume: continue although the config or data changed since the checkpoint'),
    backend: optional(backendCodec, 'NAME', `the backend to train on (${BACKEND_NAMES.join(', ')}; default: the config's, else cpu)`),
  },
  run: async (f, io) => {
    const r = await runTraining(f.config, { resume: f.resume, overwrite: f.overwrite, ignoreChanges: f['ignore-changes'], log: io.err, ...(f.backend ? { backend: f.backend } : {}) });
    if (E.isLeft(r)) return r;
    io.out(`trained ${r.right.updates} updates; checkpoint ${r.right.checkpoint}; metrics ${r.right.metrics}${r.right.skipped ? `; ${r.right.skipped} samples skipped` : ''}`);
    return E.right(undefined);
  },
});
