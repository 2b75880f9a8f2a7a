// The counter-based RNG: Threefry-2x32 known answers, key handling, and the distributions.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { TensorError, random } from '@safekey-ts/core';

const values = (t: { dataSync(): ArrayLike<number> }): number[] => Array.from(t.dataSync());
const meanOf = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const stdOf = (xs: readonly number[]) => { const m = meanOf(xs); return Math.sqrt(meanOf(xs.map((x) => (x - m) ** 2))); };

describe('threefry2x32 known-answer vectors (Random123 kat_vectors, JAX tests)', () => {
  const kat: [string, [number, number], [number, number], [number, number]][] = [
    ['zeros', [0x00000000, 0x00000000], [0x00000000, 0x00000000], [0x6b200159, 0x99ba4efe]],
    ['all ones', [0xffffffff, 0xffffffff], [0xffffffff, 0xffffffff], [0x1cb996fc, 0xbb002be7]],
    ['pi digits', [0x13198a2e, 0x03707344], [0x243f6a88, 0x85a308d3], [0xc4923a9c, 0x483df7a0]],
  ];
  for (const [name, key, [x0, x1], want] of kat)
    test(name, () => assert.deepEqual(random.threefry2x32(key, x0, x1), want));

  test('outputs are uint32 words', () => {
    fc.assert(fc.property(fc.tuple(fc.nat(), fc.nat(), fc.nat(), fc.nat()), ([k0, k1, x0, x1]) => {
      for (const w of random.threefry2x32([k0 >>> 0, k1 >>> 0], x0 >>> 0, x1 >>> 0)) assert.ok(Number.isInteger(w) && w >= 0 && w <= 0xffffffff);
    }), { numRuns: 100 });
  });
});

describe('keys', () => {
  test('key(seed) is [high word, low word] of the seed', () => {
    assert.deepEqual([...random.key(0)], [0, 0]);
    assert.deepEqual([...random.key(42)], [0, 42]);
    assert.deepEqual([...random.key(2 ** 32 + 5)], [1, 5]);
    assert.deepEqual([...random.key(-1)], [0xffffffff, 0xffffffff]);
    assert.throws(() => random.key(1.5), (e) => e instanceof TensorError && e.kind === 'InvalidArgument' && e.op === 'key');
  });
  test('randomBits hashes counters i and i + n/2 into words i and i + n/2', () => {
    const k = random.key(7);
    const bits = random.randomBits(k, 6);
    for (let i = 0; i < 3; i++) assert.deepEqual([bits[i], bits[i + 3]], random.threefry2x32(k, i, i + 3));
    assert.deepEqual(Array.from(random.randomBits(k, 5)), Array.from(random.randomBits(k, 5)));
    assert.equal(random.randomBits(k, 5).length, 5);
  });
  test('the same key gives the same numbers', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 2 ** 31 }), (seed) => {
      const k = random.key(seed);
      assert.deepEqual(values(random.uniform(k, [16])), values(random.uniform(random.key(seed), [16])));
      assert.deepEqual(values(random.normal(k, [8])), values(random.normal(k, [8])));
      assert.deepEqual(random.split(k, 3), random.split(k, 3));
    }), { numRuns: 50 });
  });
  test('split keys differ from each other and from the parent; foldIn differs per data', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 2 ** 31 }), (seed) => {
      const k = random.key(seed);
      const kids = random.split(k, 4);
      assert.equal(kids.length, 4);
      const all = [k, ...kids].map((x) => `${x[0]},${x[1]}`);
      assert.equal(new Set(all).size, all.length);
      assert.notDeepEqual(random.foldIn(k, 0), random.foldIn(k, 1));
      assert.notDeepEqual(values(random.uniform(kids[0], [4])), values(random.uniform(kids[1], [4])));
    }), { numRuns: 50 });
  });
});

