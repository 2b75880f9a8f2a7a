import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  type Tensor, TensorError, abs, add, broadcastShapes, exp, fromArray, getBackend, gt, jit, matmul, maximum, mul, neg,
  random, sin, sqrt, sub, sum, tanh, where, silu, max, cast, log, zeros,
} from '@safekey-ts/core';

const f32 = (seed: number, shape: number[]) => random.normal(random.key(seed), shape);
const same = (a: Tensor, b: Tensor) => {
  assert.deepEqual(a.shape, b.shape);
  assert.equal(a.dtype, b.dtype);
  assert.deepEqual(Array.from(a.dataSync()), Array.from(b.dataSync()));
};

/** A random program: a list of ops over a growing pool of values, starting from broadcastable inputs. */
type Op = { readonly kind: number; readonly a: number; readonly b: number; readonly axis: number };
const ops: ((a: Tensor, b: Tensor, axis: number) => Tensor)[] = [
  (a) => tanh(a), (a) => sin(a), (a) => neg(a), (a) => sqrt(abs(a)), (a) => exp(tanh(a)),
  (a, b) => add(a, b), (a, b) => sub(a, b), (a, b) => mul(a, b), (a, b) => maximum(a, b),
  (a, b) => where(gt(a, b), a, mul(b, 0.5)), (a) => add(a, 1.5),
  (a, _b, axis) => (a.rank > 0 ? sum(a, axis % a.rank, true) : a),
  (a, _b, axis) => (a.rank > 0 ? max(a, axis % a.rank, true) : a),
  (a) => cast(cast(gt(a, 0), 'float32'), 'float32'),
];
const programArb = fc.record({
  shapes: fc.array(fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 3 }), { minLength: 1, maxLength: 3 }),
  ops: fc.array(fc.record({ kind: fc.nat(ops.length - 1), a: fc.nat(20), b: fc.nat(20), axis: fc.nat(3) }), { minLength: 1, maxLength: 12 }),
  outputs: fc.array(fc.nat(20), { minLength: 1, maxLength: 3 }),
  seed: fc.nat(1000),
});
const runProgram = (opsList: readonly Op[], outputs: readonly number[]) => (...inputs: Tensor[]): Tensor[] => {
  const pool = [...inputs];
  for (const o of opsList) {
    const a = pool[o.a % pool.length], b = pool[o.b % pool.length];
    let ok = true;
    try { broadcastShapes('test', a.shape, b.shape); } catch { ok = false; }
    pool.push(ops[o.kind](a, ok ? b : a, o.axis));
  }
  return outputs.map((i) => pool[i % pool.length]);
};

