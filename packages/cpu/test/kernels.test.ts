// Every primitive and fused kernels of the cpu backend against the reference backend, on each path this
// machine has (native, wasm, js), with fast-check: random shapes with broadcasting, every dtype, special values,
// all matmul transpose flags and batch broadcasting. Everything must be bit-identical to the reference except
// float32 matmuls on the native and wasm paths, which accumulate in float32: there
// |got - want| <= (k + 2) * 2^-23 * sum_p |a_ip| |b_pj| (float32 summation error bound, with slack).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import type { DType, Expr, FusedKernel, TypedArray } from '@safekey-ts/core';
import { type CpuPath, loadNative } from '@safekey-ts/cpu';
import {
  type HostTensor, assertSame, availablePaths, backendFor, broadcastAll, broadcastShapesArb, dimsArb, host, hostArb, ref, runFusedOn,
  runOn, shapeArb,
} from './helpers.js';
import { existsSync, readFileSync } from 'node:fs';
import { binaryOps, unaryOps } from '@safekey-ts/core';
import { compiledKernels } from '../src/elementwise.js';
import { OP, cppOpHeader } from '../src/vm-ops.js';
import { mathImports } from '../src/wasm.js';
import { mathImports as wasmMathImports } from '../wasm/ewise.wat.mjs';

test('the VM op codes come from one table: every core element-wise op has one, and the addon was built with that table', () => {
  for (const op of [...Object.keys(unaryOps), ...Object.keys(binaryOps)]) assert.ok(OP[op] > 0, op);
  assert.equal(new Set(Object.values(OP)).size, Object.keys(OP).length);
  const header = new URL('../native/vm_ops.h', import.meta.url);
  if (existsSync(header)) assert.equal(readFileSync(header, 'utf8'), cppOpHeader(), 'native/vm_ops.h is stale: rerun npm ci (or node packages/cpu/scripts/build.mjs)');
  assert.deepEqual([...wasmMathImports].sort(), Object.keys(mathImports).sort());
});

const { paths, missing } = availablePaths();
if (missing.length) console.log(`# cpu paths not available here: ${missing.join('; ')}`);
if (process.env.CI && missing.length) throw new Error(`CI must build every cpu path; missing: ${missing.join('; ')}`);

const RUNS = Number(process.env.CPU_TEST_RUNS ?? 40);
const floatUnary = ['exp', 'log', 'sqrt', 'rsqrt', 'sin', 'cos', 'tanh', 'sigmoid', 'reciprocal'] as const;
const numUnary = ['neg', 'abs', 'sign'] as const;
const arith = ['add', 'sub', 'mul', 'maximum', 'minimum'] as const;
const floatArith = ['div', 'pow'] as const;
const compare = ['eq', 'ne', 'lt', 'le', 'gt', 'ge'] as const;
const numDtypes: DType[] = ['float32', 'float64', 'int32'];

/** Checks a float32 matmul result against the reference with the float32 accumulation bound. */
function assertMatmulClose(got: TypedArray, a: HostTensor, b: HostTensor, transA: boolean, transB: boolean, k: number): void {
  const want = runOn(ref, 'matmul', [a, b], { transA, transB }).data;
  const absA = host(Array.from(a.data, Math.abs), a.info.shape, a.info.dtype), absB = host(Array.from(b.data, Math.abs), b.info.shape, b.info.dtype);
  const bound = runOn(ref, 'matmul', [absA, absB], { transA, transB }).data;
  assert.equal(got.length, want.length);
  for (let i = 0; i < want.length; i++) {
    const tol = (k + 2) * 2 ** -23 * bound[i] + 1e-30;
    if (!(Math.abs(got[i] - want[i]) <= tol)) assert.fail(`matmul at ${i}: got ${got[i]}, want ${want[i]} (tol ${tol})`);
  }
}

/** Operand shapes for a batched matmul with broadcast batch dims. */
const matmulCaseArb = (maxDim: number) => fc.record({
  m: fc.integer({ min: 1, max: maxDim }), n: fc.integer({ min: 1, max: maxDim }), k: fc.integer({ min: 1, max: maxDim }),
  transA: fc.boolean(), transB: fc.boolean(),
  batch: broadcastShapesArb(2, 3, 2),
});

// ---------- typed random expressions for fused kernels ----------

const INPUT_DTYPES: DType[] = ['float32', 'int32', 'bool', 'float64'];

