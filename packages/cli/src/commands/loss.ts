import * as E from 'fp-ts/lib/Either.js';
import { tidy } from '@safekey-ts/core';
import { noGrad } from '@safekey-ts/autograd';
import { formatDataError, loadCheckpoint, readSamples, sampleEncoder } from '@safekey-ts/hf';
import { attentionSpan, batchTensors, encodeSamples, makeBatch, nonFiniteModelError, safekeyLoss } from '@safekey-ts/safekey';
import { backendFlag, useBackend } from '../backends.js';
import { defineCommand } from '../command.js';
import { integer, pathArg, required, switchFlag, withDefault } from '../flags.js';

export const lossCommand = defineCommand({
  path: ['loss'],
  summary: 'Per-sample SafeKey losses of a checkpoint on a data file, so that other frameworks can cross-check them.',
  details: [
    'One JSON object per sample: ids, promptEnd, keyStart, keyEnd, harmful, sft (mean over its response tokens), qmm',
    '(mean over its K tokens), dpsh (null when the checkpoint has no safety_head.safetensors). The prompt is the chat',
    'template\'s rendering of the query; the response follows it without the opening the prompt already has, then eos.',
  ].join('\n'),
  flags: {
    checkpoint: required(pathArg, 'DIR', 'a checkpoint directory'),
    data: required(pathArg, 'FILE', 'a JSONL data file'),
    json: switchFlag('print JSON lines (the only format)'),
    maxLength: withDefault(integer(2), 'N', 'longest sequence kept', 1024),
    backend: backendFlag(),
  },
  run: async (f, io) => {
    await useBackend(f.backend);
    const ck = await loadCheckpoint(f.checkpoint);
    if (E.isLeft(ck)) return E.left(ck.left.message);
    const raw = readSamples(f.data);
    if (E.isLeft(raw)) return E.left(formatDataError(raw.left));
    const enc = sampleEncoder(ck.right.tokenizer);
    if (E.isLeft(enc)) return E.left(`${f.checkpoint}: ${enc.left}`);
    // a sample does not reach past a sliding window (not implemented): it is cut there, or skipped if K is beyond
    const { samples, skipped } = encodeSamples(enc.right, raw.right, { maxLength: Math.min(f.maxLength, attentionSpan(ck.right.config)) });
    for (const s of skipped) io.err(`${s.at}: skipped: ${s.reason}`);
    const head = ck.right.head;
    for (const [i, s] of samples.entries()) {
      const row = noGrad(() => tidy(() => {
        const batch = batchTensors(makeBatch([s]));
        const parts = head
          ? safekeyLoss({ model: ck.right.params, head }, ck.right.config, batch, { arm: 'safekey' })
          : safekeyLoss({ model: ck.right.params }, ck.right.config, batch, { arm: 'qmm-only' });
        return { sft: parts.sft.perSample.item(), qmm: parts.qmm!.perSample.item(), dpsh: parts.dpsh ? parts.dpsh.perSample.item() : null };
      }));
      const bad = (['sft', 'qmm', 'dpsh'] as const).find((k) => row[k] !== null && !Number.isFinite(row[k]));
      if (bad) return E.left(`${f.checkpoint}: ${nonFiniteModelError('loss', `the ${bad} loss of sample ${i + 1}`, ck.right.params, ck.right.config, s.ids).message}`);
      io.out(JSON.stringify({ ids: s.ids, promptEnd: s.promptEnd, keyStart: s.keyStart, keyEnd: s.keyEnd, harmful: s.harmful, ...row }));
    }
    return E.right(undefined);
  },
});