describe('jit', () => {
  test('a replayed, fused program gives bit-identical results to eager execution on the reference backend', () => {
    fc.assert(fc.property(programArb, ({ shapes, ops: opsList, outputs, seed }) => {
      const out = shapes.reduce<number[]>((s, x) => { try { return broadcastShapes('t', s, x); } catch { return s; } }, []);
      const inputs = shapes.map((s, i) => f32(seed + i, broadcastOk(s, out) ? s : out));
      const f = runProgram(opsList, outputs);
      const compiled = jit(f);
      compiled(...inputs); // trace
      const replay = compiled(...inputs);
      f(...inputs).forEach((e, i) => same(e, replay[i]));
      assert.equal(compiled.stats().replays, 1);
    }), { numRuns: 150 });
  });

  test('fusion: an element-wise chain is one kernel; matmul + bias + SiLU is one kernel with a matmul head', () => {
    const chain = jit((x: Tensor) => exp(tanh(add(mul(x, 2), 1))));
    chain(f32(1, [4, 4]));
    assert.deepEqual([chain.stats().recordedOps, chain.stats().kernels, chain.stats().fusedKernels], [4, 1, 1]);
    const x = f32(2, [3, 5]), w = f32(3, [5, 4]), b = f32(4, [4]);
    const mlp = jit((x: Tensor, w: Tensor, b: Tensor) => silu(add(matmul(x, w), b)));
    mlp(x, w, b);
    same(mlp(x, w, b), silu(add(matmul(x, w), b)));
    assert.equal(mlp.stats().kernels, 1);
    const unfused = jit((x: Tensor, w: Tensor, b: Tensor) => silu(add(matmul(x, w), b)), { fuse: false });
    unfused(x, w, b);
    assert.ok(unfused.stats().kernels > 3);
  });

  test('a reduction head is not broadcast into a larger kernel', () => {
    const x = f32(5, [3, 4]);
    const f = (x: Tensor) => add(exp(sum(x, 1, true)), x);
    const g = jit(f);
    g(x);
    same(g(x), f(x));
  });

  test('replay frees every intermediate: only the outputs stay alive', () => {
    const f = jit((x: Tensor) => [sum(mul(tanh(x), x)), exp(x)]);
    const x = f32(6, [8, 8]);
    f(x);
    const before = getBackend().memory().liveBuffers;
    const [a, b] = f(x);
    assert.equal(getBackend().memory().liveBuffers, before + 2);
    a.dispose(); b.dispose();
    assert.equal(getBackend().memory().liveBuffers, before);
  });

  test('the first call traces abstractly: it computes nothing twice and peaks as low as a replay', () => {
    // eight chained products: eager execution holds all eight results until f returns, a replay two at a time
    const chain = (x: Tensor, w: Tensor) => { let y = x; for (let i = 0; i < 8; i++) y = tanh(matmul(y, w)); return sum(y); };
    const x = f32(20, [64, 64]), w = f32(21, [64, 64]);
    const peakOf = (run: () => Tensor) => {
      const b = getBackend(), live = b.memory().liveBytes, peak0 = b.memory().peakBytes;
      const out = run();
      const peak = b.memory().peakBytes;
      out.dispose();
      return peak > peak0 ? peak - live : 0;
    };
    // the peak counter only rises: measure from a state above every earlier peak, so each run can set a new one
    const ballast = zeros([Math.ceil(getBackend().memory().peakBytes / 4) + 1]);
    const eager = peakOf(() => chain(x, w));
    ballast.dispose();
    const f = jit(chain);
    const ballast2 = zeros([Math.ceil(getBackend().memory().peakBytes / 4) + 1]);
    const first = peakOf(() => f(x, w));
    ballast2.dispose();
    const ballast3 = zeros([Math.ceil(getBackend().memory().peakBytes / 4) + 1]);
    const replay = peakOf(() => f(x, w));
    ballast3.dispose();
    assert.equal(first, replay);
    assert.ok(eager >= 8 * 64 * 64 * 4, `eager peak ${eager}`);
    assert.ok(first <= 3 * 64 * 64 * 4, `first call's peak ${first}`);
    same(f(x, w), chain(x, w));
  });

  test('retraces for a new shape; non-tensor parts of the result come from the trace', () => {
    const f = jit((x: Tensor) => ({ y: mul(x, 3), note: 'static' }));
    f(f32(7, [2])); f(f32(8, [2])); f(f32(9, [3]));
    assert.deepEqual([f.stats().traces, f.stats().replays], [2, 1]);
    assert.equal(f(f32(10, [3])).note, 'static');
  });

  test('reading a traced tensor inside jit is a clear error', () => {
    const f = jit((x: Tensor) => mul(x, x.dataSync()[0]));
    assert.throws(() => f(f32(11, [2])), (e: unknown) => e instanceof TensorError && e.op === 'jit' && /read the values of a traced tensor/.test(e.message));
  });

  test('non-tensor arguments are rejected with their path', () => {
    const f = jit((p: { w: Tensor; lr: number }) => mul(p.w, p.lr));
    assert.throws(() => f({ w: f32(12, [2]), lr: 0.1 }), (e: unknown) => e instanceof TensorError && e.path === 'args[0].lr');
  });

  test('int and bool dtypes survive fusion exactly', () => {
    const ints = fromArray(Int32Array.from([1, -2, 3, 2147483647]), [4], 'int32');
    const f = (x: Tensor) => cast(gt(add(mul(x, 3), 1), 2), 'int32');
    const g = jit(f);
    g(ints);
    same(g(ints), f(ints));
  });
});

function broadcastOk(s: readonly number[], out: readonly number[]): boolean {
  try { return broadcastShapes('t', s, out).length === out.length && broadcastShapes('t', s, out).every((d, i) => d === out[i]); } catch { return false; }
}

test('jit: repeated squaring does not blow the fused expression up', () => {
  const f = (x: Tensor) => { let y = x; for (let i = 0; i < 30; i++) y = mul(y, y); return y; };
  const g = jit(f);
  const x = fromArray(Float32Array.from([1, 1.0001, 0.9999]), [3], 'float32');
  g(x);
  same(g(x), f(x));
});

