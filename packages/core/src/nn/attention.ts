import { arange } from '../creation.js';
import type { DType, FloatCheck, SameDType } from '../dtype.js';
import { hasKernel } from '../backend.js';
import { ge, mul, where } from '../ops/elementwise.js';
import { matmul } from '../ops/linalg.js';
import { permute, reshape } from '../ops/movement.js';
import { MASK_FILL, primitives } from '../primitives.js';
import { softmax } from './softmax.js';
import type { AttentionShape, BroadcastTo, Check, Result, Shape } from '../shape.js';
import { type Tensor } from '../tensor.js';
import { bind } from '../bind.js';

/** `[t, t]` bool, true where query i may attend to key j (j <= i). */
export function causalMask(t: number): Tensor<Shape, 'bool'> {
  const i = arange(t);
  return ge(reshape(i, [t, 1]), reshape(i, [1, t]));
}

/**
 * Sets the scores where `allowed` is false to a large finite negative value, so that softmax gives them
 * (almost) zero weight and a row with nothing allowed stays finite (uniform) instead of NaN.
 */
export function maskScores<S extends Shape, M extends Shape, D extends DType>(scores: Tensor<S, D>, allowed: Tensor<M, 'bool'> & Check<BroadcastTo<M, S, 'maskScores'>>,
  fill = MASK_FILL): Tensor<S, D> {
  return where(allowed as Tensor<Shape, 'bool'>, scores as Tensor, fill) as Tensor<S, D>;
}

/** `[...b, T, kvHeads * rep, d]` -> `[...b, kvHeads, rep, T, d]`: the layout where one matmul per head does the work. */
export function headsFirst<D extends DType>(x: Tensor<Shape, D>, kvHeads: number, rep: number): Tensor<Shape, D> {
  const r = x.rank - 3;
  return permute(reshape(x, [...x.shape.slice(0, r), x.shape[r], kvHeads, rep, x.shape[r + 2]]), [...Array(r).keys(), r + 1, r + 2, r, r + 3]);
}

/** The inverse of `headsFirst`, to `shape`. */
export function headsLast<D extends DType>(x: Tensor<Shape, D>, shape: Shape): Tensor<Shape, D> {
  const r = x.rank - 4;
  return reshape(permute(x, [...Array(r).keys(), r + 2, r, r + 1, r + 3]), shape);
}

/** An attention mask (broadcastable to `[...batch, heads, T, S]`) for the `headsFirst` layout of q of rank `qRank`. */
export function headsFirstMask(allowed: Tensor<Shape, 'bool'>, qRank: number, kvHeads: number, rep: number): Tensor<Shape, 'bool'> {
  const ms = [...new Array<number>(Math.max(0, qRank - allowed.rank)).fill(1), ...allowed.shape];
  const heads = ms[ms.length - 3] === 1 ? [1, 1] : [kvHeads, rep];
  return reshape(allowed, [...ms.slice(0, -3), ...heads, ...ms.slice(-2)]);
}

/**
 * Scaled dot-product attention, `softmax(maskScores(scale * q k^T, allowed)) v` per head, in JAX's layout:
 * q `[...batch, T, heads, d]`; k `[...bk, S, kvHeads, d]` and v `[...bk, S, kvHeads, dv]` with bk broadcasting
 * to batch (query head n reads key/value head floor(n / (heads / kvHeads))); allowed bool, broadcastable to
 * `[...batch, heads, T, S]`. Returns `[...batch, T, heads, dv]`. One primitive on a backend with an attention
 * kernel (which never stores the `[T, S]` weights, nor for the gradient); elsewhere composed from matmuls and
 * a softmax, which jit fuses.
 */
export function dotProductAttention<Q extends Shape, K extends Shape, V extends Shape, D extends DType, DK extends DType, DV extends DType>(
  q: Tensor<Q, D> & FloatCheck<'attention', D>, k: Tensor<K, DK> & SameDType<'attention', D, DK>,
  v: Tensor<V, DV> & SameDType<'attention', D, DV> & Check<AttentionShape<Q, K, V>>, allowed: Tensor<Shape, 'bool'>, scale: number):
  Tensor<Result<AttentionShape<Q, K, V>>, D> {
  type Out = Tensor<Result<AttentionShape<Q, K, V>>, D>;
  const [tq, tk, tv]: Tensor[] = [q, k, v];
  if (hasKernel(tq.backend, 'attention')) return bind('attention', [tq, tk, tv, allowed], { scale }) as Out;
  const out = primitives.attention.infer([tq.info, tk.info, tv.info, allowed.info], { scale }); // checks the shapes
  return headsLast(matmul(headsFirstWeights(tq, tk, allowed, scale), headsFirst(tv, tk.shape[tk.rank - 2], 1)), out.shape) as Out;
}

/** The attention weights in the `headsFirst` layout, `[...batch, kvHeads, rep, T, S]`. */
function headsFirstWeights(q: Tensor, k: Tensor, allowed: Tensor<Shape, 'bool'>, scale: number): Tensor {
  const kvHeads = k.shape[k.rank - 2], rep = q.shape[q.rank - 2] / kvHeads;
  const scores = mul(matmul(headsFirst(q, kvHeads, rep), headsFirst(k, kvHeads, 1), { transB: true }), scale);
  return softmax(maskScores(scores, headsFirstMask(allowed, q.rank, kvHeads, rep)));
}

/** The weights `dotProductAttention` gives each key, `[...batch, heads, T, S]` (for analyses: they are stored). */
export function attentionWeights<D extends DType, DK extends DType>(q: Tensor<Shape, D> & FloatCheck<'attentionWeights', D>, k: Tensor<Shape, DK> & SameDType<'attention', D, DK>,
  allowed: Tensor<Shape, 'bool'>, scale: number): Tensor<Shape, D> {
  const w = headsFirstWeights(q, k, allowed, scale), [t, n] = q.shape.slice(-3, -1);
  return reshape(w, [...q.shape.slice(0, -3), n, t, k.shape[k.rank - 3]]) as Tensor<Shape, D>;
}
