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
  corpus: { stage0PerRequest: 1, generalTrain: 8, generalEval: 4, stage1PerRequest: 1, evalHarmfulPerFamily: 2, requestsPerKind: 6 },
  vocabSize: 300, model: model(16, 1, 2), maxLength: 160,
  stage0: { epochs: 1, batchSize: 16, lr: 3e-3 }, stage1: { epochs: 2, extraEpochs: 1, batchSize: 8, lr: 1e-3 },
  arms: ['sft', 'safekey'], seeds: [1], eval: { maxNewTokens: 8, batchSize: 64, prefillTokens: 12, repetitionPenalty: 1 },
};

const QUICK: Preset = {
  name: 'quick', description: 'a smoke run within 5 minutes: one seed, a smaller corpus, a subset of the evaluation',
  corpus: { stage0PerRequest: 3, generalTrain: 400, generalEval: 40, stage1PerRequest: 3, evalHarmfulPerFamily: 8, everyday: 200, stage1General: 100 },
  vocabSize: 1024, model: model(64, 2, 4), maxLength: 160,
  stage0: { epochs: 14, batchSize: 32, lr: 1e-2 }, stage1: { epochs: 5, extraEpochs: 2, batchSize: 16, lr: 1.5e-3 },
  arms: ['sft', 'safekey'], seeds: [1], eval: { maxNewTokens: 64, batchSize: 64, prefillTokens: 16, repetitionPenalty: 1 },
};

const DEFAULT: Preset = {
  name: 'default', description: 'the comparison that finishes within 20 minutes on 2 cores: three seeds per arm, the whole evaluation',
  corpus: { stage0PerRequest: 4, generalTrain: 600, generalEval: 80, stage1PerRequest: 5, evalHarmfulPerFamily: 0, everyday: 400, stage1General: 150 },
  vocabSize: 1024, model: model(64, 2, 4), maxLength: 160,
  stage0: { epochs: 20, batchSize: 32, lr: 1e-2 }, stage1: { epochs: 5, extraEpochs: 2, batchSize: 16, lr: 1.5e-3 },
  arms: ['sft', 'safekey'], seeds: [1, 2, 3], eval: { maxNewTokens: 64, batchSize: 64, prefillTokens: 16, repetitionPenalty: 1 },
};

/** The default run plus the ablations: its stages are the default's, so it can continue a default run's directory. */
const FULL: Preset = {
  ...DEFAULT, name: 'full', description: 'the default run plus the ablations (DPSH only, QMM only, QMM without the mask)',
  arms: ['sft', 'safekey', 'dpsh-only', 'qmm-only', 'qmm-nomask'],
};

export const PRESETS: Readonly<Record<string, Preset>> = { tiny: TINY, quick: QUICK, default: DEFAULT, full: FULL };
