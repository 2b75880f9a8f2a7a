// Exact small cases for every primitive, with hand-computed expectations. The record is typed over
// `Primitive`, so a new primitive without a case here is a compile error.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { arange } from '../creation.js';
import { dotProductAttention } from '../nn/attention.js';
import { applyRope } from '../nn/rope.js';
import * as ew from '../ops/elementwise.js';
import { gather, scatterAdd } from '../ops/indexing.js';
import { matmul } from '../ops/linalg.js';
import { broadcastTo, concat, pad, permute, reshape, slice } from '../ops/movement.js';
import { max, sum } from '../ops/reduce.js';
import { type Primitive, primitiveNames } from '../primitives.js';
import { hasKernel } from '../backend.js';
import { T, fromValues } from './arbitraries.js';
import { expectFlat, expectTensor, type NestedNum } from './assert.js';
import { type SuiteContext, check } from './context.js';
import { type Tensor } from '../tensor.js';
import { bind } from '../bind.js';

type Case = (c: SuiteContext) => void;

// A few constants, written out (not computed with the functions under test).
const E = 2.718281828459045, INV_E = 0.36787944117144233, SQRT_E = 1.6487212707001282, E10 = 22026.465794806718;
const LN2 = 0.6931471805599453, LN3 = 1.0986122886681098, LN10 = 2.302585092994046, SQRT2 = 1.4142135623730951, INV_SQRT2 = 0.7071067811865476;

/** Element-wise op on a float32 vector: checks the values (f32-rounded) and that float64 works too when supported. */
function unaryCase(c: SuiteContext, f: (x: Tensor) => Tensor, input: number[], expected: number[], tol = c.tol): void {
  expectTensor(f(T(input)), expected, { tol });
  if (c.supports('float64')) expectTensor(f(T(input, 'float64')), expected, { tol, dtype: 'float64' });
}

const mat23: NestedNum = [[1, 2, 3], [4, 5, 6]];

