import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Tensor, disposeReplaced, scalar } from '@safekey-ts/core';

const alive = (t: Tensor) => { try { t.dataSync(); return true; } catch { return false; } };

test('disposeReplaced frees what the new state replaced and nothing it carried over', () => {
  const a = scalar(1), b = scalar(2), c = scalar(3), b2 = scalar(4);
  const old = { w: [a, b], m: new Map([['c', c]]) };
  const next = { w: [a, b2], m: new Map([['c', c]]) };
  disposeReplaced(old, next);
  assert.deepEqual([a, b, c, b2].map(alive), [true, false, true, true]);
});
