import type { Arm, ModelConfig } from '@safekey-ts/safekey';
import type { CorpusSizes } from './corpus.js';

/** Everything one experiment run uses. */
export interface Preset {
  readonly name: string;
  readonly description: string;
  readonly corpus: CorpusSizes;
  readonly vocabSize: number;
  readonly model: Omit<ModelConfig, 'vocab_size'>;
  readonly maxLength: number;
  readonly stage0: { readonly epochs: number; readonly batchSize: number; readonly lr: number };
  readonly stage1: { readonly epochs: number; readonly extraEpochs: number; readonly batchSize: number; readonly lr: number };
  readonly arms: readonly Arm[];
  readonly seeds: readonly number[];
  readonly eval: { readonly maxNewTokens: number; readonly batchSize: number; readonly prefillTokens: number; readonly repetitionPenalty: number };
}

const model = (d: number, layers: number, heads: number): Omit<ModelConfig, 'vocab_size'> => ({
  hidden_size: d, intermediate_size: Math.round((8 / 3) * d / 8) * 8, num_hidden_layers: layers, num_attention_heads: heads, num_key_value_heads: heads,
  rms_norm_eps: 1e-5, rope_theta: 10000, max_position_embeddings: 256, tie_word_embeddings: true,
});

const TINY: Preset = {
  name: 'tiny', description: 'a seconds-long smoke run for tests: a model too small to learn anything',
  corpus: { stage0PerRequest: 1, arithmeticTrain: 8, arithmeticEval: 4, stage1PerRequest: 1, evalHarmfulPerFamily: 2, requestsPerKind: 6 },
  vocabSize: 300, model: model(16, 1, 2), maxLength: 160,
  stage0: { epochs: 1, batchSize: 16, lr: 3e-3 }, stage1: { epochs: 2, extraEpochs: 1, batchSize: 8, lr: 1e-3 },
  arms: ['sft', 'safekey'], seeds: [1], eval: { maxNewTokens: 8, batchSize: 64, prefillTokens: 12, repetitionPenalty: 1 },
};

const QUICK: Preset = {
  name: 'quick', description: 'a smoke run of a few minutes: one seed, a subset of the evaluation',
  corpus: { stage0PerRequest: 2, arithmeticTrain: 300, arithmeticEval: 40, stage1PerRequest: 3, evalHarmfulPerFamily: 8 },
  vocabSize: 1024, model: model(64, 2, 4), maxLength: 160,
  stage0: { epochs: 8, batchSize: 32, lr: 1e-2 }, stage1: { epochs: 5, extraEpochs: 2, batchSize: 16, lr: 3e-3 },
  arms: ['sft', 'safekey'], seeds: [1], eval: { maxNewTokens: 64, batchSize: 64, prefillTokens: 16, repetitionPenalty: 1 },
};

const DEFAULT: Preset = {
  name: 'default', description: 'the comparison that finishes within 30 minutes on 2 cores: two seeds per arm, the whole evaluation',
  corpus: { stage0PerRequest: 2, arithmeticTrain: 300, arithmeticEval: 80, stage1PerRequest: 5, evalHarmfulPerFamily: 0 },
  vocabSize: 1024, model: model(64, 2, 4), maxLength: 160,
  stage0: { epochs: 14, batchSize: 32, lr: 1e-2 }, stage1: { epochs: 5, extraEpochs: 2, batchSize: 16, lr: 3e-3 },
  arms: ['sft', 'safekey'], seeds: [1, 2], eval: { maxNewTokens: 64, batchSize: 64, prefillTokens: 16, repetitionPenalty: 1 },
};

/** The default run plus a third seed and the ablations: its stages are the default's, so it can continue a default run's directory. */
const FULL: Preset = {
  ...DEFAULT, name: 'full', description: 'the default run with three seeds per arm and the ablations',
  arms: ['sft', 'safekey', 'dpsh-only', 'qmm-only', 'qmm-nomask'], seeds: [1, 2, 3],
};

export const PRESETS: Readonly<Record<string, Preset>> = { tiny: TINY, quick: QUICK, default: DEFAULT, full: FULL };
