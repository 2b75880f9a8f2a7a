// jit replays recorded programs through the backend's `runKernel`: replays must match eager execution.
import assert from 'node:assert/strict';
import { describe } from 'node:test';
import fc from 'fast-check';
import { arange } from '../creation.js';
import { jit } from '../jit/jit.js';
import { silu } from '../nn/activations.js';
import { softmax } from '../nn/softmax.js';
import * as ew from '../ops/elementwise.js';
import { matmul } from '../ops/linalg.js';
import { broadcastTo, concat, pad, permute, reshape, slice, transpose } from '../ops/movement.js';
import { max, sum } from '../ops/reduce.js';
import { gather, takeAlongAxis } from '../ops/indexing.js';
import type { Tensor } from '../tensor.js';
import type { Shape } from '../shape.js';
import { T, f32Arb, fromValues, numel, shapeArb, valuesArb } from './arbitraries.js';
import { assertClose, expectError } from './assert.js';
import { type SuiteContext, check } from './context.js';

type F = (x: Tensor, w: Tensor) => Tensor;
const programs: readonly [string, F][] = [
  ['element-wise chain', (x) => ew.tanh(ew.add(ew.mul(x, 2), ew.sin(x)))],
  ['matmul with an element-wise epilogue', (x, w) => silu(ew.add(matmul(x, w), 0.5))],
  ['reduction head with an epilogue', (x) => ew.exp(ew.sub(x, max(x, -1, true)))],
  ['softmax of a matmul, then a sum', (x, w) => sum(softmax(matmul(x, w)), 0)],
  ['reduction prologue: sum of squares', (x) => sum(ew.mul(x, x), -1)],
  ['reduction prologue over the outer axis, reading another reduction', (x, w) => sum(ew.mul(x, ew.sin(sum(w, 0))), 0)],
  ['reduction prologue and epilogue: log-sum-exp', (x) => ew.log(sum(ew.exp(ew.sub(x, 1)), -1, true))],
  ['max of a prologue, every axis', (x) => max(ew.neg(ew.abs(x)), [0, 1])],
  // movement read through views: nothing copied
  ['exp(permute(x)) + slice(w)', (x, w) => ew.add(ew.exp(transpose(x)), slice(w, [0, 1], [3, 3]))],
  ['one input through two views', (x) => ew.mul(slice(x, [0, 1], [2, 3]), slice(x, [0, 0], [2, 2]))],
  ['a reshape of a permute that is no view (read from the stored permute)', (x) => ew.add(reshape(permute(x, [1, 0]), [2, 3]), 1)],
  ['broadcast, reshape and permute into a reduction prologue', (x, w) => sum(ew.mul(permute(reshape(x, [2, 3, 1]), [2, 0, 1]), broadcastTo(sum(w, 0), [4, 2, 3])), [0, 2])],
  ['a broadcast scalar is a constant', (x) => ew.mul(x, broadcastTo(T(3), [2, 3]))],
  // a product reads its operands through views: the permute and the slice are not copied
  ['matmul(permute(x), slice(w))', (x, w) => matmul(transpose(x), slice(w, [0, 1], [2, 3]))],
  ['batched matmul of permuted operands with an epilogue', (x, w) =>
    ew.exp(matmul(permute(reshape(x, [2, 3, 1]), [0, 2, 1]), slice(broadcastTo(w, [2, 3, 3]), [0, 0, 1], [2, 3, 3])))],
  // pads and concats read through padded views: nothing copied
  ['exp(pad(x)) + concat(slices of w)', (x, w) => ew.add(ew.exp(pad(x, [[1, 0], [0, 0]], -0.5)), concat([slice(w, [0, 2], [3, 3]), slice(w, [0, 0], [3, 2])], 1))],
  ['a pad of a pad with another fill (read from the stored inner pad)', (x) => ew.mul(pad(pad(x, [[0, 1], [1, 0]], 2), [[1, 0], [0, 1]], NaN), 3)],
  ['rotate-half: a concat of a negated slice and a slice', (x) => concat([ew.neg(slice(x, [0, 1], [2, 3])), slice(x, [0, 0], [2, 1])], 1)],
  ['a concat of three along the outer axis, broadcast into a sum', (x, w) => ew.add(concat([x, slice(w, [0, 0], [1, 3]), ew.exp(x)], 0), slice(w, [2, 0], [3, 3]))],
  ['a sum over a padded prologue', (x) => sum(ew.mul(pad(x, [[0, 0], [2, 1]], 0.25), 2), -1)],
  ['a product of a padded operand (read from the stored pad)', (x, w) => matmul(pad(x, [[0, 1], [0, 0]], 1), w)],
  ['a slice of a concat inside one part', (x, w) => ew.exp(slice(concat([x, w], 0), [2, 0], [4, 3]))],
  // ranges are leaves: an element's value is its offset in the range's view
  ['a causal mask from two ranges', (x) => ew.where(ew.ge(reshape(arange(2), [2, 1]), arange(3)), x, ew.neg(x))],
  ['a float range, permuted, in a reduction prologue', (x) => sum(ew.mul(x, permute(reshape(arange(6, 'float32'), [3, 2]), [1, 0])), -1)],
  // a gather is an indexed read: x through its view at the row the index (read through its own view) picks
  ['a gather of a permute, scaled, plus x', (x, w) => ew.add(ew.mul(gather(transpose(w), T([2, 0], 'int32'), 0), 2), x)],
  ['a gather by a slice of the indices', (x) => ew.exp(gather(x, slice(T([5, 1, 2, 0], 'int32'), [1], [3]), 1))],
  ['a gather by a scalar index, broadcast', (x, w) => ew.mul(x, gather(slice(w, [0, 0], [3, 3]), T(1, 'int32'), 0))],
  ['a picked logit minus the row max (takeAlongAxis)', (x) => ew.sub(takeAlongAxis(x, T([2, 0], 'int32'), -1), reshape(max(x, -1), [2]))],
  ['a gather inside a reduction and a where', (x, w) => sum(ew.where(ew.gt(x, 0), gather(w, T([1, 2], 'int32'), 0), ew.neg(x)), -1)],
  // a cheap value read by two kernels (products' epilogues): stored, or recomputed in each (`recompute`)
  ['a shared value in two epilogues', (x, w) => { const y = ew.sin(ew.mul(x, 2)); return ew.add(silu(ew.add(matmul(x, w), y)), ew.mul(matmul(ew.exp(x), w), y)); }],
];

