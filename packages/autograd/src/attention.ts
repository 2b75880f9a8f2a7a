// Gradients of the fused attention primitive. Its pullback is the attentionGrad primitive (one kernel that
// recomputes the weights instead of storing them); attentionGrad's own pullback, for second derivatives,
// differentiates the same formulas written with core ops.
import {
  type Shape, type Tensor, bind, concat, maskScores, matmul, mul, permute, reshape, sizeOf, softmax, split, sub, sum, where,
} from '@safekey-ts/core';
import type { VjpRule } from './rules.js';
import { unbroadcast } from './unbroadcast.js';
import { vjp } from './vjp.js';

type Bool = Tensor<Shape, 'bool'>;

/** `[...b, T, kh * rep, d]` -> `[...b, kh, rep, T, d]`, and back. */
const toHeads = (x: Tensor, kh: number, rep: number): Tensor => {
  const r = x.rank - 3;
  return permute(reshape(x, [...x.shape.slice(0, r), x.shape[r], kh, rep, x.shape[r + 2]]), [...Array(r).keys(), r + 1, r + 2, r, r + 3]);
};
const fromHeads = (x: Tensor, shape: Shape): Tensor => {
  const r = x.rank - 4;
  return reshape(permute(x, [...Array(r).keys(), r + 2, r, r + 1, r + 3]), shape);
};

/** attentionGrad's packed [dq, dk, dv], written with core ops. */
function attentionGradOps(q0: Tensor, k0: Tensor, v0: Tensor, allowed: Bool, g0: Tensor, scale: number): Tensor {
  const n = q0.shape[q0.rank - 2], kh = k0.shape[k0.rank - 2], rep = n / kh;
  const ms = [...new Array<number>(Math.max(0, q0.rank - allowed.rank)).fill(1), ...allowed.shape];
  const mask = reshape(allowed, [...ms.slice(0, -3), ...(ms[ms.length - 3] === 1 ? [1, 1] : [kh, rep]), ...ms.slice(-2)]) as Bool;
  const [q, k, v, g] = [toHeads(q0, kh, rep), toHeads(k0, kh, 1), toHeads(v0, kh, 1), toHeads(g0, kh, rep)];
  const p = softmax(maskScores(mul(matmul(q, k, { transB: true }), scale), mask));
  const dp = matmul(g, v, { transB: true });
  const ds = mul(where(mask, mul(p, sub(dp, sum(mul(p, dp), -1, true))), 0), scale);
  const flat = (x: Tensor, shape: Shape) => reshape(fromHeads(x, shape), [sizeOf(shape)]);
  return concat([flat(matmul(ds, k), q0.shape), flat(unbroadcast(matmul(ds, q, { transA: true }), k.shape), k0.shape),
    flat(unbroadcast(matmul(p, g, { transA: true }), v.shape), v0.shape)], 0);
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
