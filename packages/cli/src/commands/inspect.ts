import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { defineCommand } from '../command.js';
import * as t from 'io-ts';
import { describeField } from '@safekey-ts/hf';
import { readJsonlLines } from '../experiment/promptFile.js';
import { type OfferedPrompt, serveInspector } from '../inspect/server.js';
import { integer, optional, pathArg, repeated, withDefault } from '../flags.js';

/** The experiment's evaluation prompts beside a run's checkpoint (`REPORT/runs/RUN/checkpoint` -> `REPORT/data/eval.jsonl`). */
const experimentPrompts = (checkpoint: string): string | undefined => {
  const file = join(checkpoint, '..', '..', '..', 'data', 'eval.jsonl');
  return existsSync(file) ? file : undefined;
};

const Offered = t.intersection([
  t.type({ prompt: t.string, harmful: t.union([t.literal(0), t.literal(1), t.boolean]) }),
  t.partial({ kind: t.string, family: t.string }),
]);

/** The prompts of a JSONL file (the experiment's `eval.jsonl` or a user's prompt file): any `kind`, other fields ignored. */
const readOffered = (file: string): E.Either<string, OfferedPrompt[]> => readJsonlLines(file, (json) => {
  const r = Offered.decode(json);
  if (E.isLeft(r)) return E.left(describeField(r.left));
  const { prompt, harmful, kind, family } = r.right;
  return E.right({ prompt, harmful: harmful === true || harmful === 1 ? 1 : 0, ...(kind !== undefined ? { kind } : {}), ...(family !== undefined ? { family } : {}) });
});

export const inspectCommand = defineCommand({
  path: ['inspect'],
  summary: 'Open the inspector page: one or two checkpoints in the browser, on gpu.js WebGL.',
  details: [
    'Serves the inspector (packages/inspector, built with Vite on first use) and the given checkpoint folders on',
    '127.0.0.1, and prints the URL. The page runs the model itself (gpu.js WebGL, else gpu.js\'s JavaScript mode, and says which),',
    'generates greedily, marks U and K as the trainer finds them, plots the safety heads\' probabilities and K\'s',
    'attention per layer and head, and gives the judge\'s verdict. Two checkpoints open side by side. The prompts',
    'offered are --prompts, else the experiment\'s evaluation prompts when the checkpoint is a run of a report.',
    'Without --checkpoint the page opens checkpoint folders from disk. Stop with Ctrl-C.',
  ].join('\n'),
  flags: {
    checkpoint: repeated(pathArg, 'DIR', 'a checkpoint directory to open (at most two)'),
    port: withDefault(integer(0, 65535), 'N', 'the port (0: any free one)', 8470),
    prompts: optional(pathArg, 'FILE', 'JSONL evaluation prompts to offer (prompt, harmful, kind, family)'),
  },
  run: async (f, io) => {
    if (f.checkpoint.length > 2) return E.left(`--checkpoint: ${f.checkpoint.length} given, the page shows at most two side by side`);
    for (const dir of f.checkpoint)
      if (!existsSync(dir) || !statSync(dir).isDirectory()) return E.left(`--checkpoint ${dir}: no such directory`);
    const promptFile = f.prompts ?? f.checkpoint.map(experimentPrompts).find((p) => p !== undefined);
    let prompts: OfferedPrompt[] = [];
    if (promptFile !== undefined) {
      const read = readOffered(promptFile);
      if (E.isLeft(read)) return read;
      prompts = read.right;
    }
    const app = await import('@safekey-ts/inspector/build');
    if (app.appIsStale()) {
      io.err('building the inspector page (Vite)...');
      const built = await app.buildApp();
      io.err(`built ${built.dir} (${(built.jsBytes / 1024).toFixed(0)} KiB of JavaScript)`);
    }
    let server;
    try {
      server = await serveInspector({ appDir: app.appDist, checkpoints: f.checkpoint, prompts, port: f.port });
    } catch (e) {
      return E.left(`cannot listen on 127.0.0.1:${f.port}: ${(e as Error).message}${f.port !== 0 ? ' (try --port 0 for any free port)' : ''}`);
    }
    io.out(`SafeKey inspector: ${server.url}${promptFile ? ` (${prompts.length} prompts from ${promptFile})` : ''}`);
    io.err('Ctrl-C stops the server.');
    await new Promise<void>((done) => { process.once('SIGINT', done); process.once('SIGTERM', done); });
    await server.close();
    return E.right(undefined);
  },
});
