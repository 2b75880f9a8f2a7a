// Bad inputs give the documented TensorError values: kind, op, and the argument shapes in argument order.
import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { arange } from '../creation.js';
import * as ew from '../ops/elementwise.js';
import { embedding, gather, scatterAdd, takeAlongAxis } from '../ops/indexing.js';
import { matmul } from '../ops/linalg.js';
import { broadcastTo, concat, pad, permute, reshape, slice, split, squeeze, transpose } from '../ops/movement.js';
import { max, mean, sum } from '../ops/reduce.js';
import { crossEntropy } from '../nn/losses.js';
import { ropeTables } from '../nn/rope.js';
import { bind, fromData } from '../bind.js';
import type { Tensor } from '../tensor.js';
import { T } from './arbitraries.js';
import { expectError, expectTensor } from './assert.js';
import { type SuiteContext, check } from './context.js';

export function errorSuite(c: SuiteContext): void {
  const m23 = () => T([[1, 2, 3], [4, 5, 6]]);
  describe('errors: shapes', () => {
    check('element-wise broadcast mismatch', () => {
      expectError(() => ew.add(m23(), T([1, 2, 3, 4])), { kind: 'ShapeMismatch', op: 'add', shapes: [[2, 3], [4]] });
      expectError(() => ew.mul(m23(), T([[1, 2], [3, 4], [5, 6]])), { kind: 'ShapeMismatch', op: 'mul', shapes: [[2, 3], [3, 2]] });
      expectError(() => ew.lt(T([1, 2]), T([1, 2, 3])), { kind: 'ShapeMismatch', op: 'lt', shapes: [[2], [3]] });
      expectError(() => ew.where(T([[true, false]], 'bool'), T([[1], [2], [3]]), T([1, 2, 3, 4])),
        { kind: 'ShapeMismatch', op: 'where', shapes: [[1, 2], [3, 1], [4]] });
    });
    check('matmul: contracted dims, rank, batch dims', () => {
      expectError(() => matmul(m23(), T([[1, 2], [3, 4]])), { kind: 'ShapeMismatch', op: 'matmul', shapes: [[2, 3], [2, 2]] });
      expectError(() => matmul(m23(), T([[1, 2, 3, 4]]), { transB: true }), { kind: 'ShapeMismatch', op: 'matmul', shapes: [[2, 3], [1, 4]] });
      expectError(() => matmul(m23(), m23(), { transA: true, transB: true }), { kind: 'ShapeMismatch', op: 'matmul', shapes: [[2, 3], [2, 3]] });
      expectError(() => matmul(T([1, 2, 3]), T([[1], [2], [3]])), { kind: 'ShapeMismatch', op: 'matmul', shapes: [[3], [3, 1]] });
      expectError(() => matmul(T([[[1]], [[2]]]), T([[[1]], [[2]], [[3]]])), { kind: 'ShapeMismatch', op: 'matmul', shapes: [[2, 1, 1], [3, 1, 1]] });
    });
    check('reshape: size mismatch, uninferable -1, bad dims', () => {
      expectError(() => reshape(m23(), [4]), { kind: 'ShapeMismatch', op: 'reshape', shapes: [[2, 3], [4]] });
      expectError(() => reshape(m23(), [-1, 4]), { kind: 'ShapeMismatch', op: 'reshape', shapes: [[2, 3], [-1, 4]] });
      expectError(() => reshape(m23(), [-1, -1]), { kind: 'InvalidArgument', op: 'reshape' });
      expectError(() => reshape(m23(), [-2, -3]), { kind: 'InvalidArgument', op: 'reshape' });
    });
    check('permute / transpose: not a permutation, wrong rank', () => {
      expectError(() => permute(m23(), [0, 0]), { kind: 'InvalidArgument', op: 'permute' });
      expectError(() => permute(m23(), [0]), { kind: 'InvalidArgument', op: 'permute' });
      expectError(() => permute(m23(), [0, 2]), { kind: 'InvalidArgument', op: 'permute' });
      expectError(() => transpose(T([1, 2, 3])), { kind: 'ShapeMismatch', op: 'transpose', shapes: [[3]] });
    });
    check('movement ops: broadcastTo, slice, pad, concat, split, squeeze', () => {
      expectError(() => broadcastTo(T([1, 2, 3]), [2, 4]), { kind: 'ShapeMismatch', op: 'broadcastTo', shapes: [[3], [2, 4]] });
      expectError(() => broadcastTo(m23(), [3]), { kind: 'ShapeMismatch', op: 'broadcastTo', shapes: [[2, 3], [3]] });
      expectError(() => slice(m23(), [0, 0], [3, 3]), { kind: 'ShapeMismatch', op: 'slice', shapes: [[2, 3]] });
      expectError(() => slice(m23(), [0, 2], [2, 1]), { kind: 'ShapeMismatch', op: 'slice', shapes: [[2, 3]] });
      expectError(() => slice(m23(), [0, 0, 0]), { kind: 'InvalidArgument', op: 'slice' });
      expectError(() => pad(m23(), [[0, 0], [-1, 0]]), { kind: 'InvalidArgument', op: 'pad' });
      expectError(() => pad(m23(), [[0, 0]]), { kind: 'InvalidArgument', op: 'pad' });
      expectError(() => concat([T([[1, 2]]), T([[1, 2, 3]])], 0), { kind: 'ShapeMismatch', op: 'concat', shapes: [[1, 2], [1, 3]] });
      expectError(() => concat([T([1, 2]), T([[1, 2]])], 0), { kind: 'ShapeMismatch', op: 'concat', shapes: [[2], [1, 2]] });
      expectError(() => concat([]), { kind: 'InvalidArgument', op: 'concat' });
      expectError(() => split(m23(), [1, 1], 1), { kind: 'ShapeMismatch', op: 'split', shapes: [[2, 3]] });
      expectError(() => squeeze(m23(), [0]), { kind: 'ShapeMismatch', op: 'squeeze', shapes: [[2, 3]] });
    });
    check('reductions: axis out of range, repeated axis, max over an empty axis', () => {
      expectError(() => sum(m23(), 2), { kind: 'InvalidArgument', op: 'sum' });
      expectError(() => sum(m23(), [-3]), { kind: 'InvalidArgument', op: 'sum' });
      expectError(() => sum(m23(), [1, -1]), { kind: 'InvalidArgument', op: 'sum' });
      expectError(() => max(T([[], []]), 1), { kind: 'ShapeMismatch', op: 'reduceMax', shapes: [[2, 0]] });
      expectError(() => mean(T([1, 2], 'int32') as Tensor), { kind: 'InvalidArgument', op: 'mean' });
    });
    check('item needs exactly one element', () => {
      expectError(() => T([1, 2]).item(), { kind: 'ShapeMismatch', op: 'item', shapes: [[2]] });
      assert.equal(T([[7]]).item(), 7);
    });
    check('losses and rope: shape and argument checks', () => {
      expectError(() => crossEntropy(m23(), T([0, 1, 2], 'int32')), { kind: 'ShapeMismatch', op: 'crossEntropy', shapes: [[2, 3], [3]] });
      expectError(() => crossEntropy(m23(), T([0, 1], 'int32'), T([true], 'bool')), { kind: 'ShapeMismatch', op: 'crossEntropy', shapes: [[1], [2]] });
      expectError(() => ropeTables(arange(3), 5), { kind: 'InvalidArgument', op: 'ropeTables' });
    });
  });

  describe('errors: dtypes', () => {
    check('primitives reject mixed or unsupported dtypes', () => {
      // typed as unknown dtypes: with their dtypes in the type, most of these lines are compile errors
      const f: Tensor = T([[1, 2], [3, 4]]), i: Tensor = T([[1, 2], [3, 4]], 'int32'), b: Tensor = T([true, false], 'bool');
      expectError(() => bind('add', [f, i], {}), { kind: 'DTypeMismatch', op: 'add' });
      expectError(() => matmul(f, i as never), { kind: 'DTypeMismatch', op: 'matmul' });
      expectError(() => matmul(i, i), { kind: 'DTypeMismatch', op: 'matmul' });
      expectError(() => ew.exp(i), { kind: 'DTypeMismatch', op: 'exp' });
      expectError(() => ew.log(b), { kind: 'DTypeMismatch', op: 'log' });
      expectError(() => ew.neg(b), { kind: 'DTypeMismatch', op: 'neg' });
      expectError(() => ew.div(i, i), { kind: 'DTypeMismatch', op: 'div' });
      expectError(() => ew.add(b, b), { kind: 'DTypeMismatch', op: 'add' });
      expectError(() => ew.where(f as never, f, f), { kind: 'DTypeMismatch', op: 'where' });
      expectError(() => concat([f, i as never]), { kind: 'DTypeMismatch', op: 'concat' });
      expectError(() => gather(f, T([0, 1]) as never), { kind: 'DTypeMismatch', op: 'gather' });
      expectError(() => sum(b), { kind: 'DTypeMismatch', op: 'reduceSum' });
      expectError(() => arange(3, 'bool'), { kind: 'DTypeMismatch', op: 'iota' });
    });
    check('element-wise ops promote mixed dtypes instead (bool < int32 < float32)', () => {
      expectTensor(ew.add(T([1.5, 2]), T([1, 2], 'int32')), [2.5, 4], { tol: c.tol });
      expectTensor(ew.mul(T([2, 3], 'int32'), T([true, false], 'bool')), [2, 0], { tol: 0, dtype: 'int32' });
      expectTensor(ew.add(T([1, 2], 'int32'), 1), [2, 3], { tol: 0, dtype: 'int32' });
    });
    check('a JS number takes the tensor\'s dtype; one an int32 tensor cannot hold, or any next to a bool tensor, is an error', () => {
      const half: number = 0.5, big: number = 2 ** 31, nan: number = NaN;
      const i = T([1, 2, 3], 'int32'), b = T([true, false], 'bool');
      expectTensor(ew.mul(i, -2), [-2, -4, -6], { tol: 0, dtype: 'int32' });
      expectTensor(ew.where(T([true, false, true], 'bool'), i, 7), [1, 7, 3], { tol: 0, dtype: 'int32' });
      expectTensor(ew.add(T([1, 2]), half), [1.5, 2.5], { tol: 0 });
      expectError(() => ew.add(i, half), { kind: 'DTypeMismatch', op: 'add' });
      expectError(() => ew.sub(half, i), { kind: 'DTypeMismatch', op: 'sub' });
      expectError(() => ew.lt(i, half), { kind: 'DTypeMismatch', op: 'lt' });
      expectError(() => ew.maximum(i, nan), { kind: 'DTypeMismatch', op: 'maximum' });
      expectError(() => ew.mul(i, big), { kind: 'DTypeMismatch', op: 'mul' });
      expectError(() => ew.where(T([true, false, true], 'bool'), i, half), { kind: 'DTypeMismatch', op: 'where' });
      expectError(() => ew.eq(b, 1), { kind: 'DTypeMismatch', op: 'eq' });
    });
  });

  describe('errors: indices', () => {
    check('gather / embedding / scatterAdd: index out of range', () => {
      const x = T([[1, 2], [3, 4], [5, 6]]);
      expectError(() => gather(x, T([0, 3], 'int32')), { kind: 'InvalidArgument', op: 'gather' });
      expectError(() => gather(x, T([-1], 'int32')), { kind: 'InvalidArgument', op: 'gather' });
      expectError(() => gather(x, T([[2]], 'int32'), 1), { kind: 'InvalidArgument', op: 'gather' });
      expectError(() => embedding(x, T([[0, 5]], 'int32')), { kind: 'InvalidArgument', op: 'gather' });
      expectError(() => scatterAdd(T([1, 2]), T([0, 2], 'int32'), 2), { kind: 'InvalidArgument', op: 'scatterAdd' });
    });
    check('gather / takeAlongAxis / scatterAdd: axis, batch dims and index shapes', () => {
      const x = T([[1, 2, 3], [4, 5, 6]]);
      expectError(() => gather(x, T([0], 'int32'), 2), { kind: 'InvalidArgument', op: 'gather' });
      expectError(() => gather(x, T([[0], [1], [0]], 'int32'), 1, 1), { kind: 'ShapeMismatch', op: 'gather', shapes: [[2, 3], [3, 1]] });
      expectError(() => gather(x, T([0, 1], 'int32'), 0, 1), { kind: 'InvalidArgument', op: 'gather' });
      expectError(() => takeAlongAxis(x, T([0, 1, 2], 'int32')), { kind: 'ShapeMismatch', op: 'takeAlongAxis', shapes: [[2, 3], [3]] });
      expectError(() => scatterAdd(T([[1, 2]]), T([0, 1, 1], 'int32'), 3), { kind: 'ShapeMismatch', op: 'scatterAdd', shapes: [[1, 2], [3]] });
    });
  });

  describe('errors: disposed tensors and backends', () => {
    check('using a disposed tensor is a Disposed error; dispose is idempotent', () => {
      const x = T([1, 2]);
      x.dispose();
      assert.equal(x.isDisposed, true);
      x.dispose();
      expectError(() => x.dataSync(), { kind: 'Disposed', op: 'tensor' });
      expectError(() => ew.add(x, T([1, 1])), { kind: 'Disposed', op: 'tensor' });
      expectError(() => ew.exp(x), { kind: 'Disposed', op: 'tensor' });
      const s = T(3);
      s.dispose();
      expectError(() => s.item(), { kind: 'Disposed', op: 'tensor' });
      expectError(() => s.toArray(), { kind: 'Disposed', op: 'tensor' });
    });
    check('inputs on two backends are a BackendMismatch', () => {
      const other = c.makeBackend();
      const y = fromData(new Float32Array([1, 2]), [2], 'float32', other);
      expectError(() => ew.add(T([1, 1]), y), { kind: 'BackendMismatch', op: 'add' });
      y.dispose();
      assert.equal(other.memory().liveBuffers, 0);
    });
  });
}
