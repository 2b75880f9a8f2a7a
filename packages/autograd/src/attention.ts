// Gradients of the fused attention primitive. Its pullback is the attentionGrad primitive (one kernel that
// recomputes the weights instead of storing them); attentionGrad's own pullback, for second derivatives,
// differentiates the same formulas written with core ops.
import {
  type Shape, type Tensor, bind, concat, maskScores, matmul, mul, reshape, sizeOf, softmax, split, sub, sum, where,
} from '@safekey-ts/core';
import type { VjpRule } from './rules.js';
import { unbroadcast } from './unbroadcast.js';
import { vjp } from './vjp.js';

type Bool = Tensor<Shape, 'bool'>;

/** attentionGrad's packed [dq, dk, dv], written with core ops. */
function attentionGradOps(q: Tensor, k: Tensor, v: Tensor, allowed: Bool, g: Tensor, scale: number): Tensor {
  const p = softmax(maskScores(mul(matmul(q, k, { transB: true }), scale), allowed));
  const dp = matmul(g, v, { transB: true });
  const ds = mul(where(allowed, mul(p, sub(dp, sum(mul(p, dp), -1, true))), 0), scale);
  const flat = (x: Tensor) => reshape(x, [sizeOf(x.shape)]);
  return concat([flat(matmul(ds, k)), flat(unbroadcast(matmul(ds, q, { transA: true }), k.shape)),
    flat(unbroadcast(matmul(p, g, { transA: true }), v.shape))], 0);
}

export const attentionRule: VjpRule<'attention'> = (g, { inputs: [q, k, v, allowed], params }) => {
  const [dq, dk, dv] = split(bind('attentionGrad', [q, k, v, allowed, g], params), [q.size, k.size, v.size], 0);
  return [reshape(dq, q.shape), reshape(dk, k.shape), reshape(dv, v.shape), null];
};

export const attentionGradRule: VjpRule<'attentionGrad'> = (c, { inputs: [q, k, v, allowed, g], params: { scale } }) => {
  const [, pullback] = vjp((q2: Tensor, k2: Tensor, v2: Tensor, g2: Tensor) => attentionGradOps(q2, k2, v2, allowed as Bool, g2, scale), q, k, v, g);
  const [dq, dk, dv, dg] = pullback(c);
  return [dq, dk, dv, null, dg];
};
