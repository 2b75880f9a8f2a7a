// Boundary functions: untrusted data in, fp-ts Either out (never a throw).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import * as E from 'fp-ts/lib/Either.js';
import { type DType, type Tensor, TensorError, checkShape, fromArray, parseFlat, parseTensor, tensor } from '@safekey-ts/core';
import { type ExpectedError, expectError, expectErrorValue, expectTensor } from '@safekey-ts/core/testing';

function right<A>(e: E.Either<TensorError, A>): A {
  if (E.isLeft(e)) assert.fail(`expected Right, got Left: ${e.left.message}`);
  return e.right;
}
function left(e: E.Either<TensorError, unknown>, want: ExpectedError): TensorError {
  assert.ok(E.isLeft(e), 'expected Left, got Right');
  return expectErrorValue(e.left, want);
}

describe('parseTensor', () => {
  test('rectangular nested arrays give a tensor of their shape', () => {
    expectTensor(right(parseTensor([[1, 2], [3, 4]])), [[1, 2], [3, 4]], { tol: 0 });
    expectTensor(right(parseTensor(5)), 5, { tol: 0 });
    expectTensor(right(parseTensor([[[1.5]], [[-2]]], 'float64')), [[[1.5]], [[-2]]], { tol: 0, dtype: 'float64' });
    expectTensor(right(parseTensor([[1, 2]], 'int32')), [[1, 2]], { tol: 0, dtype: 'int32' });
    expectTensor(right(parseTensor([true, false, 1, 0], 'bool')), [1, 0, 1, 0], { tol: 0, dtype: 'bool' });
    expectTensor(right(parseTensor([true, false])), [1, 0], { tol: 0 });
  });
  test('empty arrays keep their shape', () => {
    assert.deepEqual([...right(parseTensor([])).shape], [0]);
    assert.deepEqual([...right(parseTensor([[], []])).shape], [2, 0]);
    assert.deepEqual([...right(parseTensor([[[]]])).shape], [1, 1, 0]);
  });
  test('a ragged array is MalformedData with the path of the offending row', () => {
    left(parseTensor([[1, 2], [3]]), { kind: 'MalformedData', op: 'parseTensor', path: '[1]' });
    left(parseTensor([[[1], [2]], [[3], [4, 5]]]), { kind: 'MalformedData', op: 'parseTensor', path: '[1][1]' });
    left(parseTensor([[1], []]), { kind: 'MalformedData', op: 'parseTensor', path: '[1]' });
    left(parseTensor([[], [1]]), { kind: 'MalformedData', op: 'parseTensor', path: '[1]' });
    left(parseTensor([1, [2]]), { kind: 'MalformedData', op: 'parseTensor', path: '[1]' });
    left(parseTensor([[1], 2]), { kind: 'MalformedData', op: 'parseTensor', path: '[1]' });
    const e = left(parseTensor([[1, 2], [3]]), { kind: 'MalformedData', op: 'parseTensor' });
    assert.match(e.message, /\[1\]/);
  });
  test('a leaf that is not a number or boolean is MalformedData with its path', () => {
    left(parseTensor([[1, 'a']]), { kind: 'MalformedData', op: 'parseTensor', path: '[0][1]' });
    left(parseTensor([null]), { kind: 'MalformedData', op: 'parseTensor', path: '[0]' });
    left(parseTensor({ data: [1] }), { kind: 'MalformedData', op: 'parseTensor', path: '(root)' });
    left(parseTensor(undefined), { kind: 'MalformedData', op: 'parseTensor', path: '(root)' });
    left(parseTensor('3'), { kind: 'MalformedData', op: 'parseTensor' });
  });
  test('int32 rejects NaN, infinities, fractions and out-of-range values', () => {
    for (const bad of [NaN, Infinity, -Infinity, 1.5, 2 ** 31, -(2 ** 31) - 1])
      left(parseTensor([1, bad], 'int32'), { kind: 'NonFinite', op: 'parseTensor' });
    expectTensor(right(parseTensor([2 ** 31 - 1, -(2 ** 31)], 'int32')), [2 ** 31 - 1, -(2 ** 31)], { tol: 0, dtype: 'int32' });
  });
  test('bool rejects numbers other than 0 and 1', () => {
    left(parseTensor([0, 2], 'bool'), { kind: 'InvalidArgument', op: 'parseTensor' });
  });
  test('finite: true rejects NaN and infinities in float tensors; the default lets them through', () => {
    for (const bad of [NaN, Infinity, -Infinity]) {
      left(parseTensor([[0, bad]], 'float32', { finite: true }), { kind: 'NonFinite', op: 'parseTensor' });
      left(parseTensor([bad], 'float64', { finite: true }), { kind: 'NonFinite', op: 'parseTensor' });
    }
    expectTensor(right(parseTensor([NaN, Infinity])), [NaN, Infinity], { tol: 0 });
  });
  test('never throws, whatever the input', () => {
    fc.assert(fc.property(fc.anything(), fc.constantFrom<DType>('float32', 'float64', 'int32', 'bool'), (v, dtype) => {
      const r = parseTensor(v, dtype, { finite: true });
      if (E.isLeft(r)) assert.ok(r.left instanceof TensorError);
    }), { numRuns: 100 });
  });
  test('round trips toArray()', () => {
    const finite = fc.float({ noNaN: true, noDefaultInfinity: true });
    const nested = fc.integer({ min: 1, max: 3 }).chain((a) => fc.integer({ min: 1, max: 3 }).chain((b) =>
      fc.array(fc.array(finite, { minLength: b, maxLength: b }), { minLength: a, maxLength: a })));
    fc.assert(fc.property(nested, (v) => {
      assert.deepEqual(right(parseTensor(v)).toArray(), v);
    }), { numRuns: 50 });
  });
});

