// Exact small cases for the composites (nn/ and the indexing helpers), with hand-computed expectations.
// Composites chain several float32 ops, so they are compared with `chainTol` against double arithmetic.
import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { argmax, oneHot, takeAlongAxis, embedding } from '../ops/indexing.js';
import { mean, min } from '../ops/reduce.js';
import { relu, gelu, silu } from '../nn/activations.js';
import { causalMask, maskScores } from '../nn/attention.js';
import { maximum, sigmoid } from '../ops/elementwise.js';
import { bceWithLogits, crossEntropy, tokenNll } from '../nn/losses.js';
import { layerNorm, rmsNorm } from '../nn/norms.js';
import { applyRope, ropeTables } from '../nn/rope.js';
import { logSoftmax, logsumexp, softmax } from '../nn/softmax.js';
import { T, fromValues } from './arbitraries.js';
import { expectFlat, expectTensor } from './assert.js';
import { type SuiteContext, check } from './context.js';

const LN2 = 0.6931471805599453, LN3 = 1.0986122886681098, E = 2.718281828459045;

export function compositeSuite(c: SuiteContext): void {
  const tol = c.chainTol;
  describe('composites: exact small cases', () => {
    check('softmax', () => {
      expectTensor(softmax(T([0, 0, 0, 0])), [0.25, 0.25, 0.25, 0.25], { tol });
      // e^k / (e + e^2 + e^3)
      expectTensor(softmax(T([1, 2, 3])), [0.09003057317038046, 0.24472847105479767, 0.6652409557748219], { tol });
      expectTensor(softmax(T([[1001, 1002, 1003], [-5, -5, -5]])), [[0.09003057317038046, 0.24472847105479767, 0.6652409557748219], [1 / 3, 1 / 3, 1 / 3]], { tol });
      // along axis 0: column 0 is uniform, column 1 is [e, 1] / (e + 1)
      expectTensor(softmax(T([[0, 1], [0, 0]]), 0), [[0.5, E / (E + 1)], [0.5, 1 / (E + 1)]], { tol });
    });
    check('logSoftmax', () => {
      // log(e + e^2 + e^3) = 3.40760596444438
      expectTensor(logSoftmax(T([1, 2, 3])), [-2.40760596444438, -1.40760596444438, -0.40760596444438], { tol });
      expectTensor(logSoftmax(T([[0, 0], [0, 0]]), 0), [[-LN2, -LN2], [-LN2, -LN2]], { tol });
    });
    check('logsumexp', () => {
      expectTensor(logsumexp(T([[0, 0], [1, 2]])), [LN2, 2.3132616875182226], { tol });
      expectTensor(logsumexp(T([[0, 0], [1, 2]]), -1, true), [[LN2], [2.3132616875182226]], { tol });
      expectTensor(logsumexp(T([[0, 1], [0, 1]]), 0), [LN2, 1 + LN2], { tol });
      // large magnitudes: no overflow or underflow
      expectTensor(logsumexp(T([[1e4, 1e4], [-1e4, -1e4], [1e4, 0]])), [1e4 + LN2, -1e4 + LN2, 1e4], { tol });
    });
    check('rmsNorm', () => {
      // [3, 4]: mean square 12.5; [1, 1]: mean square 1
      expectTensor(rmsNorm(T([[3, 4], [1, 1]]), T([1, 2]), 0), [[3 / Math.sqrt(12.5), 8 / Math.sqrt(12.5)], [1, 2]], { tol });
      expectTensor(rmsNorm(T([3, 4]), T([1, 1])), [3 / Math.sqrt(12.5 + 1e-5), 4 / Math.sqrt(12.5 + 1e-5)], { tol });
    });
    check('layerNorm', () => {
      // [1, 2, 3, 4]: mean 2.5, biased variance (2.25 + 0.25 + 0.25 + 2.25) / 4 = 1.25
      const s = 1 / Math.sqrt(1.25);
      expectTensor(layerNorm(T([1, 2, 3, 4]), T([1, 1, 1, 1]), T([0, 0, 0, 0]), 0), [-1.5 * s, -0.5 * s, 0.5 * s, 1.5 * s], { tol });
      // a constant row stays finite (gives the bias) thanks to eps
      expectTensor(layerNorm(T([[1, 2, 3, 4], [5, 5, 5, 5]]), T([2, 2, 2, 2]), T([1, 0, 0, -1])),
        [[1 - 3 / Math.sqrt(1.25 + 1e-5), -1 / Math.sqrt(1.25 + 1e-5), 1 / Math.sqrt(1.25 + 1e-5), -1 + 3 / Math.sqrt(1.25 + 1e-5)], [1, 0, 0, -1]], { tol });
    });
    check('silu', () => {
      expectTensor(silu(T([0, 1, -1, 5])), [0, 0.7310585786300049, -0.2689414213699951, 4.966535745378576], { tol });
    });
    check('gelu (tanh approximation)', () => {
      // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
      expectTensor(gelu(T([0, 1, -1, 2, -0.5, 3])),
        [0, 0.8411919906082768, -0.15880800939172324, 1.954597694087775, -0.15428599017485606, 2.996362607918227], { tol });
    });
    check('relu, mean, min', () => {
      expectTensor(relu(T([-1, 0, 2.5])), [0, 0, 2.5], { tol });
      expectTensor(mean(T([[1, 2, 3], [4, 5, 6]]), 1), [2, 5], { tol });
      expectTensor(mean(T([[1, 2, 3], [4, 5, 6]])), 3.5, { tol });
      expectTensor(min(T([[1, -2, 3], [4, 5, 0]]), 1, true), [[-2], [0]], { tol });
    });
    check('crossEntropy (mean NLL), with and without mask', () => {
      // row 0: log(e + e^2 + e^3) - 3 = 0.40760596444438013; row 1: uniform over 3 -> ln 3
      const logits = T([[1, 2, 3], [1, 1, 1]]), targets = T([2, 0], 'int32');
      expectTensor(tokenNll(logits, targets), [0.40760596444438013, LN3], { tol });
      expectTensor(crossEntropy(logits, targets), 0.753109126556245, { tol });
      expectTensor(crossEntropy(logits, targets, T([true, false], 'bool')), 0.40760596444438013, { tol });
      expectTensor(crossEntropy(logits, targets, T([false, true], 'bool')), LN3, { tol });
      expectTensor(crossEntropy(logits, targets, T([false, false], 'bool')), 0, { tol });       // all-false mask: 0, not NaN
      // [B, T, V] logits with a [B, T] mask
      const l3 = T([[[0, 0], [0, 5]], [[5, 0], [0, 0]]]), t3 = T([[0, 1], [0, 1]], 'int32');
      const nll5 = Math.log(1 + Math.exp(-5));
      expectTensor(crossEntropy(l3, t3, T([[true, true], [true, false]], 'bool')), (LN2 + nll5 + nll5) / 3, { tol });
    });
    check('bceWithLogits', () => {
      // max(z,0) - z y + log(1 + e^-|z|)
      expectTensor(bceWithLogits(T([0, 100, -100, 2, -3]), T([1, 1, 1, 0, 0.5])),
        [LN2, 0, 100, 2 + 0.1269280110429726, 1.5 + 0.04858735157374196], { tol });
    });
    check('causalMask', () => {
      expectTensor(causalMask(3), [[1, 0, 0], [1, 1, 0], [1, 1, 1]], { tol: 0, dtype: 'bool' });
      expectTensor(causalMask(1), [[1]], { tol: 0, dtype: 'bool' });
    });
    check('maskScores: masked entries get no weight, a fully-masked row stays finite', () => {
      const masked = maskScores(T([[1, 2], [3, 4]]), T([[true, false], [false, false]], 'bool'));
      expectTensor(masked, [[1, -1e9], [-1e9, -1e9]], { tol: c.tol });
      const p = softmax(masked);
      expectTensor(p, [[1, 0], [0.5, 0.5]], { tol });
      assert.ok(Array.from(p.dataSync()).every(Number.isFinite));
      // causal mask broadcast over a batch of score matrices
      const s = softmax(maskScores(T([[[0, 0, 0], [0, 0, 0], [0, 0, 0]], [[1, 2, 3], [1, 2, 3], [1, 2, 3]]]), causalMask(3)));
      expectTensor(s, [
        [[1, 0, 0], [0.5, 0.5, 0], [1 / 3, 1 / 3, 1 / 3]],
        [[1, 0, 0], [1 / (1 + E), E / (1 + E), 0], [0.09003057317038046, 0.24472847105479767, 0.6652409557748219]],
      ], { tol });
    });
    check('ropeTables and applyRope (rotate-half convention)', () => {
      // headDim 4, theta 10000: inv_freq = [1, 0.01] for both halves
      const { cos: ct, sin: st } = ropeTables(T([0, 1, 2], 'int32'), 4);
      const row = (p: number, f: (a: number) => number) => [f(p), f(0.01 * p), f(p), f(0.01 * p)];
      expectTensor(ct, [0, 1, 2].map((p) => row(p, Math.cos)), { tol });
      expectTensor(st, [0, 1, 2].map((p) => row(p, Math.sin)), { tol });
      // x = [1, 2, 3, 4]: out = [x0 cos - x2 sin, x1 cos' - x3 sin', x2 cos + x0 sin, x3 cos' + x1 sin']
      const x = T([[1, 2, 3, 4], [1, 2, 3, 4], [1, 2, 3, 4]]);
      const c2 = Math.cos(2), s2 = Math.sin(2), c02 = Math.cos(0.02), s02 = Math.sin(0.02);
      const expected = [
        [1, 2, 3, 4],                                                                      // position 0: unchanged
        [-1.9841106485555495, 1.959900667496664, 2.4623779024123156, 4.019799668334994],  // position 1, by hand
        [c2 - 3 * s2, 2 * c02 - 4 * s02, 3 * c2 + s2, 4 * c02 + 2 * s02],
      ];
      expectTensor(applyRope(x, { cos: ct, sin: st }), expected, { tol });
      // tables [T, D] broadcast over [B, H, T, D]
      const x4 = T([[[[1, 2, 3, 4], [1, 2, 3, 4], [1, 2, 3, 4]], [[1, 2, 3, 4], [1, 2, 3, 4], [1, 2, 3, 4]]]]);
      expectTensor(applyRope(x4, { cos: ct, sin: st }), [[expected, expected]], { tol });
    });
    check('oneHot', () => {
      expectTensor(oneHot(T([2, 0], 'int32'), 3), [[0, 0, 1], [1, 0, 0]], { tol: 0 });
      expectTensor(oneHot(T([[1]], 'int32'), 2, 'int32'), [[[0, 1]]], { tol: 0, dtype: 'int32' });
    });
    check('takeAlongAxis on the last and on a non-last axis', () => {
      const x = T([[10, 11, 12], [20, 21, 22]]);
      expectTensor(takeAlongAxis(x, T([2, 0], 'int32')), [12, 20], { tol: 0 });
      expectTensor(takeAlongAxis(x, T([1, 0, 1], 'int32'), 0), [20, 11, 22], { tol: 0 });
      // rank 3, middle axis: out[i][k] = y[i][idx[i][k]][k] with y[i][j][k] = 100 i + 10 j + k
      const y = T([[[0, 1], [10, 11], [20, 21]], [[100, 101], [110, 111], [120, 121]]], 'int32');
      expectTensor(takeAlongAxis(y, T([[2, 0], [1, 1]], 'int32'), 1), [[20, 1], [110, 111]], { tol: 0, dtype: 'int32' });
      expectTensor(takeAlongAxis(T([5, 6, 7]), T(2, 'int32')), 7, { tol: 0 });
    });
    // Values where the plain formulas overflow, meet infinities or NaN, or reduce an empty axis; the expected
    // values are PyTorch's (torch 2.13, float32), which these limits also give.
    check('edge values: saturation, infinities, NaN, empty axes', () => {
      const big = 3e38, inf = Infinity;
      const sig100 = Math.exp(-100) / (1 + Math.exp(-100));
      expectTensor(sigmoid(T([-100, 100, -big, big, NaN])), [sig100, 1 - sig100, 0, 1, NaN], { tol });
      expectTensor(silu(T([-100, -big, big])), [-100 * sig100, -0, big], { tol });
      expectTensor(gelu(T([-1e20, 1e20, -big, big])), [-0, 1e20, -0, big], { tol });
      expectTensor(relu(T([NaN, 0, -2, 3])), [NaN, 0, 0, 3], { tol: 0 });
      expectTensor(maximum(T([NaN, 0]), 0), [NaN, 0], { tol: 0 });
      // logsumexp does not subtract an infinite max: all -Inf gives -Inf, any +Inf gives +Inf
      expectTensor(logsumexp(T([[-inf, -inf], [inf, 1], [inf, -inf], [NaN, 1], [-inf, 0]])), [-inf, inf, inf, NaN, 0], { tol });
      // softmax and logSoftmax subtract the max, as PyTorch does: a row with +Inf, or only -Inf, is NaN
      expectTensor(softmax(T([[-inf, 0], [inf, 0], [-inf, -inf], [NaN, 0]])), [[0, 1], [NaN, NaN], [NaN, NaN], [NaN, NaN]], { tol });
      expectTensor(logSoftmax(T([[-inf, 0], [inf, 0], [-inf, -inf]])), [[-inf, 0], [NaN, NaN], [NaN, NaN]], { tol });
      // an empty axis: softmax is empty, logsumexp is -Inf (the log of an empty sum)
      expectFlat(softmax(fromValues([], [2, 0])), [2, 0], [], { tol });
      expectFlat(logSoftmax(fromValues([], [0, 3]), 0), [0, 3], [], { tol });
      expectTensor(logsumexp(fromValues([], [2, 0])), [-inf, -inf], { tol });
      // argmax: the first NaN wins (PyTorch), else the first maximum
      expectTensor(argmax(T([1, NaN, 3])), 1, { tol: 0, dtype: 'int32' });
      expectTensor(argmax(T([[NaN, NaN, 0], [0, 2, 2], [5, 1, NaN], [-inf, -inf, -inf]])), [0, 1, 2, 0], { tol: 0, dtype: 'int32' });
      expectTensor(argmax(T([[1, 9], [NaN, 0]]), 0), [1, 0], { tol: 0, dtype: 'int32' });
      // cross-entropy over no position is 0, with or without a mask
      expectTensor(crossEntropy(fromValues([], [0, 3]), fromValues([], [0], 'int32')), 0, { tol });
      expectTensor(crossEntropy(fromValues([], [2, 0, 3]), fromValues([], [2, 0], 'int32'), fromValues([], [2, 0], 'bool')), 0, { tol });
    });
    check('embedding', () => {
      const table = T([[0, 1], [10, 11], [20, 21]]);
      expectTensor(embedding(table, T([[2, 0], [1, 1]], 'int32')), [[[20, 21], [0, 1]], [[10, 11], [10, 11]]], { tol: 0 });
      expectTensor(embedding(table, T(1, 'int32')), [10, 11], { tol: 0 });
    });
  });
}
