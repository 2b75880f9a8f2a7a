// reduceSum / reduceMax: the input is walked once in row-major order and each element is folded into its
// output's accumulator (a float64), which is the reference backend's order, so results are identical to it.
// Adjacent kept (or reduced) dims are merged first; the loops are compiled per (kind, input type, inner dim).
import { type DType, type Expr, type TypedArray, allocArray } from '@safekey-ts/core';
import { type Operand, collapse, contiguous, nativeMin, runElementwise } from './elementwise.js';
import type { NativeAddon } from './native.js';
import type { Alloc } from './pool.js';

type Loop = (x: TypedArray, acc: Float64Array, shape: Int32Array, xSt: Int32Array, oSt: Int32Array, rank: number) => void;
const cache = new Map<string, Loop>();

function compile(kind: 'sum' | 'max', innerReduced: boolean): Loop {
  const fold = (acc: string, v: string) => (kind === 'sum' ? `${acc} + ${v}` : `(${v} > ${acc} || ${v} !== ${v} ? ${v} : ${acc})`);
  const innerLoop = innerReduced
    ? `let s = acc[o];
       for (let j = 0; j < n; j++) { const v = x[a + j]; s = ${fold('s', 'v')}; }
       acc[o] = s;`
    : `for (let j = 0; j < n; j++) { const v = x[a + j], s = acc[o + j]; acc[o + j] = ${fold('s', 'v')}; }`;
  return new Function('x', 'acc', 'shape', 'xSt', 'oSt', 'rank', `
    const n = shape[rank - 1];
    let rows = 1;
    for (let d = 0; d < rank - 1; d++) rows *= shape[d];
    const idx = new Int32Array(rank);
    let a = 0, o = 0;
    for (let r = 0; r < rows; r++) {
      ${innerLoop}
      for (let d = rank - 2; d >= 0; d--) {
        a += xSt[d]; o += oSt[d];
        if (++idx[d] < shape[d]) break;
        a -= xSt[d] * shape[d]; o -= oSt[d] * shape[d];
        idx[d] = 0;
      }
    }`) as Loop;
}

/** Reduces `x` (shape `shape`) over `axes` (sorted, non-negative) into a new array of `dtype`. */
export function reduce(kind: 'sum' | 'max', x: TypedArray, shape: readonly number[], axes: readonly number[], dtype: DType,
  native: NativeAddon | null = null, alloc: Alloc = allocArray, release: (a: TypedArray) => void = () => undefined): TypedArray {
  const reduced = shape.map((_, d) => axes.includes(d));
  const kept = shape.map((d, i) => (reduced[i] ? 1 : d));
  const outSize = kept.reduce((p, d) => p * d, 1);
  const acc = (alloc('float64', outSize) as Float64Array).fill(kind === 'sum' ? 0 : -Infinity);
  if (x.length > 0) {
    const keptSt = contiguous(kept);
    const oSt = shape.map((_, d) => (reduced[d] ? 0 : keptSt[d]));
    const c = collapse(shape, [contiguous(shape), oSt]);
    const rank = c.shape.length;
    if (native && x.length >= nativeMin()) {
      native.reduce(kind === 'max', x, Int32Array.from(c.shape), Int32Array.from(c.strides[0]), Int32Array.from(c.strides[1]), acc);
      return finish(acc, dtype, outSize, alloc, release);
    }
    const innerReduced = c.strides[1][rank - 1] === 0;
    const key = `${kind}|${innerReduced}|${x.constructor.name}`;
    let f = cache.get(key);
    if (!f) { f = compile(kind, innerReduced); cache.set(key, f); }
    f(x, acc, Int32Array.from(c.shape), Int32Array.from(c.strides[0]), Int32Array.from(c.strides[1]), rank);
  }
  return finish(acc, dtype, outSize, alloc, release);
}

/**
 * Reduces the values of an element-wise `prologue` over `shape` (operands broadcast to it) without storing
 * them: each value is folded into its output's float64 accumulator as it is computed, in the reference's order.
 */
export function reducePrologue(kind: 'sum' | 'max', prologue: Expr, shape: readonly number[], inputs: readonly Operand[], axes: readonly number[],
  dtype: DType, native: NativeAddon | null = null, alloc: Alloc = allocArray, release: (a: TypedArray) => void = () => undefined): TypedArray {
  const kept = shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const outSize = kept.reduce((p, d) => p * d, 1);
  const acc = (alloc('float64', outSize) as Float64Array).fill(kind === 'sum' ? 0 : -Infinity);
  const keptSt = contiguous(kept);
  const accSt = shape.map((_, d) => (axes.includes(d) ? 0 : keptSt[d]));
  runElementwise(prologue, shape, { data: acc, offset: 0, strides: accSt }, inputs, -1, native, kind);
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
