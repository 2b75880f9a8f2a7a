import { type ModelConfig, dimsOf } from '../model/config.js';
import type { Arm } from '../losses/objective.js';
import type { LoraSpec } from '../model/loraAdapter.js';
import { type BaseDtype, projectionShapes } from '../model/lora.js';

/** What a training step holds at its peak, in bytes, by part. */
export interface MemoryEstimate {
  readonly parameters: number;
  /** Weights, gradients and AdamW's two moments (float32), the new copies an update makes, the step's temporaries. */
  readonly state: number;
  /** What one micro-batch's forward and backward passes hold (more with Query-Mask Modeling's masked pass). */
  readonly activations: number;
  readonly total: number;
}

/** Model parameters plus the safety head's (two `[1, d]` linears with a bias). */
export function parameterCount(config: ModelConfig): number {
  const m = dimsOf(config);
  const qDim = m.heads * m.headDim, kvDim = m.kvHeads * m.headDim;
  const perLayer = m.d * (qDim + 2 * kvDim) + qDim * m.d + 3 * m.d * m.ff + 2 * m.d + (m.qkvBias ? qDim + 2 * kvDim : 0) + (m.oBias ? m.d : 0);
  return m.layers * perLayer + m.vocab * m.d * (config.tie_word_embeddings ? 1 : 2) + m.d + 2 * (m.d + 1);
}

/** The weights LoRA adds: per layer and target, `rank x (in + out)`. */
export function adapterParameterCount(config: ModelConfig, spec: LoraSpec): number {
  const shapes = projectionShapes(config);
  return dimsOf(config).layers * spec.targets.reduce((n, t) => n + spec.rank * (shapes[t][0] + shapes[t][1]), 0);
}

/**
 * How a run trains, as far as its memory goes: LoRA (only the adapter and heads carry state) with its base stored
 * in float32 (default) or bfloat16, rematerialised layers.
 */
export interface MemoryOptions { readonly lora?: LoraSpec; readonly baseDtype?: BaseDtype; readonly remat?: boolean }

/**
 * The peak memory of a training step, from the config alone: bytes per parameter (float32 weights, gradients,
 * AdamW's moments, the update's new copies and the step's temporaries) and, per token of a micro-batch
 * (`batchSize` x `seqLength`), what the forward and backward passes hold: multiples of the vocabulary (logits,
 * softmax, their gradients), of the hidden width, and per layer of the hidden and MLP widths (with `remat`, one
 * layer's worth and each layer's saved input instead); Query-Mask Modeling's masked pass adds its own. The
 * factors are fitted (non-negative least squares on relative error) to the cpu backend's measured peaks
 * (`memory().peakBytes`) over 60 shapes each, with and without `remat`, and set 10% above the one that fits the
 * highest peak: the estimate errs high, by up to 2x (the tests check both bounds on shapes it was not fitted
 * on). A rematerialised run's saved layer inputs (4 bytes x hidden per layer and pass) are counted as such: the
 * fitted shapes have too few layers to show them.
 */
export function estimateTrainingMemory(config: ModelConfig, arm: Arm, batchSize: number, seqLength: number, opts: MemoryOptions = {}): MemoryEstimate {
  const m = dimsOf(config);
  const parameters = parameterCount(config);
  // with LoRA the base is held once (4 bytes a weight, 2 in bfloat16) and only the adapter and head carry gradients and moments
  const trained = opts.lora ? adapterParameterCount(config, opts.lora) + 2 * (m.d + 1) : parameters;
  const tokens = batchSize * seqLength;
  const masked = arm !== 'sft' && arm !== 'dpsh-only';
  const perToken = opts.remat
    ? 9 * m.vocab + 35 * m.d + 20 * m.ff + m.layers * 4 * m.d * (masked ? 2 : 1) + (masked ? 4 * m.vocab + 3 * m.ff : 0)
    : 13 * m.vocab + 30 * m.d + m.layers * (26 * m.d + 42 * m.ff) + (masked ? 5 * m.vocab + 5 * m.layers * m.ff : 0);
  const perTrained = opts.remat ? 51 : 46;
  const baseBytes = opts.baseDtype === 'bfloat16' ? 2 : 4;
  const state = opts.lora ? baseBytes * parameters + perTrained * trained : perTrained * parameters, activations = tokens * perToken;
  return { parameters, state, activations, total: state + activations };
}
