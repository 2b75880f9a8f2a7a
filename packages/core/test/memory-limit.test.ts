import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { TensorError, getBackend, matmul, memoryLimit, ones, setMemoryLimit, tidy, zeros } from '@safekey-ts/core';

const refused = (f: () => unknown): TensorError => {
  try { f(); } catch (e) { assert.ok(e instanceof TensorError, `a TensorError, not ${String(e)}`); return e; }
  assert.fail('the allocation was not refused');
};

test('an allocation beyond the machine is a TensorError naming op, shape and bytes, not a RangeError or a killed process', () => {
  const e = refused(() => zeros([2 ** 40]));
  assert.equal(e.kind, 'OutOfMemory');
  assert.match(e.message, /^full: a float32 result of \[1099511627776\] needs 4096\.0 GiB/);
  assert.ok(memoryLimit(getBackend()) < 2 ** 40);
});

test('the cap counts what is already held, and an op is refused before its output exists', () => {
  setMemoryLimit(64 * 2 ** 20);
  try {
    tidy(() => {
      const a = ones([4096, 1]), b = ones([1, 4096]); // a 64 MiB product
      const before = getBackend().memory().liveBytes;
      const e = refused(() => matmul(a, b));
      assert.match(e.message, /^matmul: a float32 result of \[4096, 4096\] needs 64\.0 MiB, and with the .* already held that passes the 64\.0 MiB/);
      assert.equal(getBackend().memory().liveBytes, before, 'nothing was allocated');
      const half = zeros([2048, 4096]); // 32 MiB fits
      assert.throws(() => zeros([2048, 4096]), /already held/, 'a second one passes the cap with the first alive');
      half.dispose();
      zeros([2048, 4096]).dispose();
    });
  } finally { setMemoryLimit(undefined); }
});

test('property: below the cap a tensor is made, above it refused, the boundary exactly at bytes + live > cap', () => {
  fc.assert(fc.property(fc.integer({ min: 2 ** 22, max: 2 ** 24 }), fc.integer({ min: 2 ** 24, max: 2 ** 27 }), (n, cap) => {
    setMemoryLimit(cap);
    try {
      const live = getBackend().memory().liveBytes;
      const fits = 4 * n + live <= cap || 4 * n < 2 ** 24;
      let made = true;
      try { zeros([n]).dispose(); } catch (e) { if (!(e instanceof TensorError && e.kind === 'OutOfMemory')) throw e; made = false; }
      return made === fits;
    } finally { setMemoryLimit(undefined); }
  }), { numRuns: 40 });
  assert.throws(() => setMemoryLimit(0), /setMemoryLimit: 0 is not a positive number of bytes/);
});

test('an unknown dtype from untyped code is a TensorError naming the op', () => {
  const e = refused(() => zeros([2], 'float128' as 'float32'));
  assert.equal(e.kind, 'DTypeMismatch');
  assert.equal(e.message, "full: unknown dtype 'float128' (one of float32, float64, int32, bool, bfloat16)");
});
