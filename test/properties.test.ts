// The property suite: random expression trees over every differentiable public op (suites/expression-trees.ts),
// shrunk by fast-check to a minimal tree on failure.
// - float64, reference backend: vjp and grad against central differences; Hessian-vector products (reverse over
//   reverse) against central differences of the gradient.
// - every backend of backends.ts, float32: the value and the vjp of the same trees against the reference backend's
//   float64 ones at the same points, within the tolerance of the op families in the tree.
// Case counts are below; SAFEKEY_PROPERTY_SCALE=10 multiplies them (a long run that should also find nothing).
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import fc from 'fast-check';
import { type Backend, type FloatDType, type Tensor, add, getBackend, mul, random, referenceBackend, setBackend, sum, tidy } from '@safekey-ts/core';
import { grad, gradcheck, vjp } from '@safekey-ts/autograd';
import { forEachBackend } from './backends.js';
import { type Family, type Tree, OPS, SHAPE, inadmissible, consts, evaluate, families, inputsArb, show, size, tensorOf, treeArb } from './suites/expression-trees.js';

const SCALE = Number(process.env.SAFEKEY_PROPERTY_SCALE ?? 1);
export const RUNS = { differences: 80 * SCALE, hessian: 30 * SCALE, perBackend: 20 * SCALE };
const DEPTH = 5;
/** Central differences (step 1e-5) of trees whose values stay below 1e4: the largest errors seen (10x runs and
 * default ones) were 4.2e-7 (gradients) and 7.7e-8 (Hessian-vector products). */
const DIFF_TOL = 1e-5;
const HVP_TOL = 1e-5;
/**
 * float32 against float64, relative to the largest entry (at least 1): a few float32 roundings per op, amplified
 * by the op's conditioning; a tree gets the largest tolerance of the families it uses. The largest errors seen
 * in three runs of 1,600 trees over the 8 backends here (SAFEKEY_PROPERTY_SCALE=10) were 1.5e-6 (element-wise),
 * 1.5e-6 (matmul), 4.4e-6 (attention), 6e-7 (losses) and 2.3e-6 (norms): these leave a factor of 11-50.
 */
export const FAMILY_TOL: Readonly<Record<Family, number>> = {
  elementwise: 2e-5, reduce: 2e-5, movement: 2e-5, softmax: 2e-5, loss: 3e-5, matmul: 5e-5, norm: 1e-4, attention: 5e-5,
};
/** The family whose tolerance a tree gets: the loosest of those it uses. */
const treeFamily = (t: Tree): Family => families(t).reduce<Family>((p, f) => (FAMILY_TOL[f] > FAMILY_TOL[p] ? f : p), 'elementwise');

const maxRelError = (got: ArrayLike<number>, want: ArrayLike<number>) => {
  let diff = 0, scale = 1;
  for (let i = 0; i < want.length; i++) { diff = Math.max(diff, Math.abs(got[i] - want[i])); scale = Math.max(scale, Math.abs(want[i])); }
  return diff / scale;
};
const host = (x: Tensor) => Array.from(x.dataSync() as ArrayLike<number>);
const label = (t: Tree, v: readonly (readonly number[])[]) => `tree ${show(t)} (${size(t)} ops) at x0 = [${v[0].join(', ')}], x1 = [${v[1].join(', ')}]`;
const trees = fc.tuple(treeArb(DEPTH), inputsArb);

/** What each property exercised (printed at the end): trees tested, skipped (and why), their ops, ops never used. */
interface Tally { tested: number; ops: number; largest: number; readonly used: Set<string>; readonly skipped: Record<string, number> }
const stats: Record<string, Tally> = {};
/** Counts the case; true when it is tested (`why` null), for `fc.pre`. */
function tally(name: string, t: Tree, why: string | null): boolean {
  const s = (stats[name] ??= { tested: 0, ops: 0, largest: 0, used: new Set(), skipped: {} });
  if (why !== null) { s.skipped[why] = (s.skipped[why] ?? 0) + 1; return false; }
  s.tested++; s.ops += size(t); s.largest = Math.max(s.largest, size(t));
  const walk = (n: Tree): void => { if ('leaf' in n) return; s.used.add(n.op); walk(n.a); if (n.b) walk(n.b); };
  walk(t);
  return true;
}