/** A movement op chosen by `seed` that applies to `shape`: permute, slice, broadcast, pad, concat, gather or reshape. */
function movement(seed: number, x: Tensor): Tensor {
  const s = x.shape, r = s.length, k = Math.floor(seed / 7);
  switch (seed % 7) {
    case 5: { const a = k % r; return gather(x, T([k % s[a], (k + 1) % s[a], 0], 'int32'), a as never); }
    case 3: return pad(x, s.map((_, i) => [(k + i) % 2, (k + 2 * i) % 3]) as never, [0, -1.5, NaN, -0][k % 4]);
    case 4: return concat([x, ew.mul(x, 2)] as never, k % r);
    case 0: return r < 2 ? x : permute(x, Array.from({ length: r }, (_, d) => (d + 1 + k) % r) as never);
    case 1: return slice(x, s.map((d, i) => (k + i) % d) as never, s as never);
    case 2: return broadcastTo(x, [2, ...s.map((d) => (d === 1 ? 3 : d))] as never);
    default: {
      const n = numel(s);
      const to: Shape = k % 3 === 0 ? [n] : k % 3 === 1 ? [...s, 1] : r >= 2 ? [s[0] * s[1], ...s.slice(2)] : [1, ...s];
      return reshape(x, to as never);
    }
  }
}