describe('distributions', () => {
  const n = 10_000;
  test('uniform: 10k draws in [0, 1), mean near 1/2, variance near 1/12', () => {
    const u = random.uniform(random.key(1), [n]);
    assert.equal(u.dtype, 'float32');
    assert.deepEqual([...u.shape], [n]);
    const xs = values(u);
    assert.ok(xs.every((x) => x >= 0 && x < 1));
    assert.ok(Math.abs(meanOf(xs) - 0.5) < 0.015, `mean ${meanOf(xs)}`);       // std of the mean ~0.003
    assert.ok(Math.abs(stdOf(xs) ** 2 - 1 / 12) < 0.005, `variance ${stdOf(xs) ** 2}`);
  });
  test('uniform: low / high, float64, and never high after rounding to the dtype', () => {
    const xs = values(random.uniform(random.key(2), [1000], { low: -3, high: 5, dtype: 'float64' }));
    assert.ok(xs.every((x) => x >= -3 && x < 5));
    assert.ok(Math.abs(meanOf(xs) - 1) < 0.3);
    // [1, 1 + 2^-23) holds exactly one float32: every draw must be 1 (a double near the top rounds up to high)
    assert.ok(values(random.uniform(random.key(3), [200], { low: 1, high: 1 + 2 ** -23 })).every((x) => x === 1));
    assert.ok(values(random.uniform(random.key(3), [200], { low: 1, high: 1 + 2 ** -52, dtype: 'float64' })).every((x) => x === 1));
    fc.assert(fc.property(fc.integer({ min: 0, max: 1000 }), fc.float({ min: -100, max: 100, noNaN: true }), fc.float({ min: Math.fround(1e-6), max: 10, noNaN: true }),
      (seed, low, width) => {
        const high = Math.fround(low + width);
        fc.pre(high > low);
        assert.ok(values(random.uniform(random.key(seed), [32], { low, high })).every((x) => x >= low && x < high));
      }), { numRuns: 100 });
  });
  test('normal: 10k draws with mean near 0 and std near 1; mean/std options', () => {
    const xs = values(random.normal(random.key(4), [100, 100]));
    assert.ok(xs.every(Number.isFinite));
    assert.ok(Math.abs(meanOf(xs)) < 0.05, `mean ${meanOf(xs)}`);               // std of the mean 0.01
    assert.ok(Math.abs(stdOf(xs) - 1) < 0.05, `std ${stdOf(xs)}`);
    const ys = values(random.normal(random.key(5), [n], { mean: 3, std: 0.5, dtype: 'float64' }));
    assert.ok(Math.abs(meanOf(ys) - 3) < 0.03 && Math.abs(stdOf(ys) - 0.5) < 0.03);
  });
  test('bernoulli: rate near p, p = 0 and p = 1 exact, bad p rejected', () => {
    const b = random.bernoulli(random.key(6), 0.3, [n]);
    assert.equal(b.dtype, 'bool');
    const xs = values(b);
    assert.ok(xs.every((x) => x === 0 || x === 1));
    assert.ok(Math.abs(meanOf(xs) - 0.3) < 0.02, `rate ${meanOf(xs)}`);         // std of the rate ~0.0046
    assert.ok(values(random.bernoulli(random.key(6), 0, [100])).every((x) => x === 0));
    assert.ok(values(random.bernoulli(random.key(6), 1, [100])).every((x) => x === 1));
    for (const p of [-0.1, 1.5, NaN]) assert.throws(() => random.bernoulli(random.key(6), p, [2]), (e) => e instanceof TensorError && e.kind === 'InvalidArgument' && e.op === 'bernoulli');
  });
  test('permutation is a permutation of 0..n-1', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 2 ** 31 }), fc.integer({ min: 0, max: 40 }), (seed, m) => {
      const p = random.permutation(random.key(seed), m);
      assert.equal(p.dtype, 'int32');
      assert.deepEqual(values(p).sort((a, b) => a - b), Array.from({ length: m }, (_, i) => i));
    }), { numRuns: 100 });
    assert.notDeepEqual(values(random.permutation(random.key(1), 20)), values(random.permutation(random.key(2), 20)));
    assert.throws(() => random.permutation(random.key(0), -1), (e) => e instanceof TensorError && e.op === 'permutation');
  });
  test('permutation is roughly uniform: each element lands in each slot about equally often', () => {
    const counts = Array.from({ length: 4 }, () => new Array<number>(4).fill(0));
    for (const k of random.split(random.key(9), 2000)) values(random.permutation(k, 4)).forEach((v, slot) => counts[v][slot]++);
    for (const row of counts) for (const c of row) assert.ok(Math.abs(c - 500) < 100, `count ${c}`);  // binomial std ~19
  });
});
