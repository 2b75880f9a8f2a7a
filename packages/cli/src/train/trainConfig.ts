import * as t from 'io-ts';
import { ARMS, type Arm, LORA_TARGETS, type LoraTarget } from '@safekey-ts/safekey';

const Positive = t.refinement(t.number, (n) => Number.isFinite(n) && n > 0, 'positive number');
const PositiveInt = t.refinement(t.number, (n) => Number.isInteger(n) && n > 0, 'positive integer');
const NonNegInt = t.refinement(t.number, (n) => Number.isInteger(n) && n >= 0, 'non-negative integer');
const Seed = t.refinement(t.number, (n) => Number.isSafeInteger(n) && n >= 0, 'integer in [0, 2^53)');
const NonNegative = t.refinement(t.number, (n) => Number.isFinite(n) && n >= 0, 'number >= 0');
const Fraction = t.refinement(t.number, (n) => n >= 0 && n <= 1, 'number in [0, 1]');
/** As PyTorch's AdamW: a beta of 1 divides by zero in the bias correction. */
const Beta = t.refinement(t.number, (n) => n >= 0 && n < 1, 'number in [0, 1)');
const NonFinitePolicy = t.keyof({ stop: null, skip: null }, "'stop' or 'skip'");
const ArmCodec = t.keyof(Object.fromEntries(ARMS.map((a) => [a, null])) as Record<Arm, null>, 'arm');
const BackendName = t.keyof({ reference: null, cpu: null, gpujs: null }, 'backend');
const WeightsDtype = t.keyof({ float32: null, bfloat16: null, float16: null }, 'dtype');
const LoraTargetCodec = t.keyof(Object.fromEntries(LORA_TARGETS.map((x) => [x, null])) as Record<LoraTarget, null>, `one of ${LORA_TARGETS.join(', ')}`);
/** PEFT's dropout on the adapter's input needs a key per step; this trainer does plain LoRA (dropout 0). */
const NoDropout = t.refinement(t.number, (n) => n === 0, '0 (LoRA dropout is not implemented by this trainer)');
const LoraSection = t.intersection([
  t.type({ rank: t.refinement(t.number, (n) => Number.isInteger(n) && n > 0, 'positive integer'), alpha: t.refinement(t.number, (n) => Number.isFinite(n) && n > 0, 'positive number'), targets: t.array(LoraTargetCodec) }),
  t.partial({
    dropout: NoDropout,
    /** How the frozen base's matrices are stored: float32 (default) or bfloat16 (half the memory; products in float32). */
    baseDtype: t.keyof({ float32: null, bfloat16: null }, 'float32 or bfloat16'),
  }),
], 'lora');
const ShardSize = t.union([t.refinement(t.number, (n) => Number.isFinite(n) && n > 0, 'a positive number of bytes'), t.string], 'a size ("5GB", "500MB" or bytes)');

/**
 * `safekey train --config FILE`: what to train on, from where, how. Paths are relative to the config file.
 * Exactly one of `model.config` (a fresh model from a Hugging Face config.json) and `model.checkpoint`.
 */
export const TrainConfigCodec = t.intersection([
  t.type({
    data: t.type({ train: t.union([t.string, t.array(t.string)]) }),
    model: t.union([t.type({ config: t.string }), t.type({ checkpoint: t.string })]),
    arm: ArmCodec,
    epochs: PositiveInt,
    batchSize: PositiveInt,
    lr: t.intersection([t.type({ peak: Positive }), t.partial({ warmup: Fraction, minRatio: Fraction })]),
    seed: Seed,
    out: t.string,
  }),
  t.partial({
    tokenizer: t.string,
    weights: t.type({ qmm: NonNegative, dpsh: NonNegative }),
    extraEpochs: NonNegInt,
    accumulation: PositiveInt,
    weightDecay: NonNegative,
    betas: t.tuple([Beta, Beta]),
    clip: Positive,
    backend: BackendName,
    maxLength: PositiveInt,
    uSentences: PositiveInt,
    /** A non-finite loss, gradient norm or weight: 'stop' the run before that update (default) or 'skip' the update. */
    onNonFinite: NonFinitePolicy,
    /**
     * Train a LoRA adapter (PEFT's format) on the named projections instead of the whole model: the base is frozen,
     * the safety heads are trained in full. Needs `model.checkpoint`.
     */
    lora: LoraSection,
    /** Recompute each decoder layer in the backward pass instead of keeping its activations (less memory, one more forward). */
    remat: t.boolean,
    /**
     * How the checkpoint's model weights are written: `dtype` (default float32; bfloat16 and float16 round the
     * weights, so a resumed run continues from the rounded ones) and `maxShardSize`, above which they are split.
     */
    save: t.partial({ dtype: WeightsDtype, maxShardSize: ShardSize }),
  }),
], 'TrainConfig');
export type TrainConfig = t.TypeOf<typeof TrainConfigCodec>;

/** What the codec cannot say field by field: the settings that must agree with each other. */
export function crossFieldProblem(cfg: TrainConfig, json: unknown): string | undefined {
  const model = (json as { model?: object }).model ?? {};
  if ('config' in model && 'checkpoint' in model) return "field 'model': give either 'config' (a fresh model) or 'checkpoint', not both";
  if (cfg.extraEpochs !== undefined && cfg.extraEpochs > cfg.epochs) return `field 'extraEpochs': ${cfg.extraEpochs} is more than epochs (${cfg.epochs})`;
  if (cfg.lora && !('checkpoint' in model)) return "field 'lora': LoRA adapts a trained model: give model.checkpoint";
  if (cfg.lora && (cfg.lora.targets.length === 0 || new Set(cfg.lora.targets).size !== cfg.lora.targets.length)) return "field 'lora.targets': name each projection once, at least one";
  return undefined;
}

/** What `safekey train` uses where the config says nothing and the recipe (`RECIPE`) has no say. */
export const TRAIN_RUN_DEFAULTS = { backend: 'cpu' as const, maxLength: 256, uSentences: 1 };
