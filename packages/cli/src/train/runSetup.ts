import { dirname, resolve } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { getBackend, random } from '@safekey-ts/core';
import { type ModelTokenIds, type Tokenizer, describeField, formatDataError, readTextFileSync, unknownKey, loadCheckpoint, readConfigFile, readSamples, readTokenizerFile } from '@safekey-ts/hf';
import { type LoopSettings, type LoraSpec, type ModelConfig, type RawSample, type SafekeyParams, attentionSpan, dimsOf, initParams, initSafetyHead, lora, RECIPE, type BaseDtype } from '@safekey-ts/safekey';
import { TRAIN_RUN_DEFAULTS, type TrainConfig, TrainConfigCodec, crossFieldProblem } from './trainConfig.js';

/** A decoded run config and a resolver of the paths in it (relative to the config file). */
export interface RunConfig { readonly cfg: TrainConfig; readonly at: (path: string) => string }

export function readRunConfig(file: string): E.Either<string, RunConfig> {
  const text = readTextFileSync(file);
  if (E.isLeft(text)) return text;
  let json: unknown;
  try { json = JSON.parse(text.right); } catch (e) { return E.left(`${file}: not valid JSON: ${(e as Error).message}`); }
  const r = TrainConfigCodec.decode(json);
  if (E.isLeft(r)) return E.left(`${file}: ${describeField(r.left)}`);
  const problem = unknownKey(TrainConfigCodec, json) ?? crossFieldProblem(r.right, json);
  return problem ? E.left(`${file}: ${problem}`) : E.right({ cfg: r.right, at: (p: string) => resolve(dirname(file), p) });
}

/** The run's data files, as paths. */
export const dataFilesOf = ({ cfg, at }: RunConfig): string[] => (typeof cfg.data.train === 'string' ? [cfg.data.train] : cfg.data.train).map(at);

/** Every sample of the run's data files, in order. */
export function readRunData(run: RunConfig): E.Either<string, RawSample[]> {
  const raw: RawSample[] = [];
  for (const f of dataFilesOf(run)) {
    const r = readSamples(f);
    if (E.isLeft(r)) return E.left(formatDataError(r.left));
    raw.push(...r.right);
  }
  return E.right(raw);
}

export interface StartingPoint {
  readonly config: ModelConfig; readonly tokenizer: Tokenizer; readonly params: SafekeyParams;
  /** The adapter's spec when the run trains LoRA (`params.model.adapter` then holds the new adapter). */
  readonly lora?: LoraSpec;
  /** The checkpoint's bos/eos/pad ids, kept when its own tokenizer is used (absent for a new tokenizer). */
  readonly tokenIds?: ModelTokenIds;
}

/**
 * Where a new run starts: the config's checkpoint (with a new safety head from `foldIn(key(seed), 1)` when it has
 * none), or a fresh model and head from `split(key(seed))`; the config's tokenizer, when it names one, replaces
 * the checkpoint's.
 */
