import { appendFileSync, existsSync, readFileSync, statfsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { type Backend, formatBytes, memoryLimit } from '@safekey-ts/core';
import { type BackendName, useBackend } from '../backends.js';
import { type ModelTokenIds, type Tokenizer, type WeightsFormat, checkVocabFits, loadCheckpoint, parseSize, readConfigFile, sampleEncoder, saveCheckpoint, vocabSize } from '@safekey-ts/hf';
import { type AdamWState, type LoopState, type ModelConfig, type RawSample, type TrainableParams, type UpdateMetrics, type LoraSpec, describeStop, encodeSamples, estimateTrainingMemory, initAdamW, parameterCount, splitParams, runLength, trainLoop } from '@safekey-ts/safekey';
import { progress } from '../ui/progress.js';
import { type RunConfig, dataFilesOf, encodeSettings, loopSettings, readRunConfig, readRunData, startingPoint, baseDtypeOf } from './runSetup.js';
import { type RunDir, claimRunDir } from './runDir.js';
import { fingerprintChange, runFingerprint } from './fingerprint.js';
import { TRAIN_RUN_DEFAULTS, type TrainConfig } from './trainConfig.js';

export interface TrainRunOptions {
  readonly resume?: boolean;
  /** Replace an earlier run in `out` (without it, a new run refuses a directory that holds one). */
  readonly overwrite?: boolean;
  /** With `resume`: continue although the settings or data changed since the checkpoint was saved. */
  readonly ignoreChanges?: boolean;
  /** The backend to train on, over the config's `backend`. */
  readonly backend?: BackendName;
  readonly log?: (line: string) => void;
}

export interface TrainRunResult { readonly checkpoint: string; readonly metrics: string; readonly skipped: number; readonly updates: number }

/**
 * `safekey train --config FILE`: reads and checks everything first (config, data, run directory, model,
 * tokenizer), then trains with a progress bar, appends one JSON line per update to `<out>/metrics.jsonl`, and
 * writes `<out>/checkpoint` (with the optimizer and trainer state) after every epoch. `resume` continues exactly
 * from that checkpoint. The run holds `out` (a lock file) from start to end.
 */
export async function runTraining(configFile: string, opts: TrainRunOptions = {}): Promise<E.Either<string, TrainRunResult>> {
  const log = opts.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  if (opts.resume && opts.overwrite) return E.left('--resume and --overwrite cannot go together: continue the run in out, or replace it');
  const run = readRunConfig(configFile);
  if (E.isLeft(run)) return run;
  const raw = readRunData(run.right);
  if (E.isLeft(raw)) return raw;
  const dir = await claimRunDir(run.right.at(run.right.cfg.out), opts.resume ? 'resume' : opts.overwrite ? 'overwrite' : 'new');
  if (E.isLeft(dir)) return dir;
  for (const n of dir.right.notes) log(n);
  try {
    return await trainIn(dir.right, run.right, raw.right, configFile, opts, log);
  } finally {
    dir.right.release();
  }
}

async function trainIn(dir: RunDir, run: RunConfig, raw: readonly RawSample[], configFile: string, opts: TrainRunOptions, log: (l: string) => void): Promise<E.Either<string, TrainRunResult>> {
  const { cfg, at } = run;
  const { checkpoint: ckptDir, metrics: metricsFile } = dir;
  const fingerprint = runFingerprint(cfg, dataFilesOf(run));
  const maxShardBytes = cfg.save?.maxShardSize === undefined ? undefined : parseSize(cfg.save.maxShardSize);
  if (maxShardBytes === undefined && cfg.save?.maxShardSize !== undefined) return E.left(`${configFile}: field 'save.maxShardSize': cannot read ${JSON.stringify(cfg.save.maxShardSize)} as a size`);
  const weights: Partial<WeightsFormat> = {
    ...(cfg.save?.dtype ? { dtype: ({ float32: 'F32', bfloat16: 'BF16', float16: 'F16' } as const)[cfg.save.dtype] } : {}),
    ...(maxShardBytes !== undefined ? { maxShardBytes } : {}),
  };

  // the backend first: every tensor below is made on it
  const chosen = await useBackend(opts.backend ?? (cfg.backend ?? TRAIN_RUN_DEFAULTS.backend) as BackendName);
  log(`backend: ${chosen.description}`);

  // a model whose weights and optimizer state alone cannot fit is refused before they are made
  const modelConfig = await readConfigFile(opts.resume ? join(ckptDir, 'config.json') : 'config' in cfg.model ? at(cfg.model.config) : join(at(cfg.model.checkpoint), 'config.json'));
  const stateTooBig = E.isRight(modelConfig) ? memoryProblem(modelConfig.right.config, cfg, 0, 0, chosen.backend, cfg.lora ? { ...cfg.lora, dropout: 0 } : undefined) : undefined;
  if (stateTooBig) return E.left(`${configFile}: ${stateTooBig}`);
  const noRoom = E.isRight(modelConfig) ? diskProblem(dir.out, modelConfig.right.config) : undefined;
  if (noRoom) return E.left(noRoom);

  // model, head and tokenizer: from the resume checkpoint, or where the config starts
  let state: LoopState, tok: Tokenizer, config: ModelConfig, tokenIds: ModelTokenIds | undefined, loraSpec: LoraSpec | undefined;
  if (opts.resume) {
    const matrixDtype = baseDtypeOf(cfg, configFile);
    if (E.isLeft(matrixDtype)) return matrixDtype;
    const ck = await loadCheckpoint(ckptDir, { matrixDtype: matrixDtype.right });
    if (E.isLeft(ck)) return E.left(`cannot resume: ${ck.left.message}`);
    const train = ck.right.train;
    if (!train || !ck.right.head || !train.optimizer.m.head) return E.left(`cannot resume: ${ckptDir} has no complete training state`);
    const changed = fingerprintChange(train.trainer.fingerprint, fingerprint);
    if (changed && !opts.ignoreChanges) return E.left(`cannot resume: ${changed} of ${configFile} changed since ${ckptDir} was saved; an exact resume needs the same ones (--ignore-changes continues anyway)`);
    if (changed) log(`resuming although ${changed} changed (--ignore-changes)`);
    config = ck.right.config; tok = ck.right.tokenizer; tokenIds = ck.right.tokenIds; loraSpec = ck.right.lora;
    state = {
      params: { model: ck.right.params, head: ck.right.head }, opt: train.optimizer as AdamWState<TrainableParams>,
      at: { step: train.trainer.step, epoch: train.trainer.epoch, position: train.trainer.position },
    };
  } else {
    const start = await startingPoint(run, configFile);
    if (E.isLeft(start)) return start;
    config = start.right.config; tok = start.right.tokenizer; tokenIds = start.right.tokenIds; loraSpec = start.right.lora;
    state = { params: start.right.params, opt: initAdamW(splitParams(start.right.params).trainable), at: { step: 0, epoch: 0, position: 0 } };
    const fits = checkVocabFits(config, vocabSize(tok), cfg.tokenizer ? at(cfg.tokenizer) : 'the tokenizer', 'config.json of the model');
    if (E.isLeft(fits)) return E.left(fits.left.message);
  }

  const enc = sampleEncoder(tok);
  if (E.isLeft(enc)) return E.left(`the tokenizer: ${enc.left}`);
  const { samples, skipped } = encodeSamples(enc.right, raw, encodeSettings(cfg, config));
  for (const s of skipped.slice(0, 5)) log(`${s.at}: skipped: ${s.reason}`);
  if (skipped.length > 5) log(`... ${skipped.length - 5} more skipped`);
  if (samples.length === 0) return E.left(`no trainable samples (${skipped.length} skipped)`);

  log(`${samples.length} samples (${skipped.length} skipped), arm ${cfg.arm}, ${cfg.epochs} epochs`);
  const settings = loopSettings(cfg, config);
  const { totalUpdates } = runLength(samples.length, settings);
  const longest = samples.reduce((n, x) => Math.max(n, x.ids.length), 0);
  const tooBig = memoryProblem(config, cfg, Math.min(cfg.batchSize, samples.length), longest, chosen.backend, loraSpec);
  if (tooBig) return E.left(`${configFile}: ${tooBig}`);
  if (state.at.step > totalUpdates) return E.left(`cannot resume: ${ckptDir} is at update ${state.at.step}, past the ${totalUpdates} updates of this run's settings and data`);

  if (opts.resume) keepMetricsUpTo(metricsFile, state.at.step);
  else writeFileSync(metricsFile, '');
  const bar = progress('train', totalUpdates);
  let saveFailure: string | undefined, tokens = 0, seconds = 0, step = state.at.step, lastSavedEpoch = existsSync(ckptDir) ? state.at.epoch : undefined;
  const kept = () => lastSavedEpoch === undefined ? 'no checkpoint was written yet' : `the last checkpoint (${ckptDir}, after epoch ${lastSavedEpoch}) is kept; --resume continues from it`;
  const onInterrupt = () => {
    bar.stop();
    log(`interrupted at update ${step} of ${totalUpdates}; ${kept()}`);
    process.exit(130);
  };
  process.once('SIGINT', onInterrupt);
  try {
    const final = await trainLoop(samples, settings, state, {
      onUpdate: (m: UpdateMetrics, p) => {
        const mem = chosen.backend.memory();
        // peak RSS from the OS (kilobytes there), the backend's own count of tensor bytes live now and at most
        appendFileSync(metricsFile, `${JSON.stringify({ ...m, peakRss: process.resourceUsage().maxRSS * 1024, liveBytes: mem.liveBytes, peakBytes: mem.peakBytes })}\n`);
        tokens += m.tokens; seconds += m.seconds; step = m.step;
        const parts: Record<string, string> = { loss: m.total.toFixed(3), sft: m.sft.toFixed(3) };
        if (m.qmm !== undefined) parts.qmm = m.qmm.toFixed(3);
        if (m.dpsh !== undefined) parts.dpsh = m.dpsh.toFixed(3);
        parts['tok/s'] = (tokens / Math.max(seconds, 1e-9)).toFixed(0);
        bar.update(p.done, parts);
      },
      onEpochEnd: async (s) => {
        const saved = await saveCheckpoint(ckptDir, {
          config, params: s.params.model, head: s.params.head, tokenizer: tok, ...(tokenIds ? { tokenIds } : {}), ...(loraSpec ? { lora: loraSpec } : {}),
          train: { optimizer: s.opt, trainer: { ...s.at, seed: cfg.seed, fingerprint } },
        }, { weights });
        if (E.isLeft(saved)) { saveFailure = saved.left.message; return 'stop'; }
        lastSavedEpoch = s.at.epoch;
        return undefined;
      },
    });
    bar.stop();
    if (saveFailure) return E.left(`cannot save the checkpoint after epoch ${final.at.epoch}: ${saveFailure}; ${kept()}`);
    if (final.stopped) return E.left(`${configFile}: ${describeStop(final.stopped, cfg.epochs)}; ${kept()}`);
    if (final.skippedUpdates > 0) log(`${final.skippedUpdates} updates skipped for non-finite numbers (onNonFinite: skip)`);
    return E.right({ checkpoint: ckptDir, metrics: metricsFile, skipped: skipped.length, updates: final.at.step });
  } finally {
    process.removeListener('SIGINT', onInterrupt);
  }
}

/** On resume, drops metric lines of updates after the checkpoint (they will be done again). */
function keepMetricsUpTo(file: string, step: number): void {
  let lines: string[] = [];
  try { lines = readFileSync(file, 'utf8').split('\n').filter(Boolean); } catch { /* no metrics yet */ }
  writeFileSync(file, lines.filter((l) => (JSON.parse(l) as { step: number }).step <= step).map((l) => `${l}\n`).join(''));
}

/** Why the run cannot fit the backend's memory (`estimateTrainingMemory` over its cap), or undefined. */
function memoryProblem(config: ModelConfig, cfg: TrainConfig, batch: number, tokens: number, backend: Backend, lora?: LoraSpec): string | undefined {
  const need = estimateTrainingMemory(config, cfg.arm, batch, tokens, { ...(lora ? { lora } : {}), ...(cfg.lora?.baseDtype ? { baseDtype: cfg.lora.baseDtype } : {}), remat: cfg.remat === true }), limit = memoryLimit(backend);
  if (need.total <= limit) return undefined;
  const acts = batch > 0 ? `, ${formatBytes(need.activations)} for a micro-batch of ${batch} x ${tokens} tokens` : '';
  return `the run needs about ${formatBytes(need.total)} at its peak (${formatBytes(need.state)} for ${need.parameters} parameters with gradients and AdamW state${acts}), more than the ${formatBytes(limit)} the ${backend.name} backend may use (setMemoryLimit); lower batchSize or maxLength, set remat: true, train a lora adapter, or train a smaller model`;
}

/**
 * Why `out` cannot take the checkpoints (float32 weights and AdamW's two moments, twice over while a save
 * replaces the last one), or undefined; where the file system does not say its free space, nothing is assumed.
 */
function diskProblem(out: string, config: ModelConfig): string | undefined {
  let free: number;
  try { const s = statfsSync(out); free = s.bavail * s.bsize; } catch { return undefined; }
  const need = 2 * 12 * parameterCount(config);
  return need > free ? `${out}: no room for the checkpoints: they need about ${formatBytes(need)} (a save keeps the last one until the new one is whole), the disk has ${formatBytes(free)} free` : undefined;
}