export const primitiveCases: { readonly [P in Primitive]: Case } = {
  exp: (c) => unaryCase(c, ew.exp, [0, 1, -1, 0.5, 10], [1, E, INV_E, SQRT_E, E10]),
  log: (c) => unaryCase(c, ew.log, [1, 2, 0.5, 10], [0, LN2, -LN2, LN10]),
  sqrt: (c) => unaryCase(c, ew.sqrt, [0, 1, 4, 2, 0.25], [0, 1, 2, SQRT2, 0.5]),
  rsqrt: (c) => unaryCase(c, ew.rsqrt, [1, 4, 0.25, 2], [1, 0.5, 2, INV_SQRT2]),
  sin: (c) => unaryCase(c, ew.sin, [0, 0.5, -1, 2], [0, 0.479425538604203, -0.8414709848078965, 0.9092974268256817]),
  cos: (c) => unaryCase(c, ew.cos, [0, 0.5, -1, 2], [1, 0.8775825618903728, 0.5403023058681398, -0.4161468365471424]),
  tanh: (c) => unaryCase(c, ew.tanh, [0, 0.5, -1, 20], [0, 0.46211715726000974, -0.7615941559557649, 1]),
  // 1 / (1 + e^-x): at ln 3 exactly 3/4; far out, 1 and e^x (a subnormal float32 at -100). A device computing
  // in float32 rounds three times (exp, the sum, the quotient): within 2 ulps there
  sigmoid: (c) => unaryCase(c, ew.sigmoid, [0, -0, 1.0986122886681098, -1.0986122886681098, 20, -20, -100, 100],
    [0.5, 0.5, 0.75, 0.25, 0.9999999979388463, 2.0611536181902037e-9, 3.720075976020836e-44, 1], Math.max(c.tol, 2 ** -22)),
  reciprocal: (c) => unaryCase(c, ew.reciprocal, [1, 2, -4, 0.5, 3], [1, 0.5, -0.25, 2, 1 / 3]),
  neg: (c) => {
    unaryCase(c, ew.neg, [1, -2.5, 0], [-1, 2.5, 0]);
    expectTensor(ew.neg(T([3, -4], 'int32')), [-3, 4], { tol: 0, dtype: 'int32' });
  },
  abs: (c) => {
    unaryCase(c, ew.abs, [-1.5, 2, 0], [1.5, 2, 0]);
    expectTensor(ew.abs(T([-3, 4, 0], 'int32')), [3, 4, 0], { tol: 0, dtype: 'int32' });
  },
  sign: (c) => {
    unaryCase(c, ew.sign, [-2.5, 0, 3, -0.001], [-1, 0, 1, -1]);
    expectTensor(ew.sign(T([-7, 0, 9], 'int32')), [-1, 0, 1], { tol: 0, dtype: 'int32' });
  },

  add: (c) => {
    expectTensor(ew.add(T(mat23), T([10, 20, 30])), [[11, 22, 33], [14, 25, 36]], { tol: c.tol });
    expectTensor(ew.add(T([[1], [2]]), T([10, 20, 30])), [[11, 21, 31], [12, 22, 32]], { tol: c.tol });
    expectTensor(ew.add(T([0.5, 1.25]), 0.25), [0.75, 1.5], { tol: c.tol });
    expectTensor(ew.add(T([1, 2], 'int32'), T([3, -4], 'int32')), [4, -2], { tol: 0, dtype: 'int32' });
    expectTensor(ew.add(T(0.1), T(0.2)), Math.fround(0.1) + Math.fround(0.2), { tol: c.tol });
  },
  sub: (c) => {
    expectTensor(ew.sub(T(mat23), T([[1], [2]])), [[0, 1, 2], [2, 3, 4]], { tol: c.tol });
    expectTensor(ew.sub(10, T([1, 2.5])), [9, 7.5], { tol: c.tol });
    expectTensor(ew.sub(T([5, 0], 'int32'), T([7, -3], 'int32')), [-2, 3], { tol: 0, dtype: 'int32' });
  },
  mul: (c) => {
    expectTensor(ew.mul(T([[1, 2], [3, 4]]), T([-1, 0.5])), [[-1, 1], [-3, 2]], { tol: c.tol });
    expectTensor(ew.mul(T([3, -4], 'int32'), T(5, 'int32')), [15, -20], { tol: 0, dtype: 'int32' });
    expectTensor(ew.mul(T(1.1), T(1.1)), Math.fround(1.1) * Math.fround(1.1), { tol: c.tol });
  },
  div: (c) => {
    expectTensor(ew.div(T([1, 3, -4]), T([2])), [0.5, 1.5, -2], { tol: c.tol });
    expectTensor(ew.div(T([[1], [2]]), T([3, 4])), [[1 / 3, 0.25], [2 / 3, 0.5]], { tol: c.tol });
  },
  pow: (c) => {
    expectTensor(ew.pow(T([2, 9, 4, -2, -2, 5]), T([3, 0.5, -1, 2, 3, 0])), [8, 3, 0.25, 4, -8, 1], { tol: c.tol });
    expectTensor(ew.pow(T([[1], [2]]), T([1, 2, 3])), [[1, 1, 1], [2, 4, 8]], { tol: c.tol });
  },
  maximum: (c) => {
    expectTensor(ew.maximum(T([1, 5, -3]), T([2, 2, 2])), [2, 5, 2], { tol: c.tol });
    expectTensor(ew.maximum(T([[-1, 4]]), T([[0], [3]])), [[0, 4], [3, 4]], { tol: c.tol });
    expectTensor(ew.maximum(T([-5, 7], 'int32'), T(0, 'int32')), [0, 7], { tol: 0, dtype: 'int32' });
  },
  minimum: (c) => {
    expectTensor(ew.minimum(T([1, 5, -3]), T([2, 2, 2])), [1, 2, -3], { tol: c.tol });
    expectTensor(ew.minimum(T([[-1, 4]]), T([[0], [3]])), [[-1, 0], [-1, 3]], { tol: c.tol });
    expectTensor(ew.minimum(T([-5, 7], 'int32'), T(0, 'int32')), [-5, 0], { tol: 0, dtype: 'int32' });
  },
  eq: () => {
    expectTensor(ew.eq(T([1, 2, 3]), T([2, 2, 2])), [0, 1, 0], { tol: 0, dtype: 'bool' });
    expectTensor(ew.eq(T([[1], [2]], 'int32'), T([1, 2], 'int32')), [[1, 0], [0, 1]], { tol: 0, dtype: 'bool' });
    expectTensor(ew.eq(T([true, false], 'bool'), T([true, true], 'bool')), [1, 0], { tol: 0, dtype: 'bool' });
  },
  ne: () => {
    expectTensor(ew.ne(T([1, 2, 3]), T([2, 2, 2])), [1, 0, 1], { tol: 0, dtype: 'bool' });
    expectTensor(ew.ne(T([[1], [2]], 'int32'), T([1, 2], 'int32')), [[0, 1], [1, 0]], { tol: 0, dtype: 'bool' });
  },
  lt: () => {
    expectTensor(ew.lt(T([1, 2, 3]), T([2, 2, 2])), [1, 0, 0], { tol: 0, dtype: 'bool' });
    expectTensor(ew.lt(T([[1], [2]], 'int32'), T([1, 2], 'int32')), [[0, 1], [0, 0]], { tol: 0, dtype: 'bool' });
  },
  le: () => {
    expectTensor(ew.le(T([1, 2, 3]), T([2, 2, 2])), [1, 1, 0], { tol: 0, dtype: 'bool' });
    expectTensor(ew.le(T([[1], [2]], 'int32'), T([1, 2], 'int32')), [[1, 1], [0, 1]], { tol: 0, dtype: 'bool' });
  },
  gt: () => {
    expectTensor(ew.gt(T([1, 2, 3]), T([2, 2, 2])), [0, 0, 1], { tol: 0, dtype: 'bool' });
    expectTensor(ew.gt(T([[1], [2]], 'int32'), T([1, 2], 'int32')), [[0, 0], [1, 0]], { tol: 0, dtype: 'bool' });
  },
  ge: () => {
    expectTensor(ew.ge(T([1, 2, 3]), T([2, 2, 2])), [0, 1, 1], { tol: 0, dtype: 'bool' });
    expectTensor(ew.ge(T([[1], [2]], 'int32'), T([1, 2], 'int32')), [[1, 0], [1, 1]], { tol: 0, dtype: 'bool' });
  },
  where: (c) => {
    const cond = T([[true], [false]], 'bool');
    expectTensor(ew.where(cond, T([1, 2, 3]), T([[-1, -2, -3]])), [[1, 2, 3], [-1, -2, -3]], { tol: c.tol });
    expectTensor(ew.where(T([true, false, true], 'bool'), T([1, 2, 3]), 0), [1, 0, 3], { tol: c.tol });
    expectTensor(ew.where(T([false, true], 'bool'), T([[5], [6]], 'int32'), T(-1, 'int32')), [[-1, 5], [-1, 6]], { tol: 0, dtype: 'int32' });
  },
  cast: (c) => {
    const x = T([1.75, -1.75, 0, 2.5, -0.5]);
    expectTensor(ew.cast(x, 'int32'), [1, -1, 0, 2, 0], { tol: 0, dtype: 'int32' });        // truncation toward zero
    expectTensor(ew.cast(x, 'bool'), [1, 1, 0, 1, 1], { tol: 0, dtype: 'bool' });           // nonzero is true
    expectTensor(ew.cast(T([-2, 3, 16777217], 'int32'), 'float32'), [-2, 3, 16777216], { tol: 0 }); // 2^24 + 1 rounds
    expectTensor(ew.cast(T([true, false], 'bool'), 'int32'), [1, 0], { tol: 0, dtype: 'int32' });
    expectTensor(ew.cast(T([true, false], 'bool'), 'float32'), [1, 0], { tol: 0 });
    expectTensor(ew.cast(T([0, -3], 'int32'), 'bool'), [0, 1], { tol: 0, dtype: 'bool' });
    if (c.supports('float64')) {
      expectTensor(ew.cast(T([0.1]), 'float64'), [Math.fround(0.1)], { tol: 0, dtype: 'float64' });
      expectTensor(ew.cast(T([0.1], 'float64'), 'float32'), [0.1], { tol: 0 });
    }
  },
  reduceSum: (c) => {
    const x = T(mat23);
    expectTensor(sum(x, 0), [5, 7, 9], { tol: c.tol });
    expectTensor(sum(x, 1), [6, 15], { tol: c.tol });
    expectTensor(sum(x, -1), [6, 15], { tol: c.tol });
    expectTensor(sum(x), 21, { tol: c.tol });
    expectTensor(sum(x, [0, 1], true), [[21]], { tol: c.tol });
    expectTensor(sum(x, 1, true), [[6], [15]], { tol: c.tol });
    expectTensor(sum(x, []), mat23, { tol: c.tol });
    expectTensor(sum(T([[[1, 2], [3, 4]], [[5, 6], [7, 8]]]), [0, 2]), [14, 22], { tol: c.tol });
    expectTensor(sum(T(mat23, 'int32'), 0), [5, 7, 9], { tol: 0, dtype: 'int32' });
    expectTensor(sum(T([[], []]), 1), [0, 0], { tol: c.tol });                              // empty sums are 0
  },
  reduceMax: (c) => {
    const x = T(mat23);
    expectTensor(max(x, 0), [4, 5, 6], { tol: c.tol });
    expectTensor(max(x, 1), [3, 6], { tol: c.tol });
    expectTensor(max(x), 6, { tol: c.tol });
    expectTensor(max(T([[-5, -2], [-7, -9]]), 1, true), [[-2], [-7]], { tol: c.tol });
    expectTensor(max(T([[[1, 8], [3, 4]], [[5, 6], [7, 2]]]), [0, 2]), [8, 7], { tol: c.tol });
    expectTensor(max(T([[3, -1], [2, 9]], 'int32'), 0), [3, 9], { tol: 0, dtype: 'int32' });
  },
  matmul: (c) => {
    // op(A) = [[1,2,3],[4,5,6]], op(B) = [[7,8],[9,10],[11,12]]: 1*7+2*9+3*11 = 58, 1*8+2*10+3*12 = 64,
    // 4*7+5*9+6*11 = 139, 4*8+5*10+6*12 = 154. Each flag gets the transposed storage of its operand.
    const a = T(mat23), aT = T([[1, 4], [2, 5], [3, 6]]);
    const b = T([[7, 8], [9, 10], [11, 12]]), bT = T([[7, 9, 11], [8, 10, 12]]);
    const ab = [[58, 64], [139, 154]];
    expectTensor(matmul(a, b), ab, { tol: c.tol });
    expectTensor(matmul(aT, b, { transA: true }), ab, { tol: c.tol });
    expectTensor(matmul(a, bT, { transB: true }), ab, { tol: c.tol });
    expectTensor(matmul(aT, bT, { transA: true, transB: true }), ab, { tol: c.tol });
    // batch broadcasting: [2,1,2,2] x [3,2,2] -> [2,3,2,2]; a[0] = I, a[1] = row swap
    const ba = T([[[[1, 0], [0, 1]]], [[[0, 1], [1, 0]]]]);
    const bb = T([[[1, 2], [3, 4]], [[5, 6], [7, 8]], [[1, -1], [0, 2]]]);
    expectTensor(matmul(ba, bb), [
      [[[1, 2], [3, 4]], [[5, 6], [7, 8]], [[1, -1], [0, 2]]],
      [[[3, 4], [1, 2]], [[7, 8], [5, 6]], [[0, 2], [1, -1]]],
    ], { tol: c.tol });
    // unbatched left operand against a batch: [2,2] x [2,2,1] -> [2,2,1] (the columns of a)
    expectTensor(matmul(T([[1, 2], [3, 4]]), T([[[1], [0]], [[0], [1]]])), [[[1], [3]], [[2], [4]]], { tol: c.tol });
    // batch broadcasting with transposes: [2,3]^T x [1,2,1] -> [1,3,1]
    expectTensor(matmul(T([[1, 2, 3], [4, 5, 6]]), T([[[1], [1]]]), { transA: true }), [[[5], [7], [9]]], { tol: c.tol });
    if (c.supports('float64')) expectTensor(matmul(T(mat23, 'float64'), T([[1], [0.5], [0.25]], 'float64')), [[2.75], [8]], { tol: c.tol, dtype: 'float64' });
  },
  reshape: (c) => {
    const x = T(mat23);
    expectTensor(reshape(x, [3, 2]), [[1, 2], [3, 4], [5, 6]], { tol: 0 });
    expectTensor(reshape(x, [6]), [1, 2, 3, 4, 5, 6], { tol: 0 });
    expectTensor(reshape(x, [-1, 2]), [[1, 2], [3, 4], [5, 6]], { tol: 0 });
    expectTensor(reshape(x, [1, 6, 1]), [[[1], [2], [3], [4], [5], [6]]], { tol: 0 });
    expectTensor(reshape(T(7), [1, 1]), [[7]], { tol: c.tol });
    expectTensor(reshape(T([7]), []), 7, { tol: 0 });
    expectTensor(reshape(T([[true, false]], 'bool'), [2]), [1, 0], { tol: 0, dtype: 'bool' });
  },
  permute: () => {
    expectTensor(permute(T(mat23), [1, 0]), [[1, 4], [2, 5], [3, 6]], { tol: 0 });
    // x[i][0][k], shape [2,1,3] -> out[k][i][0] with perm [2,0,1]
    expectTensor(permute(T([[[1, 2, 3]], [[4, 5, 6]]]), [2, 0, 1]), [[[1], [4]], [[2], [5]], [[3], [6]]], { tol: 0 });
    // x[i][j][k] = 100i + 10j + k, shape [2,2,2]; perm [1,2,0] -> out[j][k][i]
    expectTensor(permute(T([[[0, 1], [10, 11]], [[100, 101], [110, 111]]], 'int32'), [1, 2, 0]),
      [[[0, 100], [1, 101]], [[10, 110], [11, 111]]], { tol: 0, dtype: 'int32' });
    expectTensor(permute(T(5), []), 5, { tol: 0 });
  },
  broadcastTo: () => {
    expectTensor(broadcastTo(T([1, 2, 3]), [2, 3]), [[1, 2, 3], [1, 2, 3]], { tol: 0 });
    expectTensor(broadcastTo(T([[1], [2]]), [2, 3]), [[1, 1, 1], [2, 2, 2]], { tol: 0 });
    expectTensor(broadcastTo(T(7, 'int32'), [2, 2]), [[7, 7], [7, 7]], { tol: 0, dtype: 'int32' });
    expectTensor(broadcastTo(T([[1], [2]]), [2, 2, 2]), [[[1, 1], [2, 2]], [[1, 1], [2, 2]]], { tol: 0 });
    expectTensor(broadcastTo(T([[1, 2]]), [0, 2]), [], { tol: 0, shape: [0, 2] });
  },
  slice: () => {
    const x = T([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]]);
    expectTensor(slice(x, [1, 1], [3, 3]), [[5, 6], [9, 10]], { tol: 0 });
    expectTensor(slice(x, [-1]), [[8, 9, 10, 11]], { tol: 0 });
    expectTensor(slice(x, [0, 3]), [[3], [7], [11]], { tol: 0 });
    expectTensor(slice(x, [0, 1], [undefined, -1]), [[1, 2], [5, 6], [9, 10]], { tol: 0 });
    expectTensor(slice(x, [2, 2], [2, 4]), [], { tol: 0, shape: [0, 2] });
    expectTensor(slice(T([true, false, true], 'bool'), [1]), [0, 1], { tol: 0, dtype: 'bool' });
  },
  pad: () => {
    expectTensor(pad(T([[1, 2]]), [[1, 0], [0, 2]], 9), [[9, 9, 9, 9], [1, 2, 9, 9]], { tol: 0 });
    expectTensor(pad(T([1, 2], 'int32'), [[2, 1]]), [0, 0, 1, 2, 0], { tol: 0, dtype: 'int32' });
    expectTensor(pad(T(3), []), 3, { tol: 0 });
  },
  concat: () => {
    expectTensor(concat([T([[1, 2]]), T([[3, 4], [5, 6]])], 0), [[1, 2], [3, 4], [5, 6]], { tol: 0 });
    expectTensor(concat([T([[1], [2]]), T([[3, 4], [5, 6]])], 1), [[1, 3, 4], [2, 5, 6]], { tol: 0 });
    expectTensor(concat([T([[1], [2]]), T([[3], [4]]), T([[5], [6]])], -1), [[1, 3, 5], [2, 4, 6]], { tol: 0 });
    expectTensor(concat([T([1], 'int32'), T([], 'int32'), T([2, 3], 'int32')]), [1, 2, 3], { tol: 0, dtype: 'int32' });
  },
  gather: () => {
    const x = T([[1, 2], [3, 4], [5, 6]]);
    // batchDims 0, axis 0: rows 2 and 0
    expectTensor(gather(x, T([2, 0], 'int32')), [[5, 6], [1, 2]], { tol: 0 });
    // batchDims 0, axis 1, 2-d indices: out[i][a][b] = x[i][idx[a][b]] -> shape [3, 2, 2]
    expectTensor(gather(x, T([[1, 0], [1, 1]], 'int32'), 1),
      [[[2, 1], [2, 2]], [[4, 3], [4, 4]], [[6, 5], [6, 6]]], { tol: 0 });
    // scalar index drops the axis
    expectTensor(gather(x, T(1, 'int32'), 0), [3, 4], { tol: 0 });
    // batchDims 1, axis 1: out[b][k] = y[b][idx[b][k]]
    const y = T([[10, 20, 30], [40, 50, 60]]);
    expectTensor(gather(y, T([[2, 0], [1, 1]], 'int32'), 1, 1), [[30, 10], [50, 50]], { tol: 0 });
    // batchDims 1, axis 1 with a trailing dim: z [2, 3, 2], idx [2] -> out[b][c] = z[b][idx[b]][c]
    const z = T([[[0, 1], [2, 3], [4, 5]], [[6, 7], [8, 9], [10, 11]]], 'int32');
    expectTensor(gather(z, T([2, 0], 'int32'), 1, 1), [[4, 5], [6, 7]], { tol: 0, dtype: 'int32' });
  },
  scatterAdd: () => {
    const upd = T([[1, 2], [3, 4]]);
    expectTensor(scatterAdd(upd, T([2, 0], 'int32'), 3), [[3, 4], [0, 0], [1, 2]], { tol: 0 });
    expectTensor(scatterAdd(upd, T([1, 1], 'int32'), 3), [[0, 0], [4, 6], [0, 0]], { tol: 0 });       // duplicates add up
    // axis 1: out[i][idx[k]] += u[i][k]
    expectTensor(scatterAdd(T([[1, 2, 3], [4, 5, 6]]), T([0, 2, 0], 'int32'), 3, 1), [[4, 0, 2], [10, 0, 5]], { tol: 0 });
    // batchDims 1: out[b][idx[b][k]] += u[b][k]
    expectTensor(scatterAdd(T([[1, 2], [3, 4]]), T([[2, 2], [0, 1]], 'int32'), 3, 1, 1), [[0, 0, 3], [3, 4, 0]], { tol: 0 });
    expectTensor(scatterAdd(T([5, 7], 'int32'), T([1, 1], 'int32'), 2), [0, 12], { tol: 0, dtype: 'int32' });
  },
  iota: () => {
    expectTensor(arange(5), [0, 1, 2, 3, 4], { tol: 0, dtype: 'int32' });
    expectTensor(arange(3, 'float32'), [0, 1, 2], { tol: 0 });
    expectTensor(arange(0), [], { tol: 0, dtype: 'int32' });
  },
  // rotate_half([1, 2, 3, 4]) = [-3, -4, 1, 2]; tables broadcast over leading dims
  rope: (c) => {
    expectTensor(applyRope(T([[1, 2, 3, 4]]), { cos: T([1, 1, 0.5, 0.5]), sin: T([0, 1, 2, 0.5]) }), [[1, -2, 3.5, 3]], { tol: c.tol });
    expectTensor(applyRope(T([[[1, 2]], [[3, 4]]]), { cos: T([[0, 0]]), sin: T([1, 1]) }), [[[-2, 1]], [[-4, 3]]], { tol: c.tol });
  },
  // Scores ln 3 and 0 give weights 1/4, 3/4; a row with nothing allowed is uniform; k broadcasts over q's batch.
  // A chain of float32 steps (products, exp, sums): compared with chainTol.
  attention: (c) => {
    const tol = c.chainTol;
    // [T, heads, d] with one head
    const mask = T([[1, 1], [0, 0]], 'bool');
    expectTensor(dotProductAttention(T([[[1]], [[2]]]), T([[[0]], [[LN3]]]), T([[[4]], [[8]]]), mask, 1), [[[7]], [[6]]], { tol });
    const causal = T([[1, 0], [1, 1]], 'bool');
    expectTensor(dotProductAttention(T([[[[2]], [[2]]], [[[0]], [[0]]]]), T([[[[0]], [[LN3]]]]), T([[[[4]], [[8]]]]), causal, 0.5),
      [[[[4]], [[7]]], [[[4]], [[6]]]], { tol });
    // no keys at all (S = 0): zeros, on every backend (the kernels' empty sum; the composition's empty softmax)
    const q = fromValues([1, -2, 3, 0.5, 2, 1, -1, 4], [1, 2, 2, 2]);
    expectFlat(dotProductAttention(q, fromValues([], [1, 0, 1, 2]), fromValues([], [1, 0, 1, 3]), fromValues([], [2, 0], 'bool'), 0.5),
      [1, 2, 2, 3], new Array<number>(12).fill(0), { tol });
  },
  // packed [dq, dk, dv]: dv = P^T g, dScores = P (g v^T - rowsum) where allowed, times scale (worked out by hand)
  // (a backend without the attention kernel refuses it by name: there the composition is differentiated instead)
  attentionGrad: (c) => {
    const tol = c.chainTol;
    const grad = (q: Tensor, k: Tensor, v: Tensor, m: Tensor, scale: number) =>
      bind('attentionGrad', [q, k, v, m, ew.add(ew.mul(q, 0), 1)], { scale });
    if (!hasKernel(c.backend, 'attentionGrad')) {
      assert.throws(() => grad(T([[[1]]]), T([[[0]]]), T([[[4]]]), T([[1]], 'bool'), 1), /has no attentionGrad kernel/);
      return;
    }
    expectTensor(grad(T([[[1]], [[2]]]), T([[[0]], [[LN3]]]), T([[[4]], [[8]]]), T([[1, 1], [0, 0]], 'bool'), 1),
      [0.75 * LN3, 0, -0.75, 0.75, 0.75, 1.25], { tol });
    expectTensor(grad(T([[[[2]], [[2]]], [[[0]], [[0]]]]), T([[[[0]], [[LN3]]]]), T([[[[4]], [[8]]]]), T([[1, 0], [1, 1]], 'bool'), 0.5),
      [0, 0.375 * LN3, 0, 0.5 * LN3, -0.75, 0.75, 2.75, 1.25], { tol });
    // no keys: dq is zeros, dk and dv are empty
    expectFlat(grad(fromValues([1, -2, 3, 0.5], [2, 1, 2]), fromValues([], [0, 1, 2]), fromValues([], [0, 1, 2]), fromValues([], [2, 0], 'bool'), 0.5),
      [4], [0, 0, 0, 0], { tol });
  },
};