export async function startingPoint({ cfg, at }: RunConfig, configFile: string): Promise<E.Either<string, StartingPoint>> {
  let config: ModelConfig, tokenizer: Tokenizer, params: SafekeyParams, tokenIds: ModelTokenIds | undefined, kept: LoraSpec | undefined;
  const matrixDtype = baseDtypeOf(cfg, configFile);
  if (E.isLeft(matrixDtype)) return matrixDtype;
  if ('checkpoint' in cfg.model) {
    const ck = await loadCheckpoint(at(cfg.model.checkpoint), { matrixDtype: matrixDtype.right });
    if (E.isLeft(ck)) return E.left(ck.left.message);
    config = ck.right.config; tokenizer = ck.right.tokenizer; tokenIds = ck.right.tokenIds;
    params = { model: ck.right.params, head: ck.right.head ?? initSafetyHead(random.foldIn(random.key(cfg.seed), 1), dimsOf(config).d) };
    kept = ck.right.lora; // a checkpoint with an adapter goes on training that adapter
  } else {
    const c = await readConfigFile(at(cfg.model.config));
    if (E.isLeft(c)) return E.left(c.left.message);
    if (!cfg.tokenizer) return E.left(`${configFile}: field 'tokenizer' is needed to train a fresh model`);
    const t = await readTokenizerFile(at(cfg.tokenizer));
    if (E.isLeft(t)) return E.left(t.left.message);
    config = c.right.config; tokenizer = t.right;
    const [mk, hk] = random.split(random.key(cfg.seed), 2);
    params = { model: initParams(mk!, config), head: initSafetyHead(hk!, dimsOf(config).d) };
  }
  if (cfg.tokenizer && 'checkpoint' in cfg.model) {
    const t = await readTokenizerFile(at(cfg.tokenizer));
    if (E.isLeft(t)) return E.left(t.left.message);
    tokenizer = t.right;
    tokenIds = undefined; // the new tokenizer's own
  }
  if (cfg.lora) {
    if (params.model.adapter) return E.left(`${configFile}: field 'lora': the checkpoint already has an adapter; merge it first (safekey merge) or resume that run`);
    const spec: LoraSpec = { rank: cfg.lora.rank, alpha: cfg.lora.alpha, dropout: 0, targets: cfg.lora.targets };
    params = { ...params, model: lora(params.model, config, spec, random.foldIn(random.key(cfg.seed), 2)) };
    return E.right({ config, tokenizer, params, lora: spec, ...(tokenIds ? { tokenIds } : {}) });
  }
  return E.right({ config, tokenizer, params, ...(kept ? { lora: kept } : {}), ...(tokenIds ? { tokenIds } : {}) });
}

/**
 * The dtype the run's model matrices are loaded in: the config's `lora.baseDtype` (a frozen base; stored so as
 * each is read, for a new run and a resumed one alike), when the backend stores it; float32 otherwise.
 */
export function baseDtypeOf(cfg: TrainConfig, configFile: string): E.Either<string, BaseDtype> {
  const dtype = cfg.lora?.baseDtype ?? 'float32';
  const backend = getBackend();
  if (dtype !== 'float32' && !backend.dtypes.includes(dtype))
    return E.left(`${configFile}: field 'lora.baseDtype': the ${backend.name} backend${'path' in backend ? ` (${String(backend.path)} path)` : ''} does not store ${dtype}; use float32 there`);
  return E.right(dtype);
}

/** The loop's settings: the config's values, the recipe where it says nothing. */
export const loopSettings = (cfg: TrainConfig, config: ModelConfig): LoopSettings => ({
  config, arm: cfg.arm, weights: cfg.weights ?? RECIPE.weights,
  adam: { ...RECIPE.adam, ...(cfg.betas ? { beta1: cfg.betas[0], beta2: cfg.betas[1] } : {}), ...(cfg.weightDecay !== undefined ? { weightDecay: cfg.weightDecay } : {}) },
  clip: cfg.clip ?? RECIPE.clip, epochs: cfg.epochs, extraEpochs: cfg.extraEpochs ?? RECIPE.extraEpochs,
  batchSize: cfg.batchSize, accumulation: cfg.accumulation ?? RECIPE.accumulation,
  peakLr: cfg.lr.peak, warmup: cfg.lr.warmup ?? RECIPE.warmup, minRatio: cfg.lr.minRatio ?? RECIPE.minRatio, seed: cfg.seed,
  ...(cfg.onNonFinite ? { onNonFinite: cfg.onNonFinite } : {}),
  ...(cfg.remat ? { remat: true } : {}),
});

/**
 * The longest sequence kept and the sentences in U, with their defaults. A sample does not reach past a sliding
 * window (not implemented): it is cut there, or skipped when K is beyond it.
 */
export const encodeSettings = (cfg: TrainConfig, config: ModelConfig) => ({
  maxLength: Math.min(cfg.maxLength ?? TRAIN_RUN_DEFAULTS.maxLength, attentionSpan(config)), uSentences: cfg.uSentences ?? TRAIN_RUN_DEFAULTS.uSentences,
});
