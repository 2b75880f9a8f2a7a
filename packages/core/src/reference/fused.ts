import { type TypedArray, allocArray, roundTo } from '../dtype.js';
import { type Expr, type FusedKernel, headDtype, inputView, splitPrologue } from '../kernel.js';
import { sizeOf } from '../shape.js';
import { type In, readAt, viewOffsets } from './indexing.js';
import { kernels } from './kernels.js';
import { elementwiseOp } from '../ir/ops.js';
import { checkGatherIndices } from '../ir/gather.js';

type Eval = (i: number) => number;

/** Input `j` of `k` as its view sees it, stored contiguously (as stored when it has no view). */
function operand(k: FusedKernel, j: number, x: In): In {
  const v = k.views?.[j];
  if (!v) return x;
  const off = viewOffsets(v, v.shape), data = allocArray(x.info.dtype, off.length), at = readAt(x.data, off, v.fill);
  for (let i = 0; i < off.length; i++) data[i] = at(i);
  return { data, info: { shape: v.shape, dtype: x.info.dtype } };
}

/** Interprets a fused kernel, rounding every node to its dtype: bit-identical to running the ops one by one. */
export function runFusedReference(k: FusedKernel, inputs: readonly In[]): TypedArray {
  checkGatherIndices(k, (j) => inputs[j].data);
  const split = splitPrologue(k);
  if (split) return runFusedReference(split.rest, [...inputs, { data: runFusedReference(split.prologue, inputs), info: split.prologue.out }]);
  const n = sizeOf(k.out.shape);
  const h = k.head as (typeof k.head & { inputs: readonly number[] }) | undefined;
  const head = h ? (kernels[h.prim] as (i: readonly In[], p: unknown, o: unknown) => TypedArray)(
    h.inputs.map((j) => operand(k, j, inputs[j])), h.params, { shape: k.out.shape, dtype: headDtype(k.expr) ?? k.out.dtype }) : null;
  const compile = (e: Expr): Eval => {
    const r = (v: number) => roundTo(e.dtype, v);
    switch (e.op) {
      case 'input': {
        const v = inputView(k, e.index);
        return readAt(inputs[e.index].data, viewOffsets(v, k.out.shape), v.fill);
      }
      case 'const': { const v = roundTo(e.dtype, e.value); return () => v; }
      case 'head': return (i) => head![i];
      case 'inBounds': { const off = viewOffsets(inputView(k, e.index), k.out.shape); return (i) => +(off[i] >= 0); }
      case 'iota': { const off = viewOffsets(e.view, k.out.shape); return (i) => r(off[i]); }
      case 'gather': {
        const at = viewOffsets(inputView(k, e.index), k.out.shape), idx = readAt(inputs[e.indices].data, viewOffsets(inputView(k, e.indices), k.out.shape));
        const x = inputs[e.index].data;
        return (i) => x[at[i] + idx(i) * e.step];
      }
      case 'where': { const [c, a, b] = e.args.map(compile); return (i) => (c(i) ? a(i) : b(i)); }
      case 'cast': {
        const [a] = e.args.map(compile);
        const toInt = e.dtype === 'int32' && e.args[0].dtype !== 'int32';
        return e.dtype === 'bool' ? (i) => +(a(i) !== 0) : toInt ? (i) => Math.trunc(a(i)) | 0 : (i) => r(a(i));
      }
      default: {
        const f = elementwiseOp(e.op).scalar;
        if (e.args.length === 1) { const [a] = e.args.map(compile); return (i) => r(f(a(i))); }
        const [a, b] = e.args.map(compile);
        return (i) => r(f(a(i), b(i)));
      }
    }
  };
  const f = compile(k.expr);
  const out = allocArray(k.out.dtype, n);
  for (let i = 0; i < n; i++) out[i] = f(i);
  return out;
}


