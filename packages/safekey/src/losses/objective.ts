import { type Tensor, add, mul } from '@safekey-ts/core';
import type { ModelConfig } from '../model/config.js';
import { RECIPE } from '../train/recipe.js';
import { forward } from '../model/decoder.js';
import type { ModelParams } from '../model/params.js';
import type { BatchTensors } from './batch.js';
import type { SafetyHead } from './head.js';
import { type LossValue, dpshLoss, prefix, qmmLoss, sftLoss } from './losses.js';

/** Training arms: plain SFT, SafeKey, and the ablations. */
export const ARMS = ['sft', 'safekey', 'dpsh-only', 'qmm-only', 'qmm-nomask'] as const;
export type Arm = (typeof ARMS)[number];

export interface ObjectiveWeights { readonly qmm: number; readonly dpsh: number }

export interface SafekeyParams { readonly model: ModelParams; readonly head: SafetyHead }

export interface LossParts {
  readonly total: Tensor;
  readonly sft: LossValue;
  readonly qmm?: LossValue;
  readonly dpsh?: ReturnType<typeof dpshLoss>;
}

const usesQmm = (arm: Arm) => arm === 'safekey' || arm === 'qmm-only' || arm === 'qmm-nomask';
const usesDpsh = (arm: Arm) => arm === 'safekey' || arm === 'dpsh-only';

/**
 * `L = L_SFT + lambdaQmm * L_QMM + lambdaHead * L_DPSH` for one batch, with the parts the arm uses.
 * `extra: false` (the SFT-only epochs of the schedule) gives `L_SFT` alone. The QMM pass hides the prompt
 * columns from every row (`qmm-nomask` reuses the plain pass instead); both passes are differentiated. The
 * safety head is needed only by the arms with DPSH. `remat` rematerialises each decoder layer in both passes.
 */
export function safekeyLoss(p: { readonly model: ModelParams; readonly head?: SafetyHead }, config: ModelConfig, batch: BatchTensors,
  opts: { readonly arm: Arm; readonly weights?: ObjectiveWeights; readonly extra?: boolean; readonly remat?: boolean }): LossParts {
  const w = opts.weights ?? RECIPE.weights;
  const extra = opts.extra ?? true;
  const remat = opts.remat ? { remat: true } : {};
  const plain = forward(p.model, config, batch.ids, { padding: batch.padding, ...remat });
  const sft = sftLoss(plain.logits, batch);
  let total = sft.batch;
  let qmm: LossValue | undefined, dpsh: ReturnType<typeof dpshLoss> | undefined;
  if (extra && usesQmm(opts.arm)) {
    // the masked pass runs on the prefix that ends at the last K token (see BatchTensors.keyTargets)
    const lq = batch.keyTargets.shape[1] + 1;
    const logits = opts.arm === 'qmm-nomask' ? plain.logits
      : forward(p.model, config, prefix(batch.ids, lq), { padding: prefix(batch.padding, lq), keyMask: prefix(batch.promptMask, lq), ...remat }).logits;
    qmm = qmmLoss(logits, batch);
    total = add(total, mul(qmm.batch, w.qmm));
  }
  if (extra && usesDpsh(opts.arm)) {
    if (!p.head) throw new Error(`safekeyLoss: the ${opts.arm} arm needs a safety head`);
    dpsh = dpshLoss(plain.hidden, p.head, batch);
    total = add(total, mul(dpsh.batch, w.dpsh));
  }
  return { total, sft, ...(qmm ? { qmm } : {}), ...(dpsh ? { dpsh } : {}) };
}

/** Whether the extra losses are on in `epoch` (0-based) of `epochs`: the last `extraEpochs` of them. */
export const extraLossesOn = (epoch: number, epochs: number, extraEpochs: number): boolean => epoch >= epochs - extraEpochs;
