// A small pre-norm transformer block (RMSNorm, causal multi-head attention with RoPE, SiLU MLP, residuals)
// written with the DSL: the workload of the fusion figures, the memory test and the benchmark.
import {
  type FloatDType, type Shape, type Tensor, add, applyRope, arange, causalMask, matmul, maskScores, mean, mul, random, reshape,
  rmsNorm, ropeTables, silu, softmax, sub, swapAxes,
} from '../index.js';

export interface BlockConfig { readonly batch: number; readonly seq: number; readonly dim: number; readonly heads: number; readonly hidden: number }
export interface BlockParams { readonly norm1: Tensor; readonly wq: Tensor; readonly wk: Tensor; readonly wv: Tensor; readonly wo: Tensor; readonly norm2: Tensor; readonly w1: Tensor; readonly w2: Tensor }

export const SMALL_BLOCK: BlockConfig = { batch: 2, seq: 8, dim: 16, heads: 2, hidden: 32 };

export function initBlock(c: BlockConfig, seed = 0, dtype: FloatDType = 'float32'): BlockParams {
  const k = random.split(random.key(seed), 8);
  const n = (i: number, shape: Shape, std: number) => random.normal(k[i], shape, { std, dtype });
  const s = 1 / Math.sqrt(c.dim);
  return {
    norm1: add(n(0, [c.dim], 0.1), 1), wq: n(1, [c.dim, c.dim], s), wk: n(2, [c.dim, c.dim], s), wv: n(3, [c.dim, c.dim], s),
    wo: n(4, [c.dim, c.dim], s), norm2: add(n(5, [c.dim], 0.1), 1), w1: n(6, [c.dim, c.hidden], s), w2: n(7, [c.hidden, c.dim], 1 / Math.sqrt(c.hidden)),
  };
}

/** The block's output for `x` `[batch, seq, dim]`. */
export function block(p: BlockParams, x: Tensor, c: BlockConfig): Tensor {
  const { batch: b, seq: t, dim: d, heads: h } = c;
  const hd = d / h;
  const heads = (y: Tensor) => swapAxes(reshape(y, [b, t, h, hd]), 1, 2);            // [b, h, t, hd]
  const rope = ropeTables(arange(t), hd, 10000, x.dtype as 'float32');
  const xn = rmsNorm(x, p.norm1);
  const q = applyRope(heads(matmul(xn, p.wq)), rope), k = applyRope(heads(matmul(xn, p.wk)), rope), v = heads(matmul(xn, p.wv));
  const scores = maskScores(mul(matmul(q, k, { transB: true }), 1 / Math.sqrt(hd)), causalMask(t));
  const att = reshape(swapAxes(matmul(softmax(scores), v), 1, 2), [b, t, d]);
  const x1 = add(x, matmul(att, p.wo));
  return add(x1, matmul(silu(matmul(rmsNorm(x1, p.norm2), p.w1)), p.w2));
}

/** A scalar loss of the block: mean squared error against a target. */
export const blockLoss = (c: BlockConfig) => (p: BlockParams, x: Tensor, target: Tensor): Tensor => {
  const e = sub(block(p, x, c), target);
  return mean(mul(e, e));
};
