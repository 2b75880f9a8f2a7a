import * as E from 'fp-ts/lib/Either.js';
import { tidy } from '@safekey-ts/core';
import { noGrad } from '@safekey-ts/autograd';
import { formatDataError, loadCheckpoint, readSamples, sampleEncoder } from '@safekey-ts/hf';
import { batchTensors, encodeSamples, makeBatch, safekeyLoss } from '@safekey-ts/safekey';
import { defineCommand } from '../command.js';
import { integer, pathArg, required, switchFlag, withDefault } from '../flags.js';

export const lossCommand = defineCommand({
  path: ['loss'],
  summary: 'Per-sample SafeKey losses of a checkpoint on a data file, so that other frameworks can cross-check them.',
  details: 'One JSON object per sample: ids, promptEnd, keyStart, keyEnd, harmful, sft (mean over its response tokens), qmm (mean over its K tokens), dpsh (needs the safety head).',
  flags: {
    checkpoint: required(pathArg, 'DIR', 'a checkpoint directory'),
    data: required(pathArg, 'FILE', 'a JSONL data file'),
    json: switchFlag('print JSON lines (the only format)'),
    maxLength: withDefault(integer(2), 'N', 'longest sequence kept', 1024),
  },
  run: async (f, io) => {
    const ck = await loadCheckpoint(f.checkpoint);
    if (E.isLeft(ck)) return E.left(ck.left.message);
    if (!ck.right.head) return E.left(`${f.checkpoint}: no safety_head.safetensors, so dpsh cannot be computed`);
    const raw = readSamples(f.data);
    if (E.isLeft(raw)) return E.left(formatDataError(raw.left));
    const { samples, skipped } = encodeSamples(sampleEncoder(ck.right.tokenizer), raw.right, { maxLength: f.maxLength });
    for (const s of skipped) io.err(`skipped sample ${s.index}: ${s.reason}`);
    const params = { model: ck.right.params, head: ck.right.head };
    for (const s of samples) noGrad(() => tidy(() => {
      const parts = safekeyLoss(params, ck.right.config, batchTensors(makeBatch([s])), { arm: 'safekey' });
      io.out(JSON.stringify({
        ids: s.ids, promptEnd: s.promptEnd, keyStart: s.keyStart, keyEnd: s.keyEnd, harmful: s.harmful,
        sft: parts.sft.perSample.item(), qmm: parts.qmm!.perSample.item(), dpsh: parts.dpsh!.perSample.item(),
      }));
    }));
    return E.right(undefined);
  },
});
