import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { random } from '@safekey-ts/core';
import { type BackendName, useBackend } from '../backends.js';
import { type ModelTokenIds, type Tokenizer, type WeightsFormat, describeField, formatDataError, loadCheckpoint, parseSize, readConfigFile, readSamples, readTokenizerFile, sampleEncoder, saveCheckpoint } from '@safekey-ts/hf';
import { type AdamWState, attentionSpan, type LoopSettings, type LoopState, type ModelConfig, type RawSample, type SafekeyParams, type UpdateMetrics, dimsOf, encodeSamples, initAdamW, initParams, initSafetyHead, RECIPE, runLength, trainLoop } from '@safekey-ts/safekey';
import { progress } from '../ui/progress.js';
import { TRAIN_RUN_DEFAULTS, type TrainConfig, TrainConfigCodec } from './trainConfig.js';

export interface TrainRunOptions {
  readonly resume?: boolean;
  /** The backend to train on, over the config's `backend`. */
  readonly backend?: BackendName;
  readonly log?: (line: string) => void;
}

export interface TrainRunResult { readonly checkpoint: string; readonly metrics: string; readonly skipped: number; readonly updates: number }

const decodeConfig = (file: string): E.Either<string, TrainConfig> => {
  let json: unknown;
  try { json = JSON.parse(readFileSync(file, 'utf8')); } catch (e) { return E.left(`${file}: ${(e as Error).message}`); }
  const r = TrainConfigCodec.decode(json);
  return E.isRight(r) ? r : E.left(`${file}: ${describeField(r.left)}`);
};

/**
 * `safekey train --config FILE`: reads and checks everything first (config, data, model, tokenizer), then trains
 * with a progress bar, appends one JSON line per update to `<out>/metrics.jsonl`, and writes
 * `<out>/checkpoint` (with the optimizer and trainer state) after every epoch. `resume` continues exactly
 * from that checkpoint.
 */
