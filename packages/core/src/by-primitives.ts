// The composite primitives (attention, its gradient, rope) as the plain primitives they are made of, for
// backends without a kernel of their own (gpu.js, the cpu backend's WebAssembly and JS paths): run on the
// backend's own handles, every intermediate freed before returning.
import type { Backend, BackendInput, DataHandle } from './backend.js';
import type { DType } from './dtype.js';
import { MASK_FILL, type PrimParams, type Primitive, primitives } from './primitives.js';
import { sizeOf } from './shape.js';

type Runner = Pick<Backend, 'run' | 'upload' | 'free'>;
type Val = BackendInput;
type Op = <P extends Primitive>(prim: P, inputs: readonly Val[], params: PrimParams[P]) => Val;
type Scalar = (v: number, dtype: DType) => Val;

/** Runs `f` with helpers that apply primitives on `b`; every intermediate is freed at the end (not the result). */
function scoped(b: Runner, f: (op: Op, scalar: Scalar) => Val): DataHandle {
  const temps: DataHandle[] = [];
  let result: Val | undefined;
  const keep = (v: Val) => { temps.push(v.handle); return v; };
  try {
    result = f((prim, inputs, params) => {
      const info = primitives[prim].infer(inputs.map((i) => i.info), params as never);
      return keep({ handle: b.run(prim, inputs, params, info), info });
    }, (v, dtype) => keep({ handle: b.upload(dtype === 'float64' ? Float64Array.of(v) : Float32Array.of(v), { shape: [], dtype }), info: { shape: [], dtype } }));
    return result.handle;
  } finally {
    for (const t of temps) if (t !== result?.handle) b.free(t);
  }
}

/** The attention weights: softmax over the last axis of where(allowed, scale * q k^T, MASK_FILL). */
function weights(op: Op, scalar: Scalar, q: Val, k: Val, allowed: Val, scale: number): Val {
  const last = q.info.shape.length - 1, dt = q.info.dtype;
  const scores = op('where', [allowed, op('mul', [op('matmul', [q, k], { transA: false, transB: true }), scalar(scale, dt)], {}), scalar(MASK_FILL, dt)], {});
  const e = op('exp', [op('sub', [scores, op('reduceMax', [scores], { axes: [last], keepdims: true })], {})], {});
  return op('div', [e, op('reduceSum', [e], { axes: [last], keepdims: true })], {});
}

/** Sums `x` over the leading dims that `shape` broadcasts, and gives it `shape`. */
function unbroadcast(op: Op, x: Val, shape: readonly number[]): Val {
  const lead = x.info.shape.length - shape.length;
  const axes = x.info.shape.flatMap((d, i) => (i < lead || (shape[i - lead] === 1 && d !== 1) ? [i] : []));
  const summed = axes.length ? op('reduceSum', [x], { axes, keepdims: false }) : x;
  return op('reshape', [summed], { shape });
}

/** `[...b, T, kh * rep, d]` -> `[...b, kh, rep, T, d]`, the layout where one matmul per head does the work. */
function toHeads(op: Op, x: Val, kh: number, rep: number): Val {
  const sh = x.info.shape, r = sh.length - 3;
  const split = op('reshape', [x], { shape: [...sh.slice(0, r), sh[r], kh, rep, sh[r + 2]] });
  return op('permute', [split], { perm: [...Array(r).keys(), r + 1, r + 2, r, r + 3] });
}

/** The inverse of `toHeads`, to `shape`. */
function fromHeads(op: Op, x: Val, shape: readonly number[]): Val {
  const r = x.info.shape.length - 4;
  return op('reshape', [op('permute', [x], { perm: [...Array(r).keys(), r + 2, r, r + 1, r + 3] })], { shape });
}

/** q, k, v and the mask in the per-head layout. */
function heads(op: Op, [q, k, v, allowed]: readonly Val[]): Val[] {
  const n = q.info.shape.at(-2)!, kh = k.info.shape.at(-2)!, rep = n / kh;
  const ms = [...new Array<number>(Math.max(0, q.info.shape.length - allowed.info.shape.length)).fill(1), ...allowed.info.shape];
  const mh = ms.at(-3)! === 1 ? [1, 1] : [kh, rep];
  const mask = op('reshape', [allowed], { shape: [...ms.slice(0, -3), ...mh, ...ms.slice(-2)] });
  return [toHeads(op, q, kh, rep), toHeads(op, k, kh, 1), toHeads(op, v, kh, 1), mask];
}

export function attentionByPrimitives(b: Runner, inputs: readonly Val[], { scale }: PrimParams['attention']): DataHandle {
  return scoped(b, (op, scalar) => {
    const [q, k, v, allowed] = heads(op, inputs);
    const out = op('matmul', [weights(op, scalar, q, k, allowed, scale), v], { transA: false, transB: false });
    const [q0, , v0] = inputs;
    return fromHeads(op, out, [...q0.info.shape.slice(0, -1), v0.info.shape.at(-1)!]);
  });
}

export function attentionGradByPrimitives(b: Runner, inputs: readonly Val[], { scale }: PrimParams['attentionGrad']): DataHandle {
  return scoped(b, (op, scalar) => {
    const [q, k, v, allowed] = heads(op, inputs);
    const [q0, k0, v0, , g0] = inputs;
    const g = toHeads(op, g0, k0.info.shape.at(-2)!, q0.info.shape.at(-2)! / k0.info.shape.at(-2)!);
    const last = q.info.shape.length - 1, dt = q.info.dtype;
    const p = weights(op, scalar, q, k, allowed, scale);
    const dv = unbroadcast(op, op('matmul', [p, g], { transA: true, transB: false }), v.info.shape);
    const dp = op('matmul', [g, v], { transA: false, transB: true });
    const centered = op('sub', [dp, op('reduceSum', [op('mul', [p, dp], {})], { axes: [last], keepdims: true })], {});
    const ds = op('mul', [op('where', [allowed, op('mul', [p, centered], {}), scalar(0, dt)], {}), scalar(scale, dt)], {});
    const dq = op('matmul', [ds, k], { transA: false, transB: false });
    const dk = unbroadcast(op, op('matmul', [ds, q], { transA: true, transB: false }), k.info.shape);
    const flat = (x: Val, shape: readonly number[]) => op('reshape', [fromHeads(op, x, shape)], { shape: [sizeOf(shape)] });
    return op('concat', [flat(dq, q0.info.shape), flat(dk, k0.info.shape), flat(dv, v0.info.shape)], { axis: 0 });
  });
}

/** x * cos + concat(-x[..., h:], x[..., :h]) * sin. */
export function ropeByPrimitives(b: Runner, [x, c, s]: readonly Val[]): DataHandle {
  return scoped(b, (op) => {
    const shape = x.info.shape, last = shape.length - 1, h = shape[last] / 2;
    const half = (from: number) => op('slice', [x], { starts: shape.map((_, i) => (i === last ? from : 0)), ends: shape.map((d, i) => (i === last ? from + h : d)) });
    const rotated = op('concat', [op('neg', [half(h)], {}), half(0)], { axis: last });
    return op('add', [op('mul', [x, c], {}), op('mul', [rotated, s], {})], {});
  });
}
