import * as E from 'fp-ts/lib/Either.js';
import { defineCommand } from '../command.js';
import { pathArg, required } from '../flags.js';
import { exportRun } from '../train/exportRun.js';

export const exportCommand = defineCommand({
  path: ['export'],
  summary: 'Write a training run as a directory that PyTorch\'s engines train from (python/safekey_torch).',
  details: [
    '--run is the training config `safekey train --config` reads. The directory gets checkpoint/ (the starting model,',
    'safety head and tokenizer), data/train.jsonl (each trainable sample\'s token ids and exact U and K spans) and',
    'run.json (the config pointing at them, every recipe default written out, out: "out"). Then, for example:',
    '  accelerate launch --config_file python/configs/fsdp.yaml -m safekey_torch.train --config DIR/run.json',
  ].join('\n'),
  flags: {
    run: required(pathArg, 'FILE', 'the training config (JSON)'),
    out: required(pathArg, 'DIR', 'the directory to write'),
  },
  run: async (f, io) => {
    const r = await exportRun(f.run, f.out);
    if (E.isLeft(r)) return r;
    for (const s of r.right.skipped.slice(0, 5)) io.err(`${s.at}: skipped: ${s.reason}`);
    if (r.right.skipped.length > 5) io.err(`... ${r.right.skipped.length - 5} more skipped`);
    io.out(`exported ${r.right.samples} samples to ${r.right.dir}${r.right.skipped.length ? `; ${r.right.skipped.length} samples skipped` : ''}`);
    return E.right(undefined);
  },
});
