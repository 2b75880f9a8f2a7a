// Gradients of the fused attention primitive. Its pullback is the attentionGrad primitive (one kernel that
// recomputes the weights instead of storing them); attentionGrad's own pullback, for second derivatives,
// differentiates the same formulas written with core ops.
import {
  type Shape, type Tensor, bind, concat, headsFirst, headsFirstMask, headsLast, maskScores, matmul, mul, reshape, sizeOf, softmax,
  split, sub, sum, where,
} from '@safekey-ts/core';
import type { VjpRule } from './rule.js';
import { unbroadcast } from './unbroadcast.js';

type Bool = Tensor<Shape, 'bool'>;

/** attentionGrad's packed [dq, dk, dv], written with core ops. */
function attentionGradOps(q0: Tensor, k0: Tensor, v0: Tensor, allowed: Bool, g0: Tensor, scale: number): Tensor {
  const kh = k0.shape[k0.rank - 2], rep = q0.shape[q0.rank - 2] / kh;
  const mask = headsFirstMask(allowed, q0.rank, kh, rep);
  const [q, k, v, g] = [headsFirst(q0, kh, rep), headsFirst(k0, kh, 1), headsFirst(v0, kh, 1), headsFirst(g0, kh, rep)];
  const p = softmax(maskScores(mul(matmul(q, k, { transB: true }), scale), mask));
  const dp = matmul(g, v, { transB: true });
  const ds = mul(where(mask, mul(p, sub(dp, sum(mul(p, dp), -1, true))), 0), scale);
  const flat = (x: Tensor, shape: Shape) => reshape(headsLast(x, shape), [sizeOf(shape)]);
  return concat([flat(matmul(ds, k), q0.shape), flat(unbroadcast(matmul(ds, q, { transA: true }), k.shape), k0.shape),
    flat(unbroadcast(matmul(p, g, { transA: true }), v.shape), v0.shape)], 0);
}

export const attentionRule: VjpRule<'attention'> = (g, { inputs: [q, k, v, allowed], params }) => {
  const [dq, dk, dv] = split(bind('attentionGrad', [q, k, v, allowed, g], params), [q.size, k.size, v.size], 0);
  return [reshape(dq, q.shape), reshape(dk, k.shape), reshape(dv, v.shape), null];
};

export const attentionGradRule: VjpRule<'attentionGrad'> = (c, { inputs: [q, k, v, allowed, g], params: { scale } }, vjp) => {
  const [, pullback] = vjp((q2: Tensor, k2: Tensor, v2: Tensor, g2: Tensor) => attentionGradOps(q2, k2, v2, allowed as Bool, g2, scale), q, k, v, g);
  const [dq, dk, dv, dg] = pullback(c);
  return [dq, dk, dv, null, dg];
};
