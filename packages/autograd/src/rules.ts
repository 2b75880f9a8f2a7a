import {
  type Primitive, type Shape, type Tensor,
  add, bind, broadcastTo, cast, concat, cos, div, eq, gt, isFloat, log, mul, narrow, neg, pad, reshape, rotateHalf,
  scatterAdd, gather, sign, sin, slice, split, sum, where,
} from '@safekey-ts/core';
import { attentionGradRule, attentionRule } from './attention.js';
import type { VjpRule } from './rule.js';
import { unbroadcast } from './unbroadcast.js';


type Indices = Tensor<Shape, 'int32'>;

const unaryRule = <P extends Primitive>(d: (x: Tensor, out: Tensor) => Tensor): VjpRule<P> =>
  (g, { inputs: [x], output }) => [mul(g, d(x, output))];

const none = <P extends Primitive>(): VjpRule<P> => (_g, { inputs }) => inputs.map(() => null);

/** Shape of a reduction's output with the reduced axes kept as 1. */
const keptShape = (x: Tensor, axes: readonly number[]) => x.shape.map((d, i) => (axes.includes(i) ? 1 : d));

/** JAX's balanced tie rule for max/min: 1 where `x` is the unique winner, 0.5 where both tie. */
const winnerWeight = (x: Tensor, other: Tensor, out: Tensor): Tensor =>
  where(eq(x, other), 0.5, cast(eq(x, out), x.dtype));

export const vjpRules: { readonly [P in Primitive]: VjpRule<P> } = {
  exp: unaryRule((_, out) => out),
  log: (g, { inputs: [x] }) => [div(g, x)],
  sqrt: (g, { output }) => [div(g, mul(output, 2))],
  rsqrt: unaryRule((_, out) => mul(mul(mul(out, out), out), -0.5)),
  sin: unaryRule((x) => cos(x)),
  cos: unaryRule((x) => neg(sin(x))),
  tanh: unaryRule((_, out) => oneMinus(mul(out, out))),
  sigmoid: unaryRule((_, out) => mul(out, oneMinus(out))),
  reciprocal: unaryRule((_, out) => neg(mul(out, out))),
  neg: (g) => [neg(g)],
  abs: unaryRule((x) => sign(x)),
  sign: none(),
  add: (g, { inputs: [a, b] }) => [unbroadcast(g, a.shape), unbroadcast(g, b.shape)],
  sub: (g, { inputs: [a, b] }) => [unbroadcast(g, a.shape), unbroadcast(neg(g), b.shape)],
  mul: (g, { inputs: [a, b] }) => [unbroadcast(mul(g, b), a.shape), unbroadcast(mul(g, a), b.shape)],
  div: (g, { inputs: [a, b], output }) => [unbroadcast(div(g, b), a.shape), unbroadcast(neg(div(mul(g, output), b)), b.shape)],
  pow: (g, { inputs: [a, b], output }) => {
    const da = mul(mul(g, b), bind('pow', [a, minusOne(b)], {}));
    // d/db a^b = a^b log a, taken as 0 where a <= 0 (where the real power is not differentiable in b)
    const safeLog = log(where(gt(a, 0), a, 1));
    return [unbroadcast(da, a.shape), unbroadcast(mul(mul(g, output), safeLog), b.shape)];
  },
  maximum: (g, { inputs: [a, b], output }) =>
    [unbroadcast(mul(g, winnerWeight(a, b, output)), a.shape), unbroadcast(mul(g, winnerWeight(b, a, output)), b.shape)],
  minimum: (g, { inputs: [a, b], output }) =>
    [unbroadcast(mul(g, winnerWeight(a, b, output)), a.shape), unbroadcast(mul(g, winnerWeight(b, a, output)), b.shape)],
  eq: none(), ne: none(), lt: none(), le: none(), gt: none(), ge: none(),
  where: (g, { inputs: [c, a, b] }) => {
    const cond = c as Tensor<Shape, 'bool'>;
    return [null, unbroadcast(where(cond, g, 0), a.shape), unbroadcast(where(cond, 0, g), b.shape)];
  },
  cast: (g, { inputs: [x] }) => [isFloat(x.dtype) && isFloat(g.dtype) ? cast(g, x.dtype) : null],
  reduceSum: (g, { inputs: [x], params: { axes } }) => [broadcastTo(reshape(g, keptShape(x, axes)), x.shape)],
  reduceMax: (g, { inputs: [x], output, params: { axes } }) => {
    const kept = keptShape(x, axes);
    const hit = cast(eq(x, reshape(output, kept)), x.dtype);
    const share = div(hit, sum(hit, axes, true)); // ties share the cotangent equally
    return [mul(share, reshape(g, kept))];
  },
  matmul: (g, { inputs: [a, b], params: { transA, transB } }) => {
    const mm = (x: Tensor, y: Tensor, tx: boolean, ty: boolean) => bind('matmul', [x, y], { transA: tx, transB: ty });
    const da = transA ? mm(b, g, transB, true) : mm(g, b, false, !transB);
    if (b.rank === 2 && a.rank > 2 && !transA) {
      // a shared matrix times a batch: fold the batch into rows, one product summing over every row
      // instead of a product per batch entry and a sum over the batch
      const rows = a.shape.slice(0, -1).reduce((p, d) => p * d, 1);
      const a2 = reshape(a, [rows, a.shape[a.rank - 1]]), g2 = reshape(g, [rows, g.shape[g.rank - 1]]);
      return [unbroadcast(da, a.shape), transB ? mm(g2, a2, true, false) : mm(a2, g2, true, false)];
    }
    const db = transB ? mm(g, a, true, transA) : mm(a, g, !transA, false);
    return [unbroadcast(da, a.shape), unbroadcast(db, b.shape)];
  },
  reshape: (g, { inputs: [x] }) => [reshape(g, x.shape)],
  permute: (g, { params: { perm } }) => {
    const inv = new Array<number>(perm.length);
    perm.forEach((p, i) => { inv[p] = i; });
    return [bind('permute', [g], { perm: inv })];
  },
  broadcastTo: (g, { inputs: [x] }) => [unbroadcast(g, x.shape)],
  slice: (g, { inputs: [x], params: { starts, ends } }) =>
    [pad(g, x.shape.map((d, i) => [starts[i], d - ends[i]] as const))],
  pad: (g, { inputs: [x], params: { before } }) => [slice(g, before, before.map((b, i) => b + x.shape[i]))],
  concat: (g, { inputs, params: { axis } }) => split(g, inputs.map((x) => x.shape[axis]), axis),
  gather: (g, { inputs: [x, idx], params: { axis, batchDims } }) => [scatterAdd(g, idx as Indices, x.shape[axis], axis, batchDims), null],
  scatterAdd: (g, { inputs: [, idx], params: { axis, batchDims } }) => [gather(g, idx as Indices, axis, batchDims), null],
  iota: () => [],
  attention: attentionRule,
  // d/dx is rope again, with the sine table's halves swapped and negated (the adjoint of rotate_half)
  rope: (g, { inputs: [x, c, s] }) => {
    const h = x.shape[x.rank - 1] / 2;
    const swapped = s.shape[s.rank - 1] === 1 ? s : concat([narrow(s, -1, h, h), narrow(s, -1, 0, h)], -1);
    return [bind('rope', [g, c, neg(swapped)], {}), unbroadcast(mul(g, x), c.shape), unbroadcast(mul(g, rotateHalf(x)), s.shape)];
  },
  attentionGrad: attentionGradRule,
};

const oneMinus = (t: Tensor): Tensor => add(neg(t), 1);
const minusOne = (t: Tensor): Tensor => add(t, -1);