describe('parseFlat', () => {
  test('flat data plus shape gives a tensor; dtype defaults to float32', () => {
    expectTensor(right(parseFlat({ data: [1, 2, 3, 4, 5, 6], shape: [2, 3] })), [[1, 2, 3], [4, 5, 6]], { tol: 0 });
    expectTensor(right(parseFlat({ data: [1, 2], shape: [2], dtype: 'int32' })), [1, 2], { tol: 0, dtype: 'int32' });
    expectTensor(right(parseFlat({ data: [7], shape: [] })), 7, { tol: 0 });
    assert.deepEqual([...right(parseFlat({ data: [], shape: [3, 0] })).shape], [3, 0]);
  });
  test('data and shape sizes differ: ShapeMismatch with the shape', () => {
    left(parseFlat({ data: [1, 2, 3], shape: [2, 2] }), { kind: 'ShapeMismatch', op: 'parseFlat', shapes: [[2, 2]] });
    left(parseFlat({ data: [1, 2], shape: [], dtype: 'float64' }), { kind: 'ShapeMismatch', op: 'parseFlat', shapes: [[]] });
  });
  test('a bad shape is MalformedData at `shape`', () => {
    left(parseFlat({ data: [1, 2], shape: [2, -1] }), { kind: 'MalformedData', op: 'parseFlat', path: 'shape' });
    left(parseFlat({ data: [1, 2], shape: [1.5] }), { kind: 'MalformedData', op: 'parseFlat', path: 'shape' });
    left(parseFlat({ data: [1, 2], shape: '2' }), { kind: 'MalformedData', op: 'parseFlat' });
  });
  test('malformed records and values', () => {
    left(parseFlat({ shape: [1] }), { kind: 'MalformedData', op: 'parseFlat' });
    left(parseFlat({ data: [1, 'x'], shape: [2] }), { kind: 'MalformedData', op: 'parseFlat' });
    left(parseFlat({ data: [1], shape: [1], dtype: 'float16' }), { kind: 'MalformedData', op: 'parseFlat' });
    left(parseFlat([1, 2]), { kind: 'MalformedData', op: 'parseFlat' });
    left(parseFlat({ data: [0.5], shape: [1], dtype: 'int32' }), { kind: 'NonFinite', op: 'parseFlat' });
    left(parseFlat({ data: [NaN], shape: [1] }, { finite: true }), { kind: 'NonFinite', op: 'parseFlat' });
  });
  test('never throws, whatever the input', () => {
    fc.assert(fc.property(fc.anything(), fc.record({ data: fc.array(fc.oneof(fc.double(), fc.boolean())), shape: fc.array(fc.double(), { maxLength: 3 }) }),
      (v, rec) => {
        for (const r of [parseFlat(v), parseFlat(rec, { finite: true })]) if (E.isLeft(r)) assert.ok(r.left instanceof TensorError);
      }), { numRuns: 100 });
  });
});

describe('checkShape', () => {
  test('the expected shape narrows the type and keeps the tensor', () => {
    const x: Tensor = tensor([[1, 2, 3], [4, 5, 6]]);
    const y: Tensor<[2, 3]> = right(checkShape(x, [2, 3]));
    assert.equal(y, x);
  });
  test('another shape is a ShapeMismatch naming both shapes', () => {
    const x: Tensor = tensor([[1, 2, 3], [4, 5, 6]]);
    left(checkShape(x, [3, 2]), { kind: 'ShapeMismatch', op: 'checkShape', shapes: [[2, 3], [3, 2]] });
    left(checkShape(x, [2, 3, 1], 'weights'), { kind: 'ShapeMismatch', op: 'checkShape', shapes: [[2, 3], [2, 3, 1]] });
    assert.match(left(checkShape(x, [6], 'weights'), { kind: 'ShapeMismatch', op: 'checkShape' }).message, /weights/);
  });
});

describe('throwing creation functions', () => {
  test('tensor() throws the parse error', () => {
    expectError(() => tensor([[1, 2], [3]] as never), { kind: 'MalformedData', op: 'parseTensor', path: '[1]' });
  });
  test('fromArray checks the size against the shape', () => {
    expectError(() => fromArray(new Float32Array(3), [2, 2], 'float32'), { kind: 'ShapeMismatch', op: 'fromArray', shapes: [[2, 2]] });
    expectError(() => fromArray(new Float32Array(0), [-1], 'float32'), { kind: 'InvalidArgument', op: 'fromArray' });
  });
});