test('jit: the same tensor in two argument positions does not bind later, different arguments together', () => {
  const f = jit((a: Tensor, b: Tensor) => add(mul(a, 2), b));
  const x = fromArray(Float32Array.of(1), [1], 'float32'), y = fromArray(Float32Array.of(10), [1], 'float32');
  assert.deepEqual(Array.from(f(x, x).dataSync()), [3]);
  assert.deepEqual(Array.from(f(x, y).dataSync()), [12]);
  assert.deepEqual(Array.from(f(y, y).dataSync()), [30]);
  assert.equal(f.stats().traces, 2);
});

test('jit: a constant output is a fresh tensor on every call (disposing one does not break the next)', () => {
  const f = jit((x: Tensor) => [mul(x, 2), fromArray(Float32Array.of(7), [1], 'float32')]);
  const x = fromArray(Float32Array.of(1), [1], 'float32');
  const [, c0] = f(x);
  c0.dispose();
  const [, c1] = f(x);
  c1.dispose();
  const [, c2] = f(x);
  assert.deepEqual(Array.from(c2.dataSync()), [7]);
});

test('jit: an element-wise value read only by a reduction is its prologue, never stored', () => {
  const x = f32(31, [4, 6]);
  const sq = jit((x: Tensor) => sum(mul(x, x), 1));
  sq(x);
  assert.deepEqual([sq.stats().kernels, sq.stats().fusedKernels], [1, 1]);
  same(sq(x), sum(mul(x, x), 1));
  const lse = jit((x: Tensor) => log(sum(exp(x), 1, true)));
  lse(x);
  assert.deepEqual([lse.stats().kernels, lse.stats().fusedKernels], [1, 1]);
  // read by two reductions: stored once, each reduction its own kernel
  const two = jit((x: Tensor) => { const y = mul(x, x); return [sum(y, 0), max(y, 1)]; });
  two(x);
  assert.equal(two.stats().kernels, 3);
});

test('jit recompute: a cheap element-wise value read by kernels of its own is recomputed in each, not stored', () => {
  const x = f32(32, [4, 6]), w = f32(33, [6, 6]);
  // y is read by two products' epilogues (each a kernel of its own): stored (3 kernels), or recomputed in each (2)
  const f = (x: Tensor, w: Tensor) => { const y = add(mul(x, 2), 1); return [add(matmul(x, w), y), mul(matmul(x, w), y)]; };
  const stored = jit(f, { recompute: false }), recomputed = jit(f, { recompute: true });
  stored(x, w); recomputed(x, w);
  assert.deepEqual([stored.stats().kernels, recomputed.stats().kernels], [3, 2]);
  recomputed(x, w).forEach((t, i) => same(t, f(x, w)[i]));
  // of a costly value (10 nodes), the part past 8 nodes is stored once and the rest recomputed in each reader
  const deep = (x: Tensor) => { let y = x; for (let k = 0; k < 5; k++) y = exp(mul(y, 0.5)); return y; };
  const g = (x: Tensor, w: Tensor) => { const y = deep(x); return [add(matmul(x, w), y), mul(matmul(x, w), y)]; };
  const costly = jit(g, { recompute: true });
  costly(x, w);
  assert.equal(costly.stats().kernels, 3);
  costly(x, w).forEach((t, i) => same(t, g(x, w)[i]));
  // a value over a smaller shape, broadcast into its readers, is stored: it would be recomputed per element
  const h = (x: Tensor, w: Tensor) => { const m = exp(sum(x, 1, true)); return [add(matmul(x, w), m), mul(matmul(x, w), m)]; };
  const broadcast = jit(h, { recompute: true });
  broadcast(x, w);
  assert.equal(broadcast.stats().kernels, 3);
  broadcast(x, w).forEach((t, i) => same(t, h(x, w)[i]));
});

test('kernel keys tell -0, NaN and the infinities apart', async () => {
  const { kernelKey } = await import('@safekey-ts/core');
  const k = (value: number) => kernelKey({ inputs: [], out: { shape: [1], dtype: 'float32' }, expr: { op: 'const', value, dtype: 'float32' } });
  const keys = [0, -0, NaN, Infinity, -Infinity, 1].map(k);
  assert.equal(new Set(keys).size, keys.length);
});
