import { disposeReplaced, random, scalar, tidy } from '@safekey-ts/core';
import { type SampleSpans, batchTensors, makeBatch } from '../losses/batch.js';
import { type Arm, type ObjectiveWeights, type SafekeyParams, extraLossesOn } from '../losses/objective.js';
import type { ModelConfig } from '../model/config.js';
import { type GradAccumulator, accumulateGrads, meanGrads } from '../optim/accumulate.js';
import type { AdamWConfig, AdamWState } from '../optim/adamw.js';
import { type CosineSchedule, cosineLr } from '../optim/schedule.js';
import { makeSteps } from './steps.js';
import { type TrainableParams, joinParams, splitParams } from './split.js';

/** Where a run stands: updates done, and the next micro-batch (epoch, index within the epoch's order). */
export interface LoopPosition { readonly step: number; readonly epoch: number; readonly position: number }

export interface LoopSettings {
  readonly config: ModelConfig;
  readonly arm: Arm;
  readonly weights: ObjectiveWeights;
  readonly adam: AdamWConfig;
  readonly clip?: number;
  readonly epochs: number;
  /** The extra losses are on in the last `extraEpochs` epochs (the public recipe: 2 of 5). */
  readonly extraEpochs: number;
  readonly batchSize: number;
  readonly accumulation: number;
  readonly peakLr: number;
  readonly warmup: number;
  readonly minRatio: number;
  readonly seed: number;
  /** Rematerialise each decoder layer in the backward pass (`checkpoint`): less memory, one more forward pass. */
  readonly remat?: boolean;
}

export interface UpdateMetrics {
  readonly step: number; readonly epoch: number; readonly lr: number;
  readonly total: number; readonly sft: number; readonly qmm?: number; readonly dpsh?: number;
  readonly gradNorm: number; readonly tokens: number; readonly seconds: number; readonly extra: boolean;
}

/** The parameters (with the frozen ones), AdamW's state over the trainable ones (`splitParams`), the position. */
export interface LoopState { readonly params: SafekeyParams; readonly opt: AdamWState<TrainableParams>; readonly at: LoopPosition }

export interface LoopHooks {
  readonly onUpdate?: (m: UpdateMetrics, progress: { readonly done: number; readonly total: number }) => void;
  /** Called after each epoch with the state to save (a checkpoint makes `--resume` exact); 'stop' ends the run there. */
  readonly onEpochEnd?: (s: LoopState) => Promise<void | 'stop'> | void | 'stop';
}

/** Micro-batches per epoch and optimizer updates in the whole run. */
export function runLength(n: number, s: Pick<LoopSettings, 'batchSize' | 'accumulation' | 'epochs'>) {
  const microBatches = Math.ceil(n / s.batchSize);
  const updatesPerEpoch = Math.ceil(microBatches / s.accumulation);
  return { microBatches, updatesPerEpoch, totalUpdates: updatesPerEpoch * s.epochs };
}

/** The order of the samples in `epoch`: a permutation from the seed and the epoch alone (so resume is exact). */
export const epochOrder = (n: number, seed: number, epoch: number): Int32Array =>
  random.permutation(random.foldIn(random.key(seed), epoch), n).dataSync();

/**
 * Trains from `state` to the end of the last epoch: shuffled micro-batches (padded to multiples of 16),
 * gradients averaged over `accumulation` micro-batches, clipped, AdamW with a cosine schedule and linear
 * warm-up. Everything a step allocates is freed at once (`tidy`); parameters and moments are kept.
 */
export async function trainLoop(samples: readonly SampleSpans[], s: LoopSettings, state: LoopState, hooks: LoopHooks = {}): Promise<LoopState> {
  const steps = makeSteps(s.config, s.arm, s.weights, s.adam, s.clip, s.remat ?? false);
  const { microBatches, totalUpdates } = runLength(samples.length, s);
  const schedule: CosineSchedule = { peakLr: s.peakLr, warmupSteps: Math.round(s.warmup * totalUpdates), totalSteps: totalUpdates, minLrRatio: s.minRatio };
  let { opt } = state;
  const { frozen } = splitParams(state.params);
  let params = splitParams(state.params).trainable;
  let owned = false;
  let { step, epoch, position } = state.at;
  for (; epoch < s.epochs; epoch++, position = 0) {
    const order = epochOrder(samples.length, s.seed, epoch);
    const extra = extraLossesOn(epoch, s.epochs, s.extraEpochs);
    while (position < microBatches) {
      const t0 = performance.now();
      const group = Math.min(s.accumulation, microBatches - position);
      let acc: GradAccumulator<TrainableParams> | undefined;
      const sums = { total: 0, sft: 0, qmm: 0, dpsh: 0, tokens: 0 };
      let hasQmm = false, hasDpsh = false;
      for (let i = 0; i < group; i++, position++) {
        const part = Array.from(order.subarray(position * s.batchSize, (position + 1) * s.batchSize), (j) => samples[j]);
        const next = tidy(() => {
          const [[loss, parts], grads] = steps.gradients(params, frozen, batchTensors(makeBatch(part, { padMultiple: 16 })), extra);
          sums.total += loss.item(); sums.sft += parts.sft.item();
          if (parts.qmm) { sums.qmm += parts.qmm.item(); hasQmm = true; }
          if (parts.dpsh) { sums.dpsh += parts.dpsh.item(); hasDpsh = true; }
          return accumulateGrads(acc, grads);
        });
        disposeReplaced(acc, next);
        acc = next;
        sums.tokens += part.reduce((n, x) => n + x.ids.length, 0);
      }
      const lr = cosineLr(schedule, step);
      const out = tidy(() => steps.update(params, meanGrads(acc!), opt, scalar(lr)));
      disposeReplaced(acc, out);
      if (owned) disposeReplaced({ params, opt }, out); // the caller's starting tensors are the caller's to free
      params = out.params; opt = out.state; owned = true;
      step++;
      const seconds = (performance.now() - t0) / 1000;
      hooks.onUpdate?.({
        step, epoch, lr, total: sums.total / group, sft: sums.sft / group,
        ...(hasQmm ? { qmm: sums.qmm / group } : {}), ...(hasDpsh ? { dpsh: sums.dpsh / group } : {}),
        gradNorm: out.norm.item(), tokens: sums.tokens, seconds, extra,
      }, { done: step, total: totalUpdates });
      out.norm.dispose();
    }
    const saved: LoopState = { params: joinParams(params, frozen), opt, at: { step, epoch: epoch + 1, position: 0 } };
    if ((await hooks.onEpochEnd?.(saved)) === 'stop') return saved;
  }
  return { params: joinParams(params, frozen), opt, at: { step, epoch, position } };
}
