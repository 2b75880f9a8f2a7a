// tidy / keep / dispose against the backend's own buffer count.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as ew from '../ops/elementwise.js';
import { matmul } from '../ops/linalg.js';
import { sum } from '../ops/reduce.js';
import { softmax } from '../nn/softmax.js';
import { keep, tidy } from '../scope.js';
import { type Tensor } from '../tensor.js';
import { getBackend } from '../bind.js';
import { T } from './arbitraries.js';
import { expectTensor } from './assert.js';
import type { SuiteContext } from './context.js';

const live = () => getBackend().memory().liveBuffers;
const bytes = () => getBackend().memory().liveBytes;

export function memorySuite(c: SuiteContext): void {
  describe('tidy / keep / dispose', () => {
    test('the suite runs on the backend under test', () => {
      assert.equal(getBackend(), c.backend);
    });
    test('dispose frees the buffer once', () => {
      const base = live(), baseBytes = bytes();
      const x = T([[1, 2], [3, 4]]);
      assert.equal(live(), base + 1);
      assert.ok(bytes() > baseBytes);
      x.dispose();
      x.dispose();
      assert.equal(live(), base);
      assert.equal(bytes(), baseBytes);
    });
    test('tidy disposes every tensor made inside except the returned one', () => {
      const base = live(), baseBytes = bytes();
      const out = tidy(() => {
        const a = T([[1, 2], [3, 4]]), b = T([1, 1]);
        return sum(softmax(ew.add(matmul(a, a), b)), 1);
      });
      assert.equal(live(), base + 1);
      assert.equal(out.isDisposed, false);
      expectTensor(out, [1, 1], { tol: c.chainTol });
      out.dispose();
      assert.equal(live(), base);
      assert.equal(bytes(), baseBytes);
    });
    test('tensors from outside a tidy are not disposed by it', () => {
      const x = T([1, 2, 3]);
      const base = live();
      const y = tidy(() => ew.mul(ew.add(x, 1), 2));
      assert.equal(x.isDisposed, false);
      assert.equal(live(), base + 1);
      expectTensor(y, [4, 6, 8], { tol: c.tol });
      x.dispose(); y.dispose();
    });
    test('kept tensors survive their tidy', () => {
      const base = live();
      let kept: Tensor | undefined, dropped: Tensor | undefined;
      tidy(() => {
        dropped = ew.exp(T([0, 1]));
        kept = keep(ew.neg(dropped));
      });
      assert.equal(dropped!.isDisposed, true);
      assert.equal(kept!.isDisposed, false);
      assert.equal(live(), base + 1);
      expectTensor(kept!, [-1, -2.718281828459045], { tol: c.tol });
      kept!.dispose();
      assert.equal(live(), base);
    });
    test('results nested in records and arrays with non-tensor fields survive', () => {
      const base = live();
      const res = tidy(() => {
        const x = T([1, 2, 3]);
        const sq = ew.mul(x, x);
        return { loss: sum(sq), step: 3, name: 'batch', parts: [sq, { flag: true, none: null }], map: new Map([['k', ew.neg(x)]]) };
      });
      assert.equal(res.step, 3);
      assert.equal(res.name, 'batch');
      assert.deepEqual(res.parts[1], { flag: true, none: null });
      assert.equal(live(), base + 3);
      expectTensor(res.loss, 14, { tol: c.tol });
      expectTensor(res.parts[0] as Tensor, [1, 4, 9], { tol: c.tol });
      expectTensor(res.map.get('k')!, [-1, -2, -3], { tol: c.tol });
      res.loss.dispose(); (res.parts[0] as Tensor).dispose(); res.map.get('k')!.dispose();
      assert.equal(live(), base);
    });
    test('nested tidy: the inner result belongs to the outer scope', () => {
      const base = live();
      let inner: Tensor | undefined;
      const out = tidy(() => {
        inner = tidy(() => ew.add(T([1]), T([2])));
        assert.equal(inner.isDisposed, false);
        return ew.mul(inner, 10);
      });
      assert.equal(inner!.isDisposed, true);
      assert.equal(live(), base + 1);
      expectTensor(out, [30], { tol: c.tol });
      out.dispose();
      assert.equal(live(), base);
    });
    test('a tidy that throws disposes what it made and closes its scope', () => {
      const base = live();
      let made: Tensor | undefined;
      assert.throws(() => tidy(() => { made = ew.exp(T([1])); throw new Error('boom'); }), /boom/);
      assert.equal(made!.isDisposed, true);
      assert.equal(live(), base);
      // the failed scope is closed: a tensor made now is owned by no scope and survives an unrelated tidy
      const x = T([5]);
      tidy(() => undefined);
      assert.equal(x.isDisposed, false);
      x.dispose();
      assert.equal(live(), base);
    });
  });
}
