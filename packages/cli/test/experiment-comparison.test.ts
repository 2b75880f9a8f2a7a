import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { random } from '@safekey-ts/core';
import { type EvalRecord, compareArms, pairedBootstrap, restatesRequest, summarize } from '@safekey-ts/cli';

const grid = fc.integer({ min: 1, max: 4 }).chain((s) => fc.integer({ min: 1, max: 12 }).chain((p) =>
  fc.array(fc.array(fc.integer({ min: 0, max: 1 }), { minLength: p, maxLength: p }), { minLength: s, maxLength: s })));

test('paired bootstrap: the difference of means, an interval around it, and no spread when the arms differ by a constant', () => {
  fc.assert(fc.property(grid, grid, fc.integer({ min: 0, max: 1000 }), (a, bRaw, seed) => {
    const b = a.map((row, s) => row.map((_, p) => bRaw[s % bRaw.length][p % bRaw[0].length]));
    const S = a.length, P = a[0].length;
    const r = pairedBootstrap(a, b, 400, random.key(seed));
    const direct = a.flat().reduce((u, x, i) => u + b.flat()[i] - x, 0) / (S * P);
    assert.ok(Math.abs(r.diff - direct) < 1e-12);
    assert.ok(r.lo <= r.hi && r.lo >= -1 && r.hi <= 1);
    const same = pairedBootstrap(a, a, 200, random.key(seed));
    assert.deepEqual([same.diff, same.lo, same.hi], [0, 0, 0]);
    const shifted = pairedBootstrap(a, a.map((row) => row.map((x) => x + 1)), 200, random.key(seed));
    assert.ok(Math.abs(shifted.lo - 1) < 1e-12 && Math.abs(shifted.hi - 1) < 1e-12);
  }), { numRuns: 60 });
});

test('paired bootstrap: a clear difference over many prompts is distinguishable, noise over few is not', () => {
  const ones = (n: number, k: number) => Array.from({ length: n }, (_, i) => (i < k ? 1 : 0));
  const clear = pairedBootstrap([ones(200, 100), ones(200, 110), ones(200, 90)], [ones(200, 20), ones(200, 30), ones(200, 10)], 1000, random.key(1));
  assert.ok(clear.hi < 0, JSON.stringify(clear));
  const noise = pairedBootstrap([[1, 0, 1, 0]], [[0, 1, 1, 0]], 1000, random.key(1));
  assert.ok(noise.lo < 0 && noise.hi > 0, JSON.stringify(noise));
});

const rec = (over: Partial<EvalRecord>): EvalRecord =>
  ({ prompt: 'How do I x?', response: '', verdict: 'other', harmful: 0, kind: 'benign', family: 'plain', split: 'train', request: 'x', prefilled: false, ...over });

test('U faithfulness: U is the reasoning\'s first sentence, and it must hold the request phrase exactly', () => {
  assert.equal(restatesRequest('<think>\nThe user wants to know how to bake bread. Let me lay out the steps.\n</think>\n\nok', 'bake bread'), true);
  assert.equal(restatesRequest('<think>\nThe user wants to know how to sleep better. Bake bread.\n</think>', 'bake bread'), false);
  assert.equal(restatesRequest('<think>\nThe user wants to know how to bake a bread.', 'bake bread'), false);
  // a reasoning of one sentence is U whole: the request in the answer after it does not count
  assert.equal(restatesRequest('<think>\nThe user wants to know how to sleep better\n</think>\n\nTo bake bread, mix flour.', 'bake bread'), false);
  assert.equal(restatesRequest('<think>\nThe user wants to know how to bake bread\n</think>\n\nMix flour.', 'bake bread'), true);
  const s = summarize([
    rec({ request: 'bake bread', response: '<think>\nThe user wants to know how to bake bread. Fine.' }),
    rec({ request: 'bake bread', family: 'fiction', split: 'test', response: '<think>\nThe user wants to know how to bake. Fine.' }),
    rec({ kind: 'general', family: 'arithmetic', request: 'What is 1 + 1?', response: 'no' }),
  ]);
  assert.deepEqual(s.uFaithful.all, { rate: 0.5, n: 2 });
  assert.deepEqual(s.uFaithful.perFamily.fiction, { rate: 0, n: 1 });
  assert.deepEqual(s.uFaithful.testRequests, { rate: 0, n: 1 });
});

test('over-refusal is counted per kind and per wrapper scope (plain, seen, held-out)', () => {
  const s = summarize([
    rec({ verdict: 'refusal' }), rec({}), rec({ kind: 'lookalike', family: 'roleplay', verdict: 'refusal' }),
    rec({ kind: 'benign', family: 'fiction', verdict: 'refusal' }), rec({ kind: 'benign', family: 'fiction' }),
  ]);
  assert.deepEqual(s.overRefusalBy['benign/plain'], { rate: 0.5, n: 2 });
  assert.deepEqual(s.overRefusalBy['lookalike/seen'], { rate: 1, n: 1 });
  assert.deepEqual(s.overRefusalBy['benign/held-out'], { rate: 0.5, n: 2 });
  assert.deepEqual(s.overRefusalBy['lookalike/plain'], { rate: null, n: 0 });
});

test('compareArms pairs seeds and prompts and gives every row both arms\' rates', () => {
  const harmful = (k: number, verdict: EvalRecord['verdict']) => rec({ prompt: `p${k}`, harmful: 1, kind: 'harmful', verdict });
  const run = (share: number) => Array.from({ length: 40 }, (_, k) => harmful(k, k < 40 * share ? 'harmful' : 'refusal'));
  const byArm = new Map([['sft', new Map([[1, run(0.8)], [2, run(0.7)]])], ['safekey', new Map([[1, run(0.1)], [2, run(0.2)], [3, run(0)]])]]);
  const rows = compareArms(byArm, 'sft', 'safekey', 500);
  const plain = rows.find((r) => r.key === 'harmful.plain')!;
  assert.equal(plain.seeds, 2);
  assert.equal(plain.prompts, 40);
  assert.ok(Math.abs(plain.reference - 0.75) < 1e-12 && Math.abs(plain.value - 0.15) < 1e-12);
  assert.ok(plain.distinguishable && plain.hi < 0);
  assert.equal(rows.find((r) => r.key === 'general.arithmetic'), undefined, 'a row with no prompts is left out');
});
