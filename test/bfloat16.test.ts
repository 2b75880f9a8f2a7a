// bfloat16, the storage dtype of frozen weights, on every backend that stores it: rounding as PyTorch rounds
// (its bits, from torch itself), products with a float32 operand equal to the products with the weight's float32
// values, gathered rows, jit, gradients; backends that do not store it refuse it in one line, and every other op
// refuses a bfloat16 operand naming itself.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  type Backend, type Tensor, add, bf16Bits, bf16Value, cast, embedding, fromArray, jit, matmul, mul, referenceBackend, setBackend, sum,
} from '@safekey-ts/core';
import { grad } from '@safekey-ts/autograd';
import { BACKENDS } from './backends.js';
import { type PythonSide, findPythonSide, runPython } from './torch/pythonSide.js';

const found = findPythonSide();
const side: PythonSide | undefined = typeof found === 'string' ? undefined : found;
if (typeof found === 'string' && process.env.CI === 'true') test('the Python side is installed (CI=true)', () => assert.fail(found));

// float32 values with every case of the rounding: ties (to even, up and down), carries into the exponent,
// subnormals, the largest finite values (some round to infinity), infinities, NaN, signed zeros
const f32 = (bits: number) => new Float32Array(new Uint32Array([bits >>> 0]).buffer)[0]!;
const SPECIAL = [0, -0, 1, -1, 1 + 2 ** -8, 1 + 3 * 2 ** -8, 1 - 2 ** -9, 255.5, 2 ** -130, -(2 ** -140), 2 ** -149,
  f32(0x3f807fff), f32(0x3f808000), f32(0x3f818000), f32(0x7f7fffff), f32(0x7f7f7fff), f32(0xff7f8000), Infinity, -Infinity, NaN];
const values = Float32Array.from([...SPECIAL, ...fc.sample(fc.float({ noDefaultInfinity: true }), { numRuns: 400, seed: 7 })]);

/** PyTorch's bfloat16 bits of float32 values (`tensor.to(torch.bfloat16)`). */
function torchBits(xs: Float32Array): number[] {
  // Python's json reads NaN, Infinity and -Infinity; a float32 written as its shortest double reads back exactly
  const text = `[${Array.from(xs, (v) => (Number.isNaN(v) ? 'NaN' : v === Infinity ? 'Infinity' : v === -Infinity ? '-Infinity' : Object.is(v, -0) ? '-0.0' : String(v))).join(',')}]`;
  const script = 'import json, sys, torch\nx = torch.tensor(json.loads(sys.argv[1]), dtype=torch.float32)\n'
    + 'print(json.dumps((x.to(torch.bfloat16).view(torch.int16).to(torch.int32) & 0xffff).tolist()))';
  return JSON.parse(runPython(side!, 'python', ['-c', script, text]).out) as number[];
}

/** Rounds to bfloat16 by arithmetic on the value (8 significant bits, ties to even), no bit patterns involved. */
function roundBf16(v: number): number {
  const f = Math.fround(v);
  if (!Number.isFinite(f) || f === 0) return f;
  const step = 2 ** (Math.max(Math.floor(Math.log2(Math.abs(f))), -126) - 7), q = f / step;
  return (Math.abs(q % 1) === 0.5 ? 2 * Math.round(q / 2) : Math.round(q)) * step;
}

const sameBits = (got: ArrayLike<number>, want: ArrayLike<number>, what: string) => {
  for (let i = 0; i < want.length; i++) {
    const g = got[i]!, w = want[i]!;
    // NaN's payload is not a value: any NaN bit pattern matches a NaN
    if ((w & 0x7fff) > 0x7f80) assert.ok((g & 0x7fff) > 0x7f80, `${what}: flat index ${i}: NaN expected, got 0x${g.toString(16)}`);
    else assert.equal(g, w, `${what}: flat index ${i} (${values[i]}): 0x${g.toString(16)}, PyTorch 0x${w.toString(16)}`);
  }
};

test('bf16Bits rounds float32 as PyTorch does (its bits) and as the test helper\'s independent rounding does', { skip: side ? false : `${found}` }, () => {
  sameBits(Array.from(values, bf16Bits), torchBits(values), 'bf16Bits');
  for (const v of values) if (Number.isFinite(bf16Value(bf16Bits(v))) && !Number.isNaN(v)) assert.equal(bf16Value(bf16Bits(v)), roundBf16(v), `${v}`);
});

const rand = (n: number, seed: number) => {
  let s = seed;
  return Float32Array.from({ length: n }, () => { s = (s * 1103515245 + 12345) % 2 ** 31; return s / 2 ** 30 - 1; });
};
const maxRel = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let w = 0;
  for (let i = 0; i < a.length; i++) w = Math.max(w, Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(b[i]!)));
  return w;
};

