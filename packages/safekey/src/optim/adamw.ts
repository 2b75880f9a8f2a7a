import { type Shape, type Tensor, add, cast, div, mul, pow, scalar, sqrt, sub, unflatten, zeros } from '@safekey-ts/core';
import { zipLeaves } from './treeZip.js';

export interface AdamWConfig {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  /** Decoupled weight decay (PyTorch's `weight_decay`): each decayed tensor is multiplied by `1 - lr * weightDecay`. */
  readonly weightDecay: number;
  /** Which tensors decay (default `decayRank2`: rank >= 2, so norm weights and biases do not). */
  readonly decays?: (path: string, param: Tensor) => boolean;
}

/** PyTorch's `torch.optim.AdamW` defaults. */
export const ADAMW_DEFAULTS: AdamWConfig = { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 };

/** The default weight-decay mask: matrices and embeddings decay; vectors (norm weights, biases) do not. */
export const decayRank2 = (_path: string, param: Tensor): boolean => param.rank >= 2;

/** The optimizer state: the number of updates done (int32 scalar) and the two moments, shaped like the parameters. */
export interface AdamWState<P> {
  readonly step: Tensor<[], 'int32'>;
  readonly m: P;
  readonly v: P;
}

/** Zero moments and step 0 for `params`. */
export function initAdamW<P>(params: P): AdamWState<P> {
  // separate tensors for m and v: a jit trace binds an argument tensor passed twice to a single slot
  const zero = () => unflatten(params, zipLeaves('initAdamW', { params }).map((l) => zeros(l.tensors[0]!.shape as Shape, 'float32'))) as unknown as P;
  return { step: scalar(0, 'int32'), m: zero(), v: zero() };
}

/**
 * One AdamW update, as `torch.optim.AdamW` (single-tensor, non-amsgrad) computes it:
 * ```
 * t = step + 1
 * p = p * (1 - lr * weightDecay)                      (decayed tensors only)
 * m = m + (1 - beta1) * (g - m)                       (lerp)
 * v = v * beta2 + (1 - beta2) * g * g
 * p = p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
 * ```
 * Moments and parameters are float32. Like PyTorch, the scalars `lr / (1 - beta1^t)`, `sqrt(1 - beta2^t)` and
 * `1 - lr * weightDecay` are computed in float64 and rounded once to float32, when the backend has float64 (the
 * reference backend does); otherwise in float32, where `1 - beta2^t` is off by about 1e-5 relative (beta2 =
 * 0.999 is not a float32 number) and so is the update.
 * A pure function over pytrees: returns new parameters and state, reads no tensor values, and takes the
 * learning rate and the step as tensors, so one `jit` trace serves every step. `grads` must have the
 * structure and shapes of `params` (a TensorError says which leaf differs).
 */
export function adamwUpdate<P>(params: P, grads: unknown, state: AdamWState<P>, lr: Tensor, config: AdamWConfig = ADAMW_DEFAULTS):
  { readonly params: P; readonly state: AdamWState<P> } {
  const { beta1, beta2, eps, weightDecay } = config;
  const decays = config.decays ?? decayRank2;
  const t = add(state.step, 1) as Tensor<[], 'int32'>;
  const hi = lr.backend.dtypes.includes('float64') ? 'float64' : 'float32';
  const th = cast(t, hi), lrh = cast(lr, hi);
  const stepSize = cast(div(lrh, sub(1, pow(beta1, th))), 'float32');
  const bc2Sqrt = cast(sqrt(sub(1, pow(beta2, th))), 'float32');
  const shrink = cast(sub(1, mul(lrh, weightDecay)), 'float32');
  const out = zipLeaves('adamwUpdate', { params, grads, 'state.m': state.m, 'state.v': state.v }).map(({ path, tensors: [p, g, m, v] }) => {
    const m2 = add(m!, mul(sub(g!, m!), 1 - beta1));
    const v2 = add(mul(v!, beta2), mul(mul(g!, g!), 1 - beta2));
    const decayed = weightDecay !== 0 && decays(path, p!) ? mul(p!, shrink) : p!;
    const denom = add(div(sqrt(v2), bc2Sqrt), eps);
    return { p: sub(decayed, mul(stepSize, div(m2, denom))), m: m2, v: v2 };
  });
  const rebuild = (pick: (o: (typeof out)[number]) => Tensor) => unflatten(params, out.map(pick)) as unknown as P;
  return { params: rebuild((o) => o.p), state: { step: t, m: rebuild((o) => o.m), v: rebuild((o) => o.v) } };
}
