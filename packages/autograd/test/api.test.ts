import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  type Tensor, TensorError, activeTracers, add, exp, fromArray, getBackend, mul, scalar, sum, tensor, tidy,
} from '@safekey-ts/core';
import { customVjp, grad, noGrad, stopGradient, valueAndGrad, vjp } from '@safekey-ts/autograd';

const vec = (...v: number[]) => fromArray(Float64Array.from(v), [v.length], 'float64');
const arr = (t: Tensor) => Array.from(t.dataSync());

describe('pytrees', () => {
  test('nested records and arrays in, the same structure out', () => {
    const params = { layers: [{ w: vec(1, 2) }, { w: vec(3) }], scale: vec(2) };
    const loss = (p: typeof params) => mul(add(sum(p.layers[0].w), sum(mul(p.layers[1].w, p.layers[1].w))), sum(p.scale));
    const g = grad(loss)(params);
    assert.deepEqual(arr(g.layers[0].w), [2, 2]);
    assert.deepEqual(arr(g.layers[1].w), [12]);
    assert.deepEqual(arr(g.scale), [12]);
    assert.deepEqual(Object.keys(g).sort(), ['layers', 'scale']);
  });

  test('argnums picks arguments; a tuple of argnums gives a tuple of gradients', () => {
    const f = (a: Tensor, b: Tensor, c: Tensor) => sum(mul(mul(a, b), c));
    const [ga, gc] = grad(f, { argnums: [0, 2] })(vec(2), vec(3), vec(5));
    assert.deepEqual([arr(ga), arr(gc)], [[15], [6]]);
    assert.deepEqual(arr(grad(f, { argnums: 1 })(vec(2), vec(3), vec(5))), [10]);
  });

  test('hasAux returns the aux value untouched', () => {
    const aux = { note: 'kept', t: vec(7) };
    const [[value, back], g] = valueAndGrad((x: Tensor) => [sum(mul(x, x)), aux] as const, { hasAux: true })(vec(3));
    assert.equal(value.item(), 9);
    assert.equal(back, aux);
    assert.deepEqual(arr(g), [6]);
  });

  test('an input used several times accumulates; the same tensor passed twice gets separate gradients', () => {
    const x = vec(3);
    assert.deepEqual(arr(grad((y: Tensor) => sum(add(mul(y, y), mul(y, 4))))(x)), [10]);
    const [ga, gb] = grad((a: Tensor, b: Tensor) => sum(mul(mul(a, a), b)), { argnums: [0, 1] })(x, x);
    assert.deepEqual([arr(ga), arr(gb)], [[18], [9]]);
  });

  test('unused inputs get zeros of their shape and dtype', () => {
    const g = grad((p: { used: Tensor; unused: Tensor }) => sum(p.used))({ used: vec(1), unused: fromArray(new Float32Array(6), [2, 3], 'float32') });
    assert.deepEqual(g.unused.shape, [2, 3]);
    assert.equal(g.unused.dtype, 'float32');
    assert.deepEqual(arr(g.unused), [0, 0, 0, 0, 0, 0]);
  });

  test('vjp with a cotangent for a non-scalar, pytree output', () => {
    const [out, pullback] = vjp((x: Tensor) => ({ a: mul(x, 2), b: [exp(x)] }), vec(0, 1));
    assert.deepEqual(arr(out.a), [0, 2]);
    const [gx] = pullback({ a: vec(1, 1), b: [vec(1, 0)] });
    assert.deepEqual(arr(gx), [3, 2]);
  });
});

describe('errors name the problem and the path', () => {
  test('a non-scalar output without a cotangent', () => {
    assert.throws(() => grad((x: Tensor) => mul(x, 2))(vec(1, 2)),
      (e: unknown) => e instanceof TensorError && e.path === 'output' && /scalar output, got shape \[2\]/.test(e.message));
  });
  test('a non-tensor leaf in the parameters', () => {
    const bad = { layers: [{ w: vec(1) }, { w: [1, 2] as unknown as Tensor }] };
    assert.throws(() => grad((p: typeof bad) => sum(p.layers[0].w))(bad),
      (e: unknown) => e instanceof TensorError && e.path === 'args[0].layers[1].w[0]' && /expected a tensor/.test(e.message));
  });
  test('a cotangent of the wrong shape', () => {
    const [, pullback] = vjp((x: Tensor) => mul(x, 2), vec(1, 2));
    assert.throws(() => pullback(vec(1)), (e: unknown) => e instanceof TensorError && /cotangent shape \[1\] does not match output shape \[2\]/.test(e.message));
  });
});

describe('stopGradient, noGrad, customVjp', () => {
  test('stopGradient blocks the gradient but keeps the value', () => {
    const g = grad((x: Tensor) => sum(mul(x, stopGradient(x))))(vec(3));
    assert.deepEqual(arr(g), [3]);
  });
  test('noGrad records nothing', () => {
    const g = grad((x: Tensor) => add(sum(x), noGrad(() => sum(mul(x, x)))))(vec(5));
    assert.deepEqual(arr(g), [1]);
  });
  test('customVjp uses the supplied backward pass', () => {
    const clipGrad = customVjp({ fwd: (x: Tensor) => [mul(x, 1), null] as const, bwd: (_res, g) => [mul(g, 0.5)] });
    assert.deepEqual(arr(grad((x: Tensor) => sum(mul(clipGrad(x), 4)))(vec(1, 2))), [2, 2]);
    const expr = customVjp({ fwd: (x: Tensor) => { const e = exp(x); return [e, e] as const; }, bwd: (e, g) => [mul(g, e)] });
    assert.deepEqual(arr(grad((x: Tensor) => sum(expr(x)))(vec(0))), [1]);
  });
});

describe('nothing of a traced call is retained', () => {
  test('no tracer is left active, even when the function throws', () => {
    grad((x: Tensor) => sum(x))(vec(1));
    assert.throws(() => grad((_x: Tensor): Tensor => { throw new Error('boom'); })(vec(1)), /boom/);
    assert.equal(activeTracers().length, 0);
  });
  test('intermediates of a finished grad call are garbage collected', { skip: typeof globalThis.gc !== 'function' ? 'needs node --expose-gc (npm test passes it)' : false }, async () => {
    let ref: WeakRef<Tensor> | undefined;
    grad((x: Tensor) => { const big = exp(mul(x, 2)); ref = new WeakRef(big); return sum(big); })(vec(1, 2, 3));
    await new Promise((r) => setImmediate(r));
    (globalThis as { gc?: () => void }).gc?.();
    assert.equal(ref?.deref(), undefined);
  });
  test('inside tidy every intermediate buffer is freed; the gradient survives', () => {
    const before = getBackend().memory().liveBuffers;
    const x = tensor([1, 2, 3]);
    const g = tidy(() => grad((y: Tensor) => sum(mul(exp(y), scalar(2))))(x));
    assert.equal(getBackend().memory().liveBuffers, before + 2);
    g.dispose(); x.dispose();
    assert.equal(getBackend().memory().liveBuffers, before);
  });
});
