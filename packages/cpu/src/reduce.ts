// reduceSum / reduceMax: the input is walked once in row-major order and each element is folded into its
// output's accumulator (a float64), which is the reference backend's order, so results are identical to it.
// In the addon (native/reduce.cc) rows are folded side by side; elsewhere a plain reduction is the
// element-wise fold (runElementwise's sum / max sink, in the wasm VM on the wasm path) of its input, as a
// reduction with a prologue is.
import { type DType, type Expr, type TypedArray, allocArray, dtypeOfArray, stridesOf } from '@safekey-ts/core';
import { type EwiseVM, type Operand, collapse, inputExpr, runElementwise } from './elementwise.js';
import type { Alloc } from './pool.js';

/** Reduces `x` (shape `shape`) over `axes` (sorted, non-negative) into a new array of `dtype`. */
export function reduce(kind: 'sum' | 'max', x: TypedArray, shape: readonly number[], axes: readonly number[], dtype: DType,
  vm: EwiseVM | null = null, alloc: Alloc = allocArray, release: (a: TypedArray) => void = () => undefined): TypedArray {
  if (!vm?.reduce || x.length < vm.minElements)
    return reducePrologue(kind, inputExpr[dtypeOfArray(x)], shape, [{ data: x, offset: 0, strides: stridesOf(shape) }], axes, dtype, vm, alloc, release);
  const { acc, accSt, outSize } = accumulators(kind, shape, axes, alloc);
  const c = collapse(shape, [stridesOf(shape), accSt]);
  vm.reduce(kind === 'max', x, Int32Array.from(c.shape), Int32Array.from(c.strides[0]), Int32Array.from(c.strides[1]), acc);
  return finish(acc, dtype, outSize, alloc, release);
}

/** Float64 accumulators for reducing `shape` over `axes`, at their start value, and their strides over `shape`. */
function accumulators(kind: 'sum' | 'max', shape: readonly number[], axes: readonly number[], alloc: Alloc) {
  const kept = shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const outSize = kept.reduce((p, d) => p * d, 1);
  const acc = (alloc('float64', outSize) as Float64Array).fill(kind === 'sum' ? 0 : -Infinity);
  const keptSt = stridesOf(kept);
  return { acc, accSt: shape.map((_, d) => (axes.includes(d) ? 0 : keptSt[d])), outSize };
}

/**
 * Reduces the values of an element-wise `prologue` over `shape` (operands broadcast to it) without storing
 * them: each value is folded into its output's float64 accumulator as it is computed, in the reference's order.
 */
export function reducePrologue(kind: 'sum' | 'max', prologue: Expr, shape: readonly number[], inputs: readonly Operand[], axes: readonly number[],
  dtype: DType, vm: EwiseVM | null = null, alloc: Alloc = allocArray, release: (a: TypedArray) => void = () => undefined): TypedArray {
  const { acc, accSt, outSize } = accumulators(kind, shape, axes, alloc);
  runElementwise(prologue, shape, { data: acc, offset: 0, strides: accSt }, inputs, -1, vm, kind);
  return finish(acc, dtype, outSize, alloc, release);
}

/** The accumulators as `dtype`; a float64 accumulator that is not the result goes back through `release`. */
function finish(acc: Float64Array, dtype: DType, outSize: number, alloc: Alloc, release: (a: TypedArray) => void): TypedArray {
  if (dtype === 'float64') return acc;
  const out = alloc(dtype, outSize);
  out.set(acc);
  release(acc);
  return out;
}
