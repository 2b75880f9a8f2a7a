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
  /**
   * What a non-finite loss, gradient norm or updated weight does: 'stop' (default) ends the run before the update,
   * keeping the last good state; 'skip' drops that update (parameters and moments unchanged) and goes on, as
   * mixed-precision trainers do with an overflowed step.
   */
  readonly onNonFinite?: NonFinitePolicy;
}

export type NonFinitePolicy = 'stop' | 'skip';

/** The update a non-finite number stopped: which quantity, its value, and where in the run. */
export interface NonFiniteStop { readonly step: number; readonly epoch: number; readonly what: 'loss' | 'gradient norm' | 'updated weights'; readonly value: number }

/** One line for a stop: 'update 5 (epoch 2 of 3): the loss is NaN; stopped before applying it'. */
export const describeStop = (s: NonFiniteStop, epochs: number): string =>
  `update ${s.step} (epoch ${s.epoch + 1} of ${epochs}): the ${s.what === 'updated weights' ? 'updated weights are not finite' : `${s.what} is ${s.value}`}; stopped before applying it`;

/** The state at the end of the loop, with the stop that ended it early, if one did, and the updates skipped. */
export interface LoopResult extends LoopState { readonly stopped?: NonFiniteStop; readonly skippedUpdates: number }

export interface UpdateMetrics {
  readonly step: number; readonly epoch: number; readonly lr: number;
  readonly total: number; readonly sft: number; readonly qmm?: number; readonly dpsh?: number;
  readonly gradNorm: number; readonly tokens: number; readonly seconds: number; readonly extra: boolean;
  /** Present (true) on an update dropped for a non-finite number under `onNonFinite: 'skip'`. */
  readonly skipped?: true;
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
export async function trainLoop(samples: readonly SampleSpans[], s: LoopSettings, state: LoopState, hooks: LoopHooks = {}): Promise<LoopResult> {
  const steps = makeSteps(s.config, s.arm, s.weights, s.adam, s.clip, s.remat ?? false);
  const { microBatches, totalUpdates } = runLength(samples.length, s);
  const schedule: CosineSchedule = { peakLr: s.peakLr, warmupSteps: Math.round(s.warmup * totalUpdates), totalSteps: totalUpdates, minLrRatio: s.minRatio };
  let { opt } = state;
  const { frozen } = splitParams(state.params);
  let params = splitParams(state.params).trainable;
  let owned = false, skippedUpdates = 0;
  let { step, epoch, position } = state.at;
  for (; epoch < s.epochs; epoch++, position = 0) {
    const order = epochOrder(samples.length, s.seed, epoch);
    const extra = extraLossesOn(epoch, s.epochs, s.extraEpochs);
    while (position < microBatches) {
      const t0 = performance.now(), groupStart = position;
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
      const gradNorm = out.norm.item(), weightsCheck = out.weightsCheck.item();
      out.norm.dispose(); out.weightsCheck.dispose();
      const next = { params: out.params, opt: out.state };
      const bad = firstNonFinite(sums.total, gradNorm, weightsCheck);
      if (bad) {
        disposeReplaced(next, { params, opt }); // the rejected update's new tensors
        if ((s.onNonFinite ?? 'stop') === 'stop')
          return { params: joinParams(params, frozen), opt, at: { step, epoch, position: groupStart }, skippedUpdates, stopped: { step: step + 1, epoch, ...bad } };
        skippedUpdates++;
      } else {
        if (owned) disposeReplaced({ params, opt }, next); // the caller's starting tensors are the caller's to free
        params = out.params; opt = out.state; owned = true;
      }
      step++;
      const seconds = (performance.now() - t0) / 1000;
      hooks.onUpdate?.({
        step, epoch, lr, total: sums.total / group, sft: sums.sft / group,
        ...(hasQmm ? { qmm: sums.qmm / group } : {}), ...(hasDpsh ? { dpsh: sums.dpsh / group } : {}),
        gradNorm, tokens: sums.tokens, seconds, extra, ...(bad ? { skipped: true as const } : {}),
      }, { done: step, total: totalUpdates });
    }
    const saved: LoopState = { params: joinParams(params, frozen), opt, at: { step, epoch: epoch + 1, position: 0 } };
    if ((await hooks.onEpochEnd?.(saved)) === 'stop') return { ...saved, skippedUpdates };
  }
  return { params: joinParams(params, frozen), opt, at: { step, epoch, position }, skippedUpdates };
}

/** The first of the update's numbers that is not finite (the loss summed over its micro-batches, the gradient norm, the weights' check), if any. */
function firstNonFinite(loss: number, gradNorm: number, weightsCheck: number): Pick<NonFiniteStop, 'what' | 'value'> | undefined {
  if (!Number.isFinite(loss)) return { what: 'loss', value: loss };
  if (!Number.isFinite(gradNorm)) return { what: 'gradient norm', value: gradNorm };
  if (!Number.isFinite(weightsCheck)) return { what: 'updated weights', value: weightsCheck };
  return undefined;
}