const storing = BACKENDS.filter((b) => b.suites.includes('conformance'));
for (const entry of storing) {
  const why = entry.unavailable();
  describe(`bfloat16 on ${entry.name}`, { skip: why ?? false }, () => {
    if (why) return;
    const backend: Backend = entry.make();
    const on = <T>(f: () => T): T => { setBackend(backend); try { return f(); } finally { setBackend(referenceBackend()); } };
    if (!backend.dtypes.includes('bfloat16')) {
      test('refuses it in one line naming the backend', () => {
        assert.throws(() => on(() => fromArray(new Uint16Array(2), [2], 'bfloat16')), /fromData: backend [\w-]+ does not store bfloat16 \(it stores /);
      });
      return;
    }
    test('stores it: casts both ways, and every other op refuses it in one line', () => {
      on(() => {
        const x = fromArray(values, [values.length], 'float32');
        const b = cast(x, 'bfloat16');
        assert.equal(b.dtype, 'bfloat16');
        const bits = b.dataSync() as Uint16Array;
        sameBits(bits, Array.from(values, bf16Bits), 'cast to bfloat16');
        const back = cast(b, 'float32').dataSync();
        bits.forEach((v, i) => { if (!Number.isNaN(back[i]!)) assert.equal(back[i], bf16Value(v), `cast back, flat index ${i}`); });
        assert.throws(() => add(b as Tensor, b as Tensor), /add: takes no bfloat16 tensor \(bfloat16 only stores weights: cast it to float32, or use it in cast, matmul, gather, reshape\)/);
        assert.throws(() => matmul(fromArray(new Int32Array(4), [2, 2], 'int32') as Tensor, cast(fromArray(new Float32Array(4), [2, 2], 'float32'), 'bfloat16') as Tensor),
          /matmul: a bfloat16 operand needs a float32 or bfloat16 one, got int32 and bfloat16/);
      });
    });

    test('products with a bfloat16 weight equal the products with its float32 values (every transpose, a batch folded into rows)', () => {
      on(() => {
        const cases: [number[], number[], boolean][] = [[[5, 7], [3, 7], true], [[5, 7], [7, 3], false], [[2, 4, 64], [96, 64], true], [[2, 4, 96], [96, 64], false], [[1, 300], [300, 2], false]];
        for (const [xShape, wShape, transB] of cases) {
          const x = fromArray(rand(xShape.reduce((a, b) => a * b), 1), xShape, 'float32');
          const w = cast(fromArray(rand(wShape.reduce((a, b) => a * b), 2), wShape, 'float32'), 'bfloat16');
          const got = matmul(x as Tensor, w as Tensor, { transB });
          assert.equal(got.dtype, 'float32');
          const want = matmul(x as Tensor, cast(w, 'float32') as Tensor, { transB });
          assert.ok(maxRel(got.dataSync(), want.dataSync()) <= 1e-6, `${xShape} x ${wShape}${transB ? ' T' : ''}: ${maxRel(got.dataSync(), want.dataSync())}`);
          const a = matmul(w as Tensor, x as Tensor, { transA: !transB, transB: true }); // bfloat16 on the left, too
          const aWant = matmul(cast(w, 'float32') as Tensor, x as Tensor, { transA: !transB, transB: true });
          if (xShape.length === 2) assert.ok(maxRel(a.dataSync(), aWant.dataSync()) <= 1e-6, `left: ${maxRel(a.dataSync(), aWant.dataSync())}`);
        }
      });
    });

    test('embedding rows, jit and gradients through a bfloat16 weight', () => {
      on(() => {
        const table = cast(fromArray(rand(11 * 6, 3), [11, 6], 'float32'), 'bfloat16');
        const ids = fromArray(Int32Array.from([3, 0, 10, 3]), [2, 2], 'int32');
        const rows = embedding(table, ids);
        assert.equal(rows.dtype, 'float32');
        assert.deepEqual(Array.from(rows.dataSync()), Array.from(embedding(cast(table, 'float32'), ids).dataSync()));
        const w = cast(fromArray(rand(5 * 6, 4), [5, 6], 'float32'), 'bfloat16');
        const f = (x: Tensor, wt: Tensor, tb: Tensor) => sum(mul(matmul(add(x, embedding(tb, ids)) as Tensor, wt, { transB: true }), 0.5));
        const x = fromArray(rand(2 * 2 * 6, 5), [2, 2, 6], 'float32');
        const eager = f(x, w, table).item();
        assert.equal(jit(f)(x, w, table).item(), eager);
        assert.equal(jit(f)(x, w, table).item(), eager, 'replayed');
        const [gx, gw] = grad((xx: Tensor, ww: Tensor) => f(xx, ww, table), { argnums: [0, 1] })(x, w) as [Tensor, Tensor];
        const [fx, fw] = grad((xx: Tensor, ww: Tensor) => f(xx, ww, cast(table, 'float32')), { argnums: [0, 1] })(x, cast(w, 'float32')) as [Tensor, Tensor];
        assert.ok(maxRel(gx.dataSync(), fx.dataSync()) <= 1e-6, 'd/dx');
        // a bfloat16 tensor is a constant to autograd, as an int32 one: its gradient is zero (the float32 one is not)
        assert.ok(fw.dataSync().some((v) => v !== 0));
        assert.deepEqual([gw.dtype, Array.from(gw.dataSync()).every((v) => v === 0)], ['bfloat16', true]);
      });
    });
  });
}