export function primitiveSuite(c: SuiteContext): void {
  describe('primitives: exact small cases', () => {
    for (const p of Object.keys(primitiveCases) as Primitive[]) check(p, () => primitiveCases[p](c));
    test('every primitive of the table has a case', () => {
      assert.deepEqual(Object.keys(primitiveCases).sort(), [...primitiveNames].sort());
    });
  });
}

/** IEEE special values through the element-wise primitives. */
export function specialValueSuite(c: SuiteContext): void {
  const inf = Infinity;
  describe('primitives: IEEE special values', () => {
    check('exp, log, sqrt, rsqrt, reciprocal at 0, negatives and infinities', () => {
      expectTensor(ew.exp(T([-inf, inf, -200])), [0, inf, 0], { tol: c.tol });
      expectTensor(ew.log(T([0, -1, inf])), [-inf, NaN, inf], { tol: c.tol });
      expectTensor(ew.sqrt(T([-1, inf])), [NaN, inf], { tol: c.tol });
      expectTensor(ew.rsqrt(T([0, inf])), [inf, 0], { tol: c.tol });
      expectTensor(ew.reciprocal(T([0, inf, -inf])), [inf, 0, -0], { tol: c.tol });
      expectTensor(ew.tanh(T([inf, -inf])), [1, -1], { tol: c.tol });
      expectTensor(ew.exp(T([100])), [inf], { tol: c.tol });                                     // overflows float32
    });
    check('division by zero and NaN comparisons', () => {
      expectTensor(ew.div(T([1, -1, 0]), T([0, 0, 0])), [inf, -inf, NaN], { tol: c.tol });
      const nan = T([NaN, 1]);
      expectTensor(ew.eq(nan, nan), [0, 1], { tol: 0, dtype: 'bool' });
      expectTensor(ew.ne(nan, nan), [1, 0], { tol: 0, dtype: 'bool' });
      expectTensor(ew.lt(nan, T([2, 2])), [0, 1], { tol: 0, dtype: 'bool' });
      expectTensor(ew.ge(nan, T([2, 0])), [0, 1], { tol: 0, dtype: 'bool' });
    });
  });
}