export async function runTraining(configFile: string, opts: TrainRunOptions = {}): Promise<E.Either<string, TrainRunResult>> {
  const log = opts.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const cfgE = decodeConfig(configFile);
  if (E.isLeft(cfgE)) return cfgE;
  const cfg = cfgE.right;
  const at = (p: string) => resolve(dirname(configFile), p);
  const out = at(cfg.out), ckptDir = join(out, 'checkpoint'), metricsFile = join(out, 'metrics.jsonl');

  // data
  const raw: RawSample[] = [];
  for (const f of typeof cfg.data.train === 'string' ? [cfg.data.train] : cfg.data.train) {
    const r = readSamples(at(f));
    if (E.isLeft(r)) return E.left(formatDataError(r.left));
    raw.push(...r.right);
  }

  // the backend first: every tensor below is made on it
  const chosen = await useBackend(opts.backend ?? (cfg.backend ?? TRAIN_RUN_DEFAULTS.backend) as BackendName);
  const maxShardBytes = cfg.save?.maxShardSize === undefined ? undefined : parseSize(cfg.save.maxShardSize);
  if (maxShardBytes === undefined && cfg.save?.maxShardSize !== undefined) return E.left(`${configFile}: field 'save.maxShardSize': cannot read ${JSON.stringify(cfg.save.maxShardSize)} as a size`);
  const weights: Partial<WeightsFormat> = {
    ...(cfg.save?.dtype ? { dtype: ({ float32: 'F32', bfloat16: 'BF16', float16: 'F16' } as const)[cfg.save.dtype] } : {}),
    ...(maxShardBytes !== undefined ? { maxShardBytes } : {}),
  };
  log(`backend: ${chosen.description}`);

  // model, head and tokenizer: from the resume checkpoint, a starting checkpoint, or a fresh config
  const startDir = opts.resume ? ckptDir : 'checkpoint' in cfg.model ? at(cfg.model.checkpoint) : undefined;
  let state: LoopState, tok: Tokenizer, config: ModelConfig, tokenIds: ModelTokenIds | undefined = undefined;
  if (startDir) {
    const ck = await loadCheckpoint(startDir);
    if (E.isLeft(ck)) return E.left(opts.resume ? `cannot resume: ${ck.left.message}` : ck.left.message);
    config = ck.right.config; tok = ck.right.tokenizer; tokenIds = ck.right.tokenIds;
    const head = ck.right.head ?? initSafetyHead(random.foldIn(random.key(cfg.seed), 1), dimsOf(config).d);
    const params: SafekeyParams = { model: ck.right.params, head };
    const train = opts.resume ? ck.right.train : undefined;
    if (opts.resume && (!train || !train.optimizer.m.head)) return E.left(`cannot resume: ${ckptDir} has no complete training state`);
    state = train
      ? { params, opt: train.optimizer as AdamWState<SafekeyParams>, at: { step: train.trainer.step, epoch: train.trainer.epoch, position: train.trainer.position } }
      : { params, opt: initAdamW(params), at: { step: 0, epoch: 0, position: 0 } };
  } else {
    const c = await readConfigFile(at((cfg.model as { config: string }).config));
    if (E.isLeft(c)) return E.left(c.left.message);
    if (!cfg.tokenizer) return E.left(`${configFile}: field 'tokenizer' is needed to train a fresh model`);
    const t = await readTokenizerFile(at(cfg.tokenizer));
    if (E.isLeft(t)) return E.left(t.left.message);
    config = c.right.config; tok = t.right;
    const [mk, hk] = random.split(random.key(cfg.seed), 2);
    const params: SafekeyParams = { model: initParams(mk, config), head: initSafetyHead(hk, dimsOf(config).d) };
    state = { params, opt: initAdamW(params), at: { step: 0, epoch: 0, position: 0 } };
  }
  if (cfg.tokenizer && startDir && !opts.resume) {
    const t = await readTokenizerFile(at(cfg.tokenizer));
    if (E.isLeft(t)) return E.left(t.left.message);
    tok = t.right;
    tokenIds = undefined; // the new tokenizer's own
  }

  // a sample does not reach past a sliding window (not implemented): it is cut there, or skipped if K is beyond
  const maxLength = Math.min(cfg.maxLength ?? TRAIN_RUN_DEFAULTS.maxLength, attentionSpan(config));
  const enc = sampleEncoder(tok);
  if (E.isLeft(enc)) return E.left(`the tokenizer: ${enc.left}`);
  const { samples, skipped } = encodeSamples(enc.right, raw, { maxLength, uSentences: cfg.uSentences ?? TRAIN_RUN_DEFAULTS.uSentences });
  for (const s of skipped.slice(0, 5)) log(`skipped sample ${s.index}: ${s.reason}`);
  if (skipped.length > 5) log(`... ${skipped.length - 5} more skipped`);
  if (samples.length === 0) return E.left(`no trainable samples (${skipped.length} skipped)`);

  log(`${samples.length} samples (${skipped.length} skipped), arm ${cfg.arm}, ${cfg.epochs} epochs`);
  const settings: LoopSettings = {
    config, arm: cfg.arm, weights: cfg.weights ?? RECIPE.weights,
    adam: { ...RECIPE.adam, ...(cfg.betas ? { beta1: cfg.betas[0], beta2: cfg.betas[1] } : {}), ...(cfg.weightDecay !== undefined ? { weightDecay: cfg.weightDecay } : {}) },
    clip: cfg.clip ?? RECIPE.clip, epochs: cfg.epochs, extraEpochs: cfg.extraEpochs ?? RECIPE.extraEpochs,
    batchSize: cfg.batchSize, accumulation: cfg.accumulation ?? RECIPE.accumulation,
    peakLr: cfg.lr.peak, warmup: cfg.lr.warmup ?? RECIPE.warmup, minRatio: cfg.lr.minRatio ?? RECIPE.minRatio, seed: cfg.seed,
  };

  mkdirSync(out, { recursive: true });
  if (!opts.resume) writeFileSync(metricsFile, '');
  else keepMetricsUpTo(metricsFile, state.at.step);
  const { totalUpdates } = runLength(samples.length, settings);
  const bar = progress('train', totalUpdates);
  let tokens = 0, seconds = 0;
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
      const saved = await saveCheckpoint(ckptDir, {
        config, params: s.params.model, head: s.params.head, tokenizer: tok, ...(tokenIds ? { tokenIds } : {}),
        train: { optimizer: s.opt, trainer: { ...s.at, seed: cfg.seed } },
      }, { weights });
      if (E.isLeft(saved)) throw new Error(saved.left.message);
    },
  });
  bar.stop();
  return E.right({ checkpoint: ckptDir, metrics: metricsFile, skipped: skipped.length, updates: final.at.step });
}

/** On resume, drops metric lines of updates after the checkpoint (they will be done again). */
function keepMetricsUpTo(file: string, step: number): void {
  let lines: string[] = [];
  try { lines = readFileSync(file, 'utf8').split('\n').filter(Boolean); } catch { /* no metrics yet */ }
  writeFileSync(file, lines.filter((l) => (JSON.parse(l) as { step: number }).step <= step).map((l) => `${l}\n`).join(''));
}
