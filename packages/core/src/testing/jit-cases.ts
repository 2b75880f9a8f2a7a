// jit replays recorded programs through the backend's `runFused`: replays must match eager execution.
import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { jit } from '../jit/jit.js';
import { silu } from '../nn/activations.js';
import { softmax } from '../nn/softmax.js';
import * as ew from '../ops/elementwise.js';
import { matmul } from '../ops/linalg.js';
import { max, sum } from '../ops/reduce.js';
import type { Tensor } from '../tensor.js';
import { T } from './arbitraries.js';
import { assertClose } from './assert.js';
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
];

export function jitSuite(c: SuiteContext): void {
  describe('jit replay (runFused)', () => {
    for (const [name, f] of programs) {
      check(`${name}: the replay equals eager execution`, () => {
        const x = T([[0.5, -1, 2], [1.5, 0, -0.25]]), w = T([[1, 0, -1], [0.5, 2, 0], [-1, 1, 0.25]]);
        const eager = Array.from(f(x, w).dataSync());
        const g = jit(f);
        g(x, w);                                       // traces
        const replayed = g(x, w);                      // replays the fused program
        assert.equal(g.stats().replays, 1);
        assertClose(Array.from(replayed.dataSync()), eager, c.tol, name);
      });
    }
    check('fusion happens, so runFused is exercised', () => {
      const g = jit(programs[1][1]);
      const x = T([[1, 2]]), w = T([[1], [2]]);
      g(x, w); g(x, w);
      assert.ok(g.stats().fusedKernels > 0, JSON.stringify(g.stats()));
    });
  });
}