describe('expression trees against central differences (float64, reference backend)', () => {
  test(`vjp and grad of ${RUNS.differences} random trees`, () => {
    assert.equal(getBackend().name, 'reference');
    fc.assert(fc.property(trees, ([t, v]) => tidy(() => {
      const k = consts('float64'), x0 = tensorOf('float64', v[0]), x1 = tensorOf('float64', v[1]);
      fc.pre(tally('differences', t, inadmissible(t, k, x0, x1)));
      const f = evaluate(t, k);
      const { errors, analytic, numeric } = gradcheck(f, [x0, x1]);
      errors.forEach((e, i) => assert.ok(e < DIFF_TOL, `vjp, input ${i}: error ${e}; ${label(t, v)}`));
      record(`vjp vs differences (tol ${DIFF_TOL})`, Math.max(...errors), show(t));
      // grad of the projection on gradcheck's own cotangent gives the same gradient
      const ct = random.normal(random.key(0), SHAPE, { dtype: 'float64' });
      const g = grad((a: Tensor, b: Tensor) => sum(mul(f(a, b), ct)), { argnums: [0, 1] })(x0, x1);
      g.forEach((gi, i) => {
        const e = maxRelError(host(gi), numeric[i]);
        assert.ok(e < DIFF_TOL, `grad, input ${i}: error ${e}; ${label(t, v)}`);
        assert.ok(maxRelError(host(gi), analytic[i]) < 1e-12, `grad and vjp differ; ${label(t, v)}`);
      });
    })), { numRuns: RUNS.differences });
  });

  test(`Hessian-vector products of ${RUNS.hessian} random trees (reverse over reverse)`, () => {
    fc.assert(fc.property(trees, inputsArb, ([t, v], [dir]) => tidy(() => {
      const k = consts('float64'), x0 = tensorOf('float64', v[0]), x1 = tensorOf('float64', v[1]), d = tensorOf('float64', dir);
      fc.pre(tally('hessian', t, inadmissible(t, k, x0, x1)));
      const ct = random.normal(random.key(1), SHAPE, { dtype: 'float64' });
      const fs = (x: Tensor) => sum(mul(evaluate(t, k)(x, x1), ct));
      const hvp = host(grad((y: Tensor) => sum(mul(grad(fs)(y), d)))(x0));
      const h = 1e-5, at = (s: number) => host(grad(fs)(add(x0, mul(d, s))));
      const plus = at(h), minus = at(-h);
      const numeric = plus.map((p, i) => (p - minus[i]) / (2 * h));
      const e = maxRelError(hvp, numeric);
      record(`Hessian-vector product vs differences (tol ${HVP_TOL})`, e, show(t));
      assert.ok(e < HVP_TOL, `Hessian-vector product: error ${e}; ${label(t, v)}; direction [${dir.join(', ')}]`);
    })), { numRuns: RUNS.hessian });
  });
});

/** Value and vjp (on a fixed cotangent) of a tree on `backend` in `dtype`; in float64, why the point is not admissible. */
function valueAndVjp(backend: Backend, dtype: FloatDType, t: Tree, v: readonly (readonly number[])[]): { out: number[]; grads: number[][] } | string {
  const prev = getBackend();
  setBackend(backend);
  try {
    return tidy(() => {
      const k = consts(dtype), x0 = tensorOf(dtype, v[0]), x1 = tensorOf(dtype, v[1]);
      const why = dtype === 'float64' ? inadmissible(t, k, x0, x1) : null;
      if (why !== null) return why;
      const [out, pullback] = vjp(evaluate(t, k), x0, x1);
      const ct = tensorOf(dtype, Array.from({ length: out.size }, (_, i) => Math.fround(Math.cos(0.9 * i) + 0.2)), out.shape);
      return { out: host(out), grads: (pullback(ct) as Tensor[]).map(host) };
    });
  } finally { setBackend(prev); }
}

/** The largest error seen per check (float32: per tolerance family, over every backend), printed at the end. */
const worst: Record<string, { error: number; where: string }> = {};
function record(key: string, error: number, where: string): void {
  if (error > (worst[key]?.error ?? -1)) worst[key] = { error, where };
}
forEachBackend('properties', (b) => {
  describe(`expression trees on ${b.name} (float32) against the reference backend (float64)`, () => {
    const backend = b.make(), ref = referenceBackend();
    test(`value and vjp of ${RUNS.perBackend} random trees`, () => {
      fc.assert(fc.property(trees, ([t, v]) => {
        const want = valueAndVjp(ref, 'float64', t, v);
        fc.pre(tally(b.name, t, typeof want === 'string' ? want : null));
        if (typeof want === 'string') return;
        const got = valueAndVjp(backend, 'float32', t, v);
        if (typeof got === 'string') return;
        const family = treeFamily(t), tol = FAMILY_TOL[family];
        const errors = [maxRelError(got.out, want.out), ...got.grads.map((g, i) => maxRelError(g, want.grads[i]))];
        const e = Math.max(...errors);
        record(`float32 ${family} (tol ${tol})`, e, `${b.name}: ${show(t)}`);
        assert.ok(e <= tol, `errors [value, d/dx0, d/dx1] = [${errors.join(', ')}] > ${tol}; ${label(t, v)}`);
      }), { numRuns: RUNS.perBackend });
    });
    test('no buffers leak', () => { assert.equal(backend.memory().liveBuffers, 0); });
  });
});

after(() => {
  for (const [name, s] of Object.entries(stats)) {
    const unused = Object.keys(OPS).filter((o) => !s.used.has(o));
    const skipped = Object.entries(s.skipped).sort((p, q) => q[1] - p[1]);
    console.log(`# expression trees, ${name}: ${s.tested} tested, ${(s.ops / Math.max(1, s.tested)).toFixed(1)} ops on average, at most ${s.largest}; `
      + `${s.used.size} of ${Object.keys(OPS).length} ops used${unused.length ? ` (not: ${unused.join(', ')})` : ''}; `
      + `${skipped.reduce((p, q) => p + q[1], 0)} skipped (${skipped.slice(0, 4).map(([w, n]) => `${n} ${w}`).join('; ')}${skipped.length > 4 ? '; ...' : ''})`);
  }
  for (const [key, w] of Object.entries(worst)) console.log(`# expression trees, largest error, ${key}: ${w.error.toExponential(2)} (${w.where})`);
});
