import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { type BackendName, useBackend } from '../backends.js';
import { type ModelTokenIds, type Tokenizer, type WeightsFormat, loadCheckpoint, parseSize, sampleEncoder, saveCheckpoint } from '@safekey-ts/hf';
import { type AdamWState, type LoopState, type ModelConfig, type SafekeyParams, type UpdateMetrics, describeStop, encodeSamples, initAdamW, runLength, trainLoop } from '@safekey-ts/safekey';
import { progress } from '../ui/progress.js';
import { encodeSettings, loopSettings, readRunConfig, readRunData, startingPoint } from './runSetup.js';
import { TRAIN_RUN_DEFAULTS } from './trainConfig.js';

export interface TrainRunOptions {
  readonly resume?: boolean;
  /** The backend to train on, over the config's `backend`. */
  readonly backend?: BackendName;
  readonly log?: (line: string) => void;
}

export interface TrainRunResult { readonly checkpoint: string; readonly metrics: string; readonly skipped: number; readonly updates: number }

/**
 * `safekey train --config FILE`: reads and checks everything first (config, data, model, tokenizer), then trains
 * with a progress bar, appends one JSON line per update to `<out>/metrics.jsonl`, and writes
 * `<out>/checkpoint` (with the optimizer and trainer state) after every epoch. `resume` continues exactly
 * from that checkpoint.
 */
export async function runTraining(configFile: string, opts: TrainRunOptions = {}): Promise<E.Either<string, TrainRunResult>> {
  const log = opts.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const run = readRunConfig(configFile);
  if (E.isLeft(run)) return run;
  const { cfg, at } = run.right;
  const out = at(cfg.out), ckptDir = join(out, 'checkpoint'), metricsFile = join(out, 'metrics.jsonl');
  const raw = readRunData(run.right);
  if (E.isLeft(raw)) return raw;

  // the backend first: every tensor below is made on it
  const chosen = await useBackend(opts.backend ?? (cfg.backend ?? TRAIN_RUN_DEFAULTS.backend) as BackendName);
  const maxShardBytes = cfg.save?.maxShardSize === undefined ? undefined : parseSize(cfg.save.maxShardSize);
  if (maxShardBytes === undefined && cfg.save?.maxShardSize !== undefined) return E.left(`${configFile}: field 'save.maxShardSize': cannot read ${JSON.stringify(cfg.save.maxShardSize)} as a size`);
  const weights: Partial<WeightsFormat> = {
    ...(cfg.save?.dtype ? { dtype: ({ float32: 'F32', bfloat16: 'BF16', float16: 'F16' } as const)[cfg.save.dtype] } : {}),
    ...(maxShardBytes !== undefined ? { maxShardBytes } : {}),
  };
  log(`backend: ${chosen.description}`);

  // model, head and tokenizer: from the resume checkpoint, or where the config starts
  let state: LoopState, tok: Tokenizer, config: ModelConfig, tokenIds: ModelTokenIds | undefined;
  if (opts.resume) {
    const ck = await loadCheckpoint(ckptDir);
    if (E.isLeft(ck)) return E.left(`cannot resume: ${ck.left.message}`);
    const train = ck.right.train;
    if (!train || !ck.right.head || !train.optimizer.m.head) return E.left(`cannot resume: ${ckptDir} has no complete training state`);
    config = ck.right.config; tok = ck.right.tokenizer; tokenIds = ck.right.tokenIds;
    state = {
      params: { model: ck.right.params, head: ck.right.head }, opt: train.optimizer as AdamWState<SafekeyParams>,
      at: { step: train.trainer.step, epoch: train.trainer.epoch, position: train.trainer.position },
    };
  } else {
    const start = await startingPoint(run.right, configFile);
    if (E.isLeft(start)) return start;
    config = start.right.config; tok = start.right.tokenizer; tokenIds = start.right.tokenIds;
    state = { params: start.right.params, opt: initAdamW(start.right.params), at: { step: 0, epoch: 0, position: 0 } };
  }

  const enc = sampleEncoder(tok);
  if (E.isLeft(enc)) return E.left(`the tokenizer: ${enc.left}`);
  const { samples, skipped } = encodeSamples(enc.right, raw.right, encodeSettings(cfg, config));
  for (const s of skipped.slice(0, 5)) log(`skipped sample ${s.index}: ${s.reason}`);
  if (skipped.length > 5) log(`... ${skipped.length - 5} more skipped`);
  if (samples.length === 0) return E.left(`no trainable samples (${skipped.length} skipped)`);

  log(`${samples.length} samples (${skipped.length} skipped), arm ${cfg.arm}, ${cfg.epochs} epochs`);
  const settings = loopSettings(cfg, config);

  mkdirSync(out, { recursive: true });
  if (!opts.resume) writeFileSync(metricsFile, '');
  else keepMetricsUpTo(metricsFile, state.at.step);
  const { totalUpdates } = runLength(samples.length, settings);
  const bar = progress('train', totalUpdates);
  let tokens = 0, seconds = 0, lastSavedEpoch: number | undefined;
  const final = await trainLoop(samples, settings, state, {
    onUpdate: (m: UpdateMetrics, p) => {
      appendFileSync(metricsFile, `${JSON.stringify(m)}\n`);
      tokens += m.tokens; seconds += m.seconds;
      const parts: Record<string, string> = { loss: m.total.toFixed(3), sft: m.sft.toFixed(3) };
      if (m.qmm !== undefined) parts.qmm = m.qmm.toFixed(3);
      if (m.dpsh !== undefined) parts.dpsh = m.dpsh.toFixed(3);
      parts['tok/s'] = (tokens / Math.max(seconds, 1e-9)).toFixed(0);
      bar.update(p.done, parts);
    },
    onEpochEnd: async (s) => {
      lastSavedEpoch = s.at.epoch;
      const saved = await saveCheckpoint(ckptDir, {
        config, params: s.params.model, head: s.params.head, tokenizer: tok, ...(tokenIds ? { tokenIds } : {}),
        train: { optimizer: s.opt, trainer: { ...s.at, seed: cfg.seed } },
      }, { weights });
      if (E.isLeft(saved)) throw new Error(saved.left.message);
    },
  });
  bar.stop();
  if (final.stopped) {
    const kept = existsSync(ckptDir) ? `the last checkpoint (${ckptDir}, after epoch ${lastSavedEpoch ?? state.at.epoch}) is kept; --resume continues from it` : 'no checkpoint was written before it';
    return E.left(`${configFile}: ${describeStop(final.stopped, cfg.epochs)}; ${kept}`);
  }
  if (final.skippedUpdates > 0) log(`${final.skippedUpdates} updates skipped for non-finite numbers (onNonFinite: skip)`);
  return E.right({ checkpoint: ckptDir, metrics: metricsFile, skipped: skipped.length, updates: final.at.step });
}

/** On resume, drops metric lines of updates after the checkpoint (they will be done again). */
function keepMetricsUpTo(file: string, step: number): void {
  let lines: string[] = [];
  try { lines = readFileSync(file, 'utf8').split('\n').filter(Boolean); } catch { /* no metrics yet */ }
  writeFileSync(file, lines.filter((l) => (JSON.parse(l) as { step: number }).step <= step).map((l) => `${l}\n`).join(''));
}