function exprArb(dtype: DType, depth: number, head: DType | null): fc.Arbitrary<Expr> {
  const leaves: fc.Arbitrary<Expr>[] = [];
  INPUT_DTYPES.forEach((d, index) => { if (d === dtype) leaves.push(fc.constant({ op: 'input', index, dtype: d } as Expr)); });
  if (head === dtype) leaves.push(fc.constant({ op: 'head', dtype } as Expr));
  leaves.push((dtype === 'bool' ? fc.integer({ min: 0, max: 1 }) : dtype === 'int32' ? fc.integer({ min: -5, max: 5 })
    : fc.oneof(fc.double({ min: -3, max: 3, noNaN: true }), fc.constantFrom(0.1, 2, -0))).map((value) => ({ op: 'const', value, dtype } as Expr)));
  const leaf = fc.oneof(...leaves);
  if (depth <= 0) return leaf;
  const sub = (d: DType) => exprArb(d, depth - 1, head);
  const nodes: fc.Arbitrary<Expr>[] = [leaf];
  const other = INPUT_DTYPES.filter((d) => d !== dtype);
  nodes.push(fc.constantFrom(...other).chain((from) => sub(from)).map((a) => ({ op: 'cast', args: [a], dtype } as Expr)));
  nodes.push(fc.tuple(sub('bool'), sub(dtype), sub(dtype)).map((args) => ({ op: 'where', args, dtype } as Expr)));
  if (dtype === 'bool') {
    nodes.push(fc.tuple(fc.constantFrom(...compare), fc.constantFrom<DType>('float32', 'int32', 'float64'))
      .chain(([op, d]) => fc.tuple(sub(d), sub(d)).map((args) => ({ op, args, dtype } as Expr))));
  } else {
    const un = dtype === 'int32' ? numUnary : [...floatUnary, ...numUnary];
    const bin = dtype === 'int32' ? arith : [...arith, ...floatArith];
    nodes.push(fc.tuple(fc.constantFrom(...un), sub(dtype)).map(([op, a]) => ({ op, args: [a], dtype } as Expr)));
    nodes.push(fc.tuple(fc.constantFrom(...bin), sub(dtype), sub(dtype)).map(([op, a, b]) => ({ op, args: [a, b], dtype } as Expr)));
  }
  return fc.oneof(...nodes);
}

// The native and wasm paths run small kernels in JS and large ones in their VM (the addon's, the wasm one):
// their second pass sends every kernel (and reduction) to the VM.
const variants: [string, CpuPath, number | null][] = [];
for (const p of paths) {
  variants.push([p, p, null]);
  if (p === 'native') variants.push(['native, every kernel in the addon', 'native', 1]);
  if (p === 'wasm') variants.push(['wasm, every float32 / bool kernel in the wasm VM', 'wasm', 1]);
}