export function jitSuite(c: SuiteContext): void {
  describe('jit replay (runKernel)', () => {
    for (const [name, f] of programs) {
      check(`${name}: the replay equals eager execution, shared values stored or recomputed`, () => {
        const x = T([[0.5, -1, 2], [1.5, 0, -0.25]]), w = T([[1, 0, -1], [0.5, 2, 0], [-1, 1, 0.25]]);
        const eager = Array.from(f(x, w).dataSync());
        for (const recompute of [false, true]) {
          const g = jit(f, { recompute });
          g(x, w);                                       // traces
          const replayed = g(x, w);                      // replays the fused program
          assert.equal(g.stats().replays, 1);
          assertClose(Array.from(replayed.dataSync()), eager, c.tol, `${name} (recompute: ${recompute})`);
        }
      });
    }
    // each is one kernel: the movement, pad, concat, range and product reads are index expressions, not copies
    const oneKernel: readonly [string, string][] = [
      ['movement fuses', 'exp(permute(x)) + slice(w)'],
      ['pads and concats fuse', 'exp(pad(x)) + concat(slices of w)'],
      ['ranges fuse', 'a causal mask from two ranges'],
      ['products read through views', 'matmul(permute(x), slice(w))'],
      ['gathers fuse', 'a gather of a permute, scaled, plus x'],
    ];
    for (const [what, name] of oneKernel) {
      check(`${what}: ${name} is one kernel`, () => {
        const g = jit(programs.find(([n]) => n === name)![1]);
        const x = T([[0.5, -1, 2], [1.5, 0, -0.25]]), w = T([[1, 0, -1], [0.5, 2, 0], [-1, 1, 0.25]]);
        g(x, w); g(x, w);
        assert.deepEqual([g.stats().kernels, g.stats().fusedKernels], [1, 1], JSON.stringify(g.stats()));
      });
    }
    check('property: any chain of permutes, slices, broadcasts, pads, concats, gathers and reshapes read by a kernel replays as eager', () => {
      const arb = shapeArb(1, 3).chain((shape) => fc.tuple(fc.constant(shape), valuesArb(numel(shape), f32Arb(4)),
        fc.array(fc.nat(90), { minLength: 1, maxLength: 4 })));
      fc.assert(fc.property(arb, ([shape, data, seeds]) => {
        const f = (x: Tensor) => { const y = seeds.reduce((t, sd) => movement(sd, t), x); return ew.add(ew.exp(y), ew.mul(y, 0.5)); };
        const x = fromValues(data, shape);
        const expected = f(x);
        const g = jit(f);
        g(x);
        assertClose(Array.from(g(x).dataSync()), Array.from(expected.dataSync()), c.tol, `${JSON.stringify(shape)} ${seeds}`);
      }), { numRuns: Math.min(c.numRuns, 25) });
    });
    check('a replay checks every index a gather reads, also where a `where` does not pick it', () => {
      const g = jit((x: Tensor, ids: Tensor) => ew.where(ew.gt(x, 100), gather(ew.exp(x), ids as Tensor<Shape, 'int32'>, 1, 1), ew.neg(x)));
      const x = T([[0.5, -1, 2], [1.5, 0, -0.25]]);
      g(x, T([[0, 1, 2], [2, 2, 0]], 'int32'));
      assertClose(Array.from(g(x, T([[2, 1, 0], [0, 0, 1]], 'int32')).dataSync()), [-0.5, 1, -2, -1.5, -0, 0.25], 0);
      assert.match(expectError(() => g(x, T([[0, 1, 2], [3, 0, 0]], 'int32')).dataSync(), { kind: 'InvalidArgument', op: 'gather' }).message, /index 3 out of range \[0, 3\)/);
      assert.match(expectError(() => g(x, T([[0, -1, 2], [0, 0, 0]], 'int32')).dataSync(), { kind: 'InvalidArgument', op: 'gather' }).message, /index -1 out of range/);
      assert.equal(g.stats().replays, 3);
    });
    check('fusion happens, so runKernel is exercised', () => {
      const g = jit(programs[1][1]);
      const x = T([[1, 2]]), w = T([[1], [2]]);
      g(x, w); g(x, w);
      assert.ok(g.stats().fusedKernels > 0, JSON.stringify(g.stats()));
    });
  });
}
