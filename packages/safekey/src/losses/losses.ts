import {
  type Shape, type Tensor, add, bceWithLogits, cast, div, expandDims, matmul, maximum, mean, mul, narrow, reshape, sum, tokenNll,
} from '@safekey-ts/core';
import type { BatchTensors } from './batch.js';
import type { Linear1, SafetyHead } from './head.js';

/** A loss over the batch and per sample (`[B]`). */
export interface LossValue { readonly batch: Tensor; readonly perSample: Tensor }

/** The first `n` positions of axis 1 (`x` itself when that is all of them). */
export const prefix = <T extends Tensor>(x: T, n: number): T => (x.shape[1] === n ? x : narrow(x, 1, 0, n) as T);

/**
 * Mean NLL over the masked targets, for the batch (all counted tokens) and per sample. The mask may cover
 * a prefix of the targets (`keyTargets` does); the logits must cover it.
 */
function maskedNll(logits: Tensor, batch: BatchTensors, mask: Tensor<Shape, 'bool'>): LossValue {
  const w = mask.shape[1];
  const nll = tokenNll(prefix(logits, w), prefix(batch.targets, w));
  const m = cast(mask, nll.dtype);
  const picked = mul(nll, m);
  const counts = sum(m, 1);
  return { batch: div(sum(picked), maximum(sum(counts), 1)), perSample: div(sum(picked, 1), maximum(counts, 1)) };
}

/** L_SFT: next-token cross-entropy on every response token (prompt and padding ignored). */
export const sftLoss = (logits: Tensor, batch: BatchTensors): LossValue => maskedNll(logits, batch, batch.responseTargets);

/**
 * L_QMM: cross-entropy on the K tokens only, from the pass in which no position attends to the prompt. The
 * logits may be those of the whole sequence or of its first `keyTargets.shape[1] + 1` positions.
 */
export const qmmLoss = (maskedLogits: Tensor, batch: BatchTensors): LossValue => maskedNll(maskedLogits, batch, batch.keyTargets);

/** Mean of the hidden states `[B, T, D]` over the positions weighted 1 in `weights` `[B, T]`. */
function spanMean(hidden: Tensor, weights: Tensor): Tensor {
  const w = expandDims(weights, -1);
  return div(sum(mul(hidden, w), 1), maximum(sum(w, 1), 1));
}
const probe = (x: Tensor, l: Linear1): Tensor => reshape(add(matmul(x, l.weight, { transB: true }), l.bias), [x.shape[0]]);

/**
 * L_DPSH on the final normed hidden states of the SFT pass: BCE of the understanding head (mean over U) and
 * of the context head (mean over prompt and U), half each, averaged over the batch.
 */
export function dpshLoss(hidden: Tensor, head: SafetyHead, batch: BatchTensors): LossValue & { readonly context: Tensor; readonly understanding: Tensor } {
  const understanding = bceWithLogits(probe(spanMean(hidden, batch.understanding), head.understanding), batch.harmful);
  const context = bceWithLogits(probe(spanMean(hidden, batch.context), head.context), batch.harmful);
  const perSample = add(mul(understanding, 0.5), mul(context, 0.5));
  return { batch: mean(perSample), perSample, context, understanding };
}