for (const [label, path, nativeMin] of variants) describe(`cpu backend, ${label} path, against the reference`, () => {
  const b = backendFor(path, 2, nativeMin ?? undefined);

  test('reports its path', () => { assert.equal(b.path, path); assert.equal(b.name, 'cpu'); });

  if (nativeMin !== null && path === 'wasm') test('float32 kernels and reductions do run in the wasm VM, others in JS', () => {
    const before = b.vmCalls();
    const x = host([1, -2, 3], [3], 'float32');
    assertSame(runOn(b, 'neg', [x], {}).data, Float32Array.of(-1, 2, -3), 'neg');
    assertSame(runOn(b, 'reduceSum', [x], { axes: [0], keepdims: false }).data, Float32Array.of(2), 'sum');
    assert.equal(b.vmCalls() - before, 2);
    assertSame(runOn(b, 'neg', [host([1, -2, 3], [3], 'int32')], {}).data, Int32Array.of(-1, 2, -3), 'neg int32');
    assert.equal(b.vmCalls() - before, 2);
  });

  if (nativeMin !== null && path === 'native') test('kernels and reductions do run in the addon', () => {
    const n = loadNative();
    assert.ok('addon' in n);
    const { ewise, reduce } = n.addon;
    let calls = 0;
    n.addon.ewise = (...a) => { calls++; ewise(...a); };
    n.addon.reduce = (...a) => { calls++; reduce(...a); };
    try {
      const x = host([1, -2, 3], [3], 'float32');
      assertSame(runOn(b, 'neg', [x], {}).data, Float32Array.of(-1, 2, -3), 'neg');
      assertSame(runOn(b, 'reduceSum', [x], { axes: [0], keepdims: false }).data, Float32Array.of(2), 'sum');
      assert.equal(calls, 2);
    } finally { n.addon.ewise = ewise; n.addon.reduce = reduce; }
  });

  // every op with every dtype (a sampled op can miss one for a whole run)
  test('unary ops (every op and dtype, special values)', () => {
    for (const op of [...floatUnary, ...numUnary]) for (const dtype0 of numDtypes) {
      const dtype = (floatUnary as readonly string[]).includes(op) && dtype0 === 'int32' ? 'float32' : dtype0;
      fc.assert(fc.property(shapeArb().chain((shape) => hostArb(shape, dtype)), (x) => {
        assertSame(runOn(b, op, [x], {}).data, runOn(ref, op, [x], {}).data, `${op} ${dtype}`);
      }), { numRuns: Math.ceil(RUNS / 4) });
    }
  });

  test('binary arithmetic and comparisons with broadcasting (every op and dtype)', () => {
    for (const op of [...arith, ...floatArith, ...compare]) for (const dtype0 of numDtypes) {
      const dtype = (floatArith as readonly string[]).includes(op) && dtype0 === 'int32' ? 'float64' : dtype0;
      fc.assert(fc.property(broadcastShapesArb(2).chain(([sa, sb]) => fc.tuple(hostArb(sa, dtype), hostArb(sb, dtype))), ([x, y]) => {
        assertSame(runOn(b, op, [x, y], {}).data, runOn(ref, op, [x, y], {}).data, `${op} ${dtype} [${x.info.shape}] [${y.info.shape}]`);
      }), { numRuns: Math.ceil(RUNS / 4) });
    }
  });

  test('where and cast', () => {
    fc.assert(fc.property(fc.constantFrom(...INPUT_DTYPES), broadcastShapesArb(3), (dtype, [sc, sa, sb]) => {
      fc.assert(fc.property(hostArb(sc, 'bool'), hostArb(sa, dtype), hostArb(sb, dtype), (c, x, y) => {
        assertSame(runOn(b, 'where', [c, x, y], {}).data, runOn(ref, 'where', [c, x, y], {}).data, 'where');
      }), { numRuns: 2 });
    }), { numRuns: RUNS });
    fc.assert(fc.property(fc.constantFrom(...INPUT_DTYPES), fc.constantFrom(...INPUT_DTYPES), shapeArb(), (from, to, shape) => {
      fc.assert(fc.property(hostArb(shape, from), (x) => {
        assertSame(runOn(b, 'cast', [x], { dtype: to }).data, runOn(ref, 'cast', [x], { dtype: to }).data, `cast ${from}->${to}`);
      }), { numRuns: 2 });
    }), { numRuns: RUNS });
    // int32 -> float32 rounds, float -> int32 truncates and wraps
    const x = host([16777217, -2147483648, 2147483647], [3], 'int32');
    assertSame(runOn(b, 'cast', [x], { dtype: 'float32' }).data, runOn(ref, 'cast', [x], { dtype: 'float32' }).data, 'cast rounding');
  });

  test('reduceSum / reduceMax over any axes', () => {
    fc.assert(fc.property(fc.constantFrom<'reduceSum' | 'reduceMax'>('reduceSum', 'reduceMax'), fc.constantFrom(...numDtypes),
      shapeArb(0, 4, 5), fc.boolean(), fc.integer(), (op, dtype, shape, keepdims, seed) => {
        const axes = shape.map((_, i) => i).filter((i) => ((seed >> i) & 1) === 1);
        fc.assert(fc.property(hostArb(shape, dtype), (x) => {
          const p = { axes, keepdims };
          assertSame(runOn(b, op, [x], p).data, runOn(ref, op, [x], p).data, `${op} ${dtype} [${shape}] axes [${axes}]`);
        }), { numRuns: 2 });
      }), { numRuns: RUNS });
    // shapes large enough for the addon's threads and its side-by-side rows, with rows that share an output
    // (axes [0, 2]) and special values; every axis set of a rank-3 shape
    for (const shape of [[3, 4, 5], [64, 40, 16], [9, 130, 33], [3, 60, 1030]]) {
      const n = shape.reduce((p, d) => p * d, 1);
      const vals = Array.from({ length: n }, (_, i) => (i % 97 === 5 ? NaN : i % 89 === 3 ? -0 : Math.sin(i * 12.9898) * 1e3));
      const x = host(vals, shape, 'float32');
      for (const axes of [[0], [1], [2], [0, 1], [0, 2], [1, 2], [0, 1, 2]]) for (const op of ['reduceSum', 'reduceMax'] as const)
        assertSame(runOn(b, op, [x], { axes, keepdims: false }).data, runOn(ref, op, [x], { axes, keepdims: false }).data, `${op} [${shape}] axes [${axes}]`);
    }
    // empty axis: sum gives zeros
    const e = host([], [2, 0, 3], 'float32');
    assertSame(runOn(b, 'reduceSum', [e], { axes: [1], keepdims: false }).data, new Float32Array(6), 'sum over empty axis');
  });

  test('movement ops: reshape, permute, broadcastTo, slice, pad, concat', () => {
    fc.assert(fc.property(shapeArb(1, 4, 5), fc.constantFrom(...INPUT_DTYPES), fc.integer({ min: 0, max: 1 << 20 }), (shape, dtype, seed) => {
      fc.assert(fc.property(hostArb(shape, dtype), (x) => {
        const rank = shape.length;
        const perm = shape.map((_, i) => i).sort((p, q) => ((seed * (p + 3)) % 7) - ((seed * (q + 3)) % 7));
        assertSame(runOn(b, 'permute', [x], { perm }).data, runOn(ref, 'permute', [x], { perm }).data, 'permute');
        const starts = shape.map((d, i) => (seed >> i) % (d + 1)), ends = shape.map((d, i) => Math.max(starts[i], d - ((seed >> (i + 4)) % 2)));
        assertSame(runOn(b, 'slice', [x], { starts, ends }).data, runOn(ref, 'slice', [x], { starts, ends }).data, 'slice');
        const before = shape.map((_, i) => (seed >> (2 * i)) % 3), after = shape.map((_, i) => (seed >> (2 * i + 1)) % 2);
        for (const value of [0, 1.5]) {
          const pp = { before, after, value: dtype === 'bool' ? 1 : value };
          assertSame(runOn(b, 'pad', [x], pp).data, runOn(ref, 'pad', [x], pp).data, 'pad');
        }
        const axis = seed % rank;
        assertSame(runOn(b, 'concat', [x, x, x], { axis }).data, runOn(ref, 'concat', [x, x, x], { axis }).data, 'concat');
        const target = [2, ...shape];
        assertSame(runOn(b, 'broadcastTo', [x], { shape: target }).data, runOn(ref, 'broadcastTo', [x], { shape: target }).data, 'broadcastTo');
        assertSame(runOn(b, 'reshape', [x], { shape: [x.data.length] }).data, x.data, 'reshape');
      }), { numRuns: 2 });
    }), { numRuns: RUNS });
  });

  if (path !== 'js') test('rope: the bits of its decomposition (mul, mul, add of the rotated copy), over broadcast tables and thread splits', () => {
    const decomposed = (x: HostTensor, c: HostTensor, sn: HostTensor) => {
      const shape = x.info.shape, last = shape.length - 1, h = shape[last] / 2;
      const half = (from: number) => runOn(ref, 'slice', [x], { starts: shape.map((_, i) => (i === last ? from : 0)), ends: shape.map((d, i) => (i === last ? from + h : d)) });
      const rotated = runOn(ref, 'concat', [runOn(ref, 'neg', [half(h)], {}), half(0)], { axis: last });
      return runOn(ref, 'add', [runOn(ref, 'mul', [x, c], {}), runOn(ref, 'mul', [rotated, sn], {})], {});
    };
    // [3, 64, 8, 128] is over 2^17 elements: the addon and the wasm pool split its rows between threads, mid-table
    // (row 768 is [1, 32, 0])
    const shapes = fc.oneof(fc.constant([3, 64, 8, 128]), fc.tuple(dimsArb(3, 3), fc.integer({ min: 1, max: 4 })).map(([d, h]) => [...d, 2 * h]));
    fc.assert(fc.property(shapes, fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 1 << 20 }), (shape, kind, seed) => {
      const table = kind === 0 ? shape.slice(1) : kind === 1 ? [shape[1], 1, shape[3]] : [1, shape[2], 1];
      const vals = (n: number, k: number) => Array.from({ length: n }, (_, i) => Math.sin(seed + k * 7919 + i * 0.37) * 3);
      const x = host(vals(shape.reduce((p, d) => p * d, 1), 1), shape, 'float32');
      const c = host(vals(table.reduce((p, d) => p * d, 1), 2), table, 'float32'), sn = host(vals(table.reduce((p, d) => p * d, 1), 3), table, 'float32');
      assertSame(runOn(b, 'rope', [x, c, sn], {}).data, decomposed(x, c, sn).data, 'rope');
    }), { numRuns: 6 });
  });

  test('reshape shares storage and memory() counts it once', () => {
    const m0 = b.memory();
    const x = b.upload(Float32Array.of(1, 2, 3, 4), { shape: [2, 2], dtype: 'float32' });
    const y = b.runRoutine('reshape', [{ handle: x, info: { shape: [2, 2], dtype: 'float32' } }], { shape: [4] }, { shape: [4], dtype: 'float32' });
    assert.equal(b.memory().liveBuffers, m0.liveBuffers + 1);
    b.free(x);
    assert.deepEqual(Array.from(b.read(y, { shape: [4], dtype: 'float32' })), [1, 2, 3, 4]);
    assert.equal(b.memory().liveBuffers, m0.liveBuffers + 1);
    b.free(y);
    b.free(y);
    assert.deepEqual(b.memory(), m0);
  });

  test('gather and scatterAdd with batch dims', () => {
    fc.assert(fc.property(dimsArb(4, 3), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 }), dimsArb(2, 3),
      fc.constantFrom<DType>('float32', 'int32', 'float64'), (xShape, axis0, bd0, rest, dtype) => {
        const axis = axis0, batchDims = Math.min(bd0, axis);
        const idxShape = [...xShape.slice(0, batchDims), ...rest.slice(0, (bd0 + axis) % 3)];
        fc.assert(fc.property(hostArb(xShape, dtype), fc.array(fc.integer({ min: 0, max: xShape[axis] - 1 }),
          { minLength: idxShape.reduce((p, d) => p * d, 1), maxLength: idxShape.reduce((p, d) => p * d, 1) }), (x, iv) => {
          const idx = host(iv, idxShape, 'int32');
          const g = runOn(b, 'gather', [x, idx], { axis, batchDims });
          assertSame(g.data, runOn(ref, 'gather', [x, idx], { axis, batchDims }).data, 'gather');
          const p = { axis, batchDims, size: xShape[axis] };
          assertSame(runOn(b, 'scatterAdd', [g, idx], p).data, runOn(ref, 'scatterAdd', [g, idx], p).data, 'scatterAdd');
        }), { numRuns: 2 });
      }), { numRuns: RUNS });
    const x = host([1, 2, 3], [3], 'float32');
    assert.throws(() => runOn(b, 'gather', [x, host([3], [1], 'int32')], { axis: 0, batchDims: 0 }), /out of range/);
  });

  test('reduction prologues fold as the reference reduces (threaded rows, outer and mixed axes, NaN, -0)', () => {
    const I = (index: number): Expr => ({ op: 'input', index, dtype: 'float32' });
    // mul(x, exp(y)) + z: y broadcast along the last axis, z a scalar input
    const prologue: Expr = { op: 'add', dtype: 'float32', args: [{ op: 'mul', dtype: 'float32', args: [I(0), { op: 'exp', dtype: 'float32', args: [I(1)] }] }, I(2)] };
    // [260, 1100]: a kept inner dim wide enough for one column range per thread
    for (const shape of [[3, 5, 7], [520, 300], [9, 130, 130], [260, 1100]]) {
      const n = shape.reduce((p, d) => p * d, 1), rows = n / shape[shape.length - 1];
      const x = host(Array.from({ length: n }, (_, i) => (i % 101 === 7 ? NaN : i % 67 === 3 ? -0 : Math.sin(i * 12.9898) * 50)), shape, 'float32');
      const y = host(Array.from({ length: rows }, (_, i) => Math.cos(i) * 3), [...shape.slice(0, -1), 1], 'float32');
      const z = host([0.25], [], 'float32');
      for (const axes of [[shape.length - 1], [0], [0, shape.length - 1], shape.map((_, i) => i)]) for (const prim of ['reduceSum', 'reduceMax'] as const) {
        const outShape = shape.map((d, i) => (axes.includes(i) ? 1 : d));
        const kernel: FusedKernel = { inputs: [x.info, y.info, z.info], out: { shape: outShape, dtype: 'float32' }, expr: { op: 'head', dtype: 'float32' },
          head: { prim, prologue: { expr: prologue, out: { shape, dtype: 'float32' } }, params: { axes, keepdims: true } } };
        assertSame(runFusedOn(b, kernel, [x, y, z]), runFusedOn(ref, kernel, [x, y, z]), `${prim} of a prologue over [${shape}] axes [${axes}]`);
      }
    }
    // order matters: 2^54 + 1 - 2^54 is 0 folded in order and 1 in any order that brings -2^54 earlier (on one
    // thread, and with the columns split between threads)
    const big = 2 ** 54;
    for (const [rows, cols] of [[520, 300], [300, 1100]]) {
      const shape = [rows, cols];
      const x = host(Array.from({ length: rows * cols }, (_, i) => { const r = Math.floor(i / cols); return r === 0 ? big : r === 200 ? -big : 1; }), shape, 'float32');
      const plain: FusedKernel = { inputs: [x.info], out: { shape: [1, cols], dtype: 'float32' }, expr: { op: 'head', dtype: 'float32' },
        head: { prim: 'reduceSum', prologue: { expr: { op: 'mul', dtype: 'float32', args: [I(0), { op: 'const', value: 1, dtype: 'float32' }] }, out: { shape, dtype: 'float32' } }, params: { axes: [0], keepdims: true } } };
      assertSame(runFusedOn(b, plain, [x]), runFusedOn(ref, plain, [x]), `order of a sum over the outer axis of [${shape}]`);
      assertSame(runOn(b, 'reduceSum', [x], { axes: [0], keepdims: true }).data, runOn(ref, 'reduceSum', [x], { axes: [0], keepdims: true }).data, `order of a plain sum over the outer axis of [${shape}]`);
    }
  });

  test('kernels that differ only in constants share one compiled kernel', () => {
    const x = host(Array.from({ length: 2000 }, (_, i) => i / 7), [2000], 'float32');
    const kernel = (c: number): FusedKernel => ({ inputs: [x.info], out: { shape: [2000], dtype: 'float32' },
      expr: { op: 'mul', args: [{ op: 'input', index: 0, dtype: 'float32' }, { op: 'const', value: c, dtype: 'float32' }], dtype: 'float32' } });
    runFusedOn(b, kernel(1), [x]);
    const before = compiledKernels();
    for (const c of [0.5, -0, NaN, Infinity, 3]) assertSame(runFusedOn(b, kernel(c), [x]), runFusedOn(ref, kernel(c), [x]), `times ${c}`);
    assert.equal(compiledKernels(), before);
  });

  test('iota', () => {
    for (const dtype of ['int32', 'float32', 'float64'] as const)
      assertSame(runOn(b, 'iota', [], { n: 5, dtype }).data, runOn(ref, 'iota', [], { n: 5, dtype }).data, 'iota');
  });

  test('matmul: float64 is identical to the reference, float32 within the accumulation bound', () => {
    fc.assert(fc.property(matmulCaseArb(20), fc.constantFrom<DType>('float32', 'float64'), ({ m, n, k, transA, transB, batch }, dtype) => {
      const sa = [...batch[0], ...(transA ? [k, m] : [m, k])], sb = [...batch[1], ...(transB ? [n, k] : [k, n])];
      fc.assert(fc.property(hostArb(sa, dtype, false), hostArb(sb, dtype, false), (a, bb) => {
        const got = runOn(b, 'matmul', [a, bb], { transA, transB }).data;
        if (dtype === 'float64' || path === 'js') assertSame(got, runOn(ref, 'matmul', [a, bb], { transA, transB }).data, 'matmul');
        else assertMatmulClose(got, a, bb, transA, transB, k);
      }), { numRuns: 2 });
    }), { numRuns: RUNS });
  });

  test('matmul: sizes across the kernels\' block edges (k > 256, n > 1024, ragged tiles)', () => {
    for (const [m, n, k] of [[7, 1030, 9], [13, 17, 300], [97, 33, 513], [1, 1, 1], [6, 8, 256], [200, 3, 2]] as const) {
      for (const [transA, transB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
        const a = host(Array.from({ length: m * k }, (_, i) => Math.sin(i * 1.3)), transA ? [k, m] : [m, k], 'float32');
        const bb = host(Array.from({ length: k * n }, (_, i) => Math.cos(i * 0.7)), transB ? [n, k] : [k, n], 'float32');
        const got = runOn(b, 'matmul', [a, bb], { transA, transB }).data;
        if (path === 'js') assertSame(got, runOn(ref, 'matmul', [a, bb], { transA, transB }).data, 'matmul');
        else assertMatmulClose(got, a, bb, transA, transB, k);
      }
    }
    // zero-size operands
    const z = runOn(b, 'matmul', [host([], [3, 0], 'float32'), host([], [0, 2], 'float32')], { transA: false, transB: false });
    assertSame(z.data, new Float32Array(6), 'k = 0');
  });

  // The kernels run long sequences a chunk of query rows at a time, each over the keys up to its rows' last
  // allowed one (when every input is finite): causal, random and banded masks, a fully masked row (uniform
  // weights), grouped heads, T not a multiple of the chunk; a NaN in a masked value must still reach the output.
  if (path !== 'js') test('attention and its gradient over long masked sequences, against the reference', () => {
    const [B, T, H, KV, d] = [2, 77, 4, 2, 8];
    const vals = (n: number, seed: number) => Array.from({ length: n }, (_, i) => Math.sin(seed * 7.1 + i * 0.61) * 1.5);
    const q = host(vals(B * T * H * d, 1), [B, T, H, d], 'float32'), k = host(vals(B * T * KV * d, 2), [B, T, KV, d], 'float32');
    const v = host(vals(B * T * KV * d, 3), [B, T, KV, d], 'float32'), g = host(vals(B * T * H * d, 4), [B, T, H, d], 'float32');
    const masks: [string, (i: number, j: number) => boolean][] = [
      ['causal', (i, j) => j <= i], ['random', (i, j) => Math.sin(i * 3.7 + j * 1.9) > -0.3 && j <= i + 5],
      ['band', (i, j) => j <= i && j > i - 20], ['a fully masked row', (i, j) => i !== 40 && j <= i],
    ];
    const close = (got: ArrayLike<number>, want: ArrayLike<number>, what: string) => {
      let scale = 0;
      for (let i = 0; i < want.length; i++) if (!Number.isNaN(want[i])) scale = Math.max(scale, Math.abs(want[i]));
      for (let i = 0; i < want.length; i++) {
        if (Number.isNaN(want[i]) !== Number.isNaN(got[i])) assert.fail(`${what} at ${i}: got ${got[i]}, want ${want[i]}`);
        if (!Number.isNaN(want[i]) && !(Math.abs(got[i] - want[i]) <= 2e-5 * scale)) assert.fail(`${what} at ${i}: got ${got[i]}, want ${want[i]}`);
      }
    };
    for (const [name, allowed] of masks) {
      const mask = host(Array.from({ length: T * T }, (_, x) => +allowed(Math.floor(x / T), x % T)), [1, 1, T, T], 'bool');
      close(runOn(b, 'attention', [q, k, v, mask], { scale: 0.3 }).data, runOn(ref, 'attention', [q, k, v, mask], { scale: 0.3 }).data, `attention, ${name}`);
      close(runOn(b, 'attentionGrad', [q, k, v, mask, g], { scale: 0.3 }).data, runOn(ref, 'attentionGrad', [q, k, v, mask, g], { scale: 0.3 }).data, `gradient, ${name}`);
    }
    // a NaN in the last key's value (masked for every row but the last): the output channel it feeds is NaN in
    // every row, as 0 * NaN is
    const vNaN = host(Array.from(v.data, (x, i) => (i === (T - 1) * KV * d ? NaN : x)), v.info.shape, 'float32');
    const mask = host(Array.from({ length: T * T }, (_, x) => +(x % T <= Math.floor(x / T))), [T, T], 'bool');
    const got = runOn(b, 'attention', [q, k, vNaN, mask], { scale: 0.3 }).data;
    close(got, runOn(ref, 'attention', [q, k, vNaN, mask], { scale: 0.3 }).data, 'attention, NaN value');
    assert.ok(Number.isNaN(got[0]) && !Number.isNaN(got[1]), 'row 0, channel 0 of head 0 is NaN; channel 1 is not');
    // in the gradient, a NaN in row 0 of q (or of g) of one entry reaches, through 0 * NaN, every key's dk (dv)
    // channel of its group; the other batch entry stays finite
    for (const [name, at] of [['q', 0], ['g', 3]] as const) {
      const xs = [q, k, v, mask, g].map((x, i) => (i === (at === 0 ? 0 : 4) ? host(Array.from(x.data, (y, j) => (j === 0 ? NaN : y)), x.info.shape, 'float32') : x));
      const dg = runOn(b, 'attentionGrad', xs, { scale: 0.3 }).data;
      close(dg, runOn(ref, 'attentionGrad', xs, { scale: 0.3 }).data, `gradient, NaN in ${name}`);
      const [nq, nk] = [B * T * H * d, B * T * KV * d], last = name === 'q' ? nq + (T - 1) * KV * d : nq + nk + (T - 1) * KV * d;
      assert.ok(Number.isNaN(dg[last]) && !Number.isNaN(dg[last + (B - 1) * T * KV * d]), `NaN in ${name}: the last key's channel 0 is NaN in batch 0, not in batch 1`);
    }
  });

  test('fused element-wise kernels (random typed expressions over broadcast inputs)', () => {
    fc.assert(fc.property(broadcastShapesArb(4), fc.constantFrom(...INPUT_DTYPES), fc.integer({ min: 0, max: 4 }), ([s0, s1, s2, s3], outDtype, depth) => {
      const shapes = [s0, s1, s2, s3];
      const outShape = broadcastAll(shapes);
      fc.assert(fc.property(exprArb(outDtype, depth, null), fc.tuple(...shapes.map((s, i) => hostArb(s, INPUT_DTYPES[i]))), (expr, xs) => {
        const k: FusedKernel = { inputs: xs.map((x) => x.info), out: { shape: outShape, dtype: outDtype }, expr };
        assertSame(runFusedOn(b, k, xs), runFusedOn(ref, k, xs), `fused ${JSON.stringify(expr)}`);
      }), { numRuns: 3 });
    }), { numRuns: RUNS });
  });

  test('fused kernels with a matmul or reduction head', () => {
    // small integer values: float32 products are exact, so even comparisons in the epilogue agree bitwise
    const small = (shape: number[]) => fc.array(fc.integer({ min: -3, max: 3 }), { minLength: shape.reduce((p, d) => p * d, 1), maxLength: shape.reduce((p, d) => p * d, 1) })
      .map((v) => host(v, shape, 'float32'));
    fc.assert(fc.property(fc.integer({ min: 1, max: 3 }), dimsArb(3, 12), fc.boolean(), fc.boolean(), (bt, [m, n, k], transA, transB) => {
      const sa = [bt, ...(transA ? [k, m] : [m, k])], sb = transB ? [n, k] : [k, n];
      fc.assert(fc.property(small(sa), small(sb), small([n]), exprArb('float32', 3, 'float32'), (a, bb, bias, e) => {
        // inputs: 0 float32 bias [n] (the expression's float32 input), 1 int32, 2 bool, 3 float64; 4 and 5 feed the head
        const others = [bias, host([1], [1], 'int32'), host([1], [1], 'bool'), host([0.5], [1], 'float64')];
        const xs = [...others, a, bb];
        const k2: FusedKernel = { inputs: xs.map((x) => x.info), out: { shape: [bt, m, n], dtype: 'float32' }, expr: e,
          head: { prim: 'matmul', inputs: [4, 5], params: { transA, transB } } };
        assertSame(runFusedOn(b, k2, xs), runFusedOn(ref, k2, xs), `matmul head ${JSON.stringify(e)}`);
      }), { numRuns: 3 });
    }), { numRuns: 15 });
    fc.assert(fc.property(dimsArb(3, 5), fc.integer({ min: 1, max: 6 }), (shape, mask) => {
      const axes = [0, 1, 2].filter((i) => (mask >> i) & 1);
      const outShape = shape.map((d, i) => (axes.includes(i) ? 1 : d));
      fc.assert(fc.property(hostArb(shape, 'float32'), exprArb('float32', 2, 'float32'), (x, e) => {
        const xs = [host([2], [1], 'float32'), host([1], [1], 'int32'), host([1], [1], 'bool'), host([0.5], [1], 'float64'), x];
        for (const prim of ['reduceSum', 'reduceMax'] as const) {
          const k2: FusedKernel = { inputs: xs.map((y) => y.info), out: { shape: outShape, dtype: 'float32' }, expr: e,
            head: { prim, inputs: [4], params: { axes, keepdims: true } } };
          assertSame(runFusedOn(b, k2, xs), runFusedOn(ref, k2, xs), `${prim} head`);
        }
      }), { numRuns: 3 });
    }), { numRuns: 15 });
  });
});
