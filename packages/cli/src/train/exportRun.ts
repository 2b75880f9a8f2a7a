import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { sampleEncoder, saveCheckpoint, writeFileAtomic } from '@safekey-ts/hf';
import { type Skipped, encodeSamples } from '@safekey-ts/safekey';
import { encodeSettings, loopSettings, readRunConfig, readRunData, startingPoint } from './runSetup.js';

/** The files of an exported run, relative to its directory. */
export const EXPORT_FILES = { config: 'run.json', data: 'data/train.jsonl', checkpoint: 'checkpoint', out: 'out' } as const;

export interface ExportResult { readonly dir: string; readonly samples: number; readonly skipped: readonly Skipped[] }

/**
 * `safekey export --run FILE --out DIR`: the run a training config describes, as a directory any engine can
 * train from without this project's tokenizer or defaults: `checkpoint/` (the starting model, head and
 * tokenizer, exactly where `safekey train` would start), `data/train.jsonl` (one line per trainable sample, in
 * the training order's indexing: `ids`, `promptEnd`, `keyStart`, `keyEnd`, `harmful`) and `run.json` (the config
 * pointing at them, with every setting the recipe would fill in written out, and `out: "out"`).
 */
export async function exportRun(configFile: string, outDir: string): Promise<E.Either<string, ExportResult>> {
  const run = readRunConfig(configFile);
  if (E.isLeft(run)) return run;
  const { cfg } = run.right;
  const raw = readRunData(run.right);
  if (E.isLeft(raw)) return raw;
  const start = await startingPoint(run.right, configFile);
  if (E.isLeft(start)) return start;
  const encode = encodeSettings(cfg, start.right.config);
  const enc = sampleEncoder(start.right.tokenizer);
  if (E.isLeft(enc)) return E.left(`the tokenizer: ${enc.left}`);
  const { samples, skipped } = encodeSamples(enc.right, raw.right, encode);
  if (samples.length === 0) return E.left(`no trainable samples (${skipped.length} skipped)`);

  const dir = resolve(outDir);
  const s = loopSettings(cfg, start.right.config);
  const config = {
    data: { train: EXPORT_FILES.data }, model: { checkpoint: EXPORT_FILES.checkpoint }, arm: s.arm, epochs: s.epochs,
    batchSize: s.batchSize, lr: { peak: s.peakLr, warmup: s.warmup, minRatio: s.minRatio }, seed: s.seed, out: EXPORT_FILES.out,
    weights: s.weights, extraEpochs: s.extraEpochs, accumulation: s.accumulation, weightDecay: s.adam.weightDecay,
    betas: [s.adam.beta1, s.adam.beta2], clip: s.clip, maxLength: encode.maxLength, uSentences: encode.uSentences,
    ...(cfg.backend ? { backend: cfg.backend } : {}),
    ...(start.right.lora ? { lora: { rank: start.right.lora.rank, alpha: start.right.lora.alpha, dropout: 0, targets: start.right.lora.targets } } : {}),
  };
  try { mkdirSync(join(dir, 'data'), { recursive: true }); } catch (e) { return E.left(`${dir}: ${(e as Error).message}`); }
  const saved = await saveCheckpoint(join(dir, EXPORT_FILES.checkpoint), {
    config: start.right.config, params: start.right.params.model, head: start.right.params.head, tokenizer: start.right.tokenizer,
    ...(start.right.tokenIds ? { tokenIds: start.right.tokenIds } : {}), ...(start.right.lora ? { lora: start.right.lora } : {}),
  });
  if (E.isLeft(saved)) return E.left(saved.left.message);
  const lines = samples.map((x) => JSON.stringify({ ids: x.ids, promptEnd: x.promptEnd, keyStart: x.keyStart, keyEnd: x.keyEnd, harmful: x.harmful }));
  for (const [file, text] of [[EXPORT_FILES.data, lines.map((l) => `${l}\n`).join('')], [EXPORT_FILES.config, `${JSON.stringify(config, null, 2)}\n`]] as const) {
    const written = await writeFileAtomic(join(dir, file), text);
    if (E.isLeft(written)) return E.left(written.left.message);
  }
  return E.right({ dir, samples: samples.length, skipped });
}
