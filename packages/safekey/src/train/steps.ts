import { type Tensor, add, jit, leaves, mul, sum } from '@safekey-ts/core';
import { valueAndGrad } from '@safekey-ts/autograd';
import type { BatchTensors } from '../losses/batch.js';
import { type Arm, type ObjectiveWeights, type SafekeyParams, safekeyLoss } from '../losses/objective.js';
import type { ModelConfig } from '../model/config.js';
import { type AdamWConfig, type AdamWState, adamwUpdate } from '../optim/adamw.js';
import { clipByGlobalNorm, globalNorm } from '../optim/clip.js';
import { type FrozenParams, type TrainableParams, joinParams } from './split.js';

/** The loss parts a step reports (batch means; absent parts are those the arm or schedule leaves out). */
export interface StepParts { readonly sft: Tensor; readonly qmm?: Tensor; readonly dpsh?: Tensor }

/**
 * The compiled functions of one training run: the forward and backward pass (one trace per batch shape
 * and per schedule phase) and the clipped AdamW update, both over the trainable parameters only (`splitParams`:
 * frozen ones get no gradient and no moments). The learning rate is a tensor argument, so the schedule never
 * forces a retrace. `remat` rematerialises each decoder layer.
 */
export function makeSteps(config: ModelConfig, arm: Arm, weights: ObjectiveWeights, adam: AdamWConfig, clip: number | undefined, remat = false) {
  const lossOf = (extra: boolean) => (t: TrainableParams, f: FrozenParams, b: BatchTensors): readonly [Tensor, StepParts] => {
    const p: SafekeyParams = joinParams(t, f);
    const parts = safekeyLoss(p, config, b, { arm, weights, extra, remat });
    return [parts.total, { sft: parts.sft.batch, ...(parts.qmm ? { qmm: parts.qmm.batch } : {}), ...(parts.dpsh ? { dpsh: parts.dpsh.batch } : {}) }];
  };
  const grads = { plain: jit(valueAndGrad(lossOf(false), { hasAux: true })), extra: jit(valueAndGrad(lossOf(true), { hasAux: true })) };
  const update = jit((p: TrainableParams, g: TrainableParams, state: AdamWState<TrainableParams>, lr: Tensor) => {
    const c = clip !== undefined ? clipByGlobalNorm(g, clip) : { grads: g, norm: globalNorm(g) };
    const next = adamwUpdate(p, c.grads, state, lr, adam);
    return { params: next.params, state: next.state, norm: c.norm, weightsCheck: finiteCheck(next.params) };
  });
  return {
    gradients: (t: TrainableParams, f: FrozenParams, b: BatchTensors, extra: boolean) => (extra ? grads.extra : grads.plain)(t, f, b),
    update,
    stats: () => ({ grads: grads.extra.stats(), gradsPlain: grads.plain.stats(), update: update.stats() }),
  };
}

/** 0 when every weight of the tree is finite, NaN otherwise (x * 0 is NaN exactly for NaN and the infinities). */
function finiteCheck(tree: unknown): Tensor {
  return leaves(tree, 'finiteCheck').map((l) => sum(mul(l.tensor, 0))).reduce((a, b) => add(a, b));
}
