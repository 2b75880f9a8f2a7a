// Compile-time shape checks: checked by `npm run typecheck` (tsc -p test/tsconfig.json), never executed.
// Each `@ts-expect-error` line must fail to compile; every `Assert<Equal<...>>` must hold exactly.
import {
  type Dim, type Shape, type Tensor, add, dim, matmul, max, mul, permute, reshape, sum, tensor, transpose, where, zeros,
} from '@safekey-ts/core';

// Exact type equality (distinguishes readonly, any, unions).
type Equal<X, Y> = (<T>() => T extends X ? 1 : 2) extends (<T>() => T extends Y ? 1 : 2) ? true : false;
type Assert<T extends true> = T;
type ShapeOfT<T> = T extends Tensor<infer S, infer _D> ? S : never;
type DTypeOfT<T> = T extends Tensor<infer _S, infer D> ? D : never;

declare function use(...xs: unknown[]): void;

// ---------- literal shapes ----------
const x23 = tensor([[1, 2, 3], [4, 5, 6]]);
const w34 = zeros([3, 4]);
type _lit = Assert<Equal<ShapeOfT<typeof x23>, [2, 3]>>;
type _zeros = Assert<Equal<ShapeOfT<typeof w34>, readonly [3, 4]>>;

// matmul infers [M, N]
const y24 = matmul(x23, w34);
type _mm = Assert<Equal<ShapeOfT<typeof y24>, [2, 4]>>;
type _mmDtype = Assert<Equal<DTypeOfT<typeof y24>, 'float32'>>;

// transpose flags swap the last two dims of that operand before the contraction
const y42 = matmul(w34, x23, { transA: true, transB: true });
type _mmT = Assert<Equal<ShapeOfT<typeof y42>, [4, 2]>>;
const y22 = matmul(x23, x23, { transB: true });
type _mmTB = Assert<Equal<ShapeOfT<typeof y22>, [2, 2]>>;

// batch dims broadcast
const batched = matmul(zeros([5, 1, 2, 3]), zeros([7, 3, 4]));
type _mmBatch = Assert<Equal<ShapeOfT<typeof batched>, [5, 7, 2, 4]>>;

// a mismatched contracted dim is a compile error
// @ts-expect-error [2,3] x [4,3]: 3 vs 4
use(matmul(x23, zeros([4, 3])));
// @ts-expect-error with transB the contracted dim of [3,4] is 4, not 3
use(matmul(x23, w34, { transB: true }));
// @ts-expect-error batch dims 2 and 3 do not broadcast
use(matmul(zeros([2, 2, 3]), zeros([3, 3, 4])));

// ---------- named dims ----------
const B = dim('B', 8), T = dim('T', 16), D = dim('D', 32), V = dim('V', 100);
const h = zeros([B, T, D]);
const wOut = zeros([D, V]);
const logits = matmul(h, wOut);
type _named = Assert<Equal<ShapeOfT<typeof logits>, [Dim<'B'>, Dim<'T'>, Dim<'V'>]>>;
const scores = matmul(h, h, { transB: true });
type _attn = Assert<Equal<ShapeOfT<typeof scores>, [Dim<'B'>, Dim<'T'>, Dim<'T'>]>>;
// @ts-expect-error contracting D with T
use(matmul(h, h));
// two different named dims of the same size are still different dims
const K1 = dim('K1', 4), K2 = dim('K2', 4);
const k1k1 = matmul(zeros([2, K1]), zeros([K1, 3]));
type _sameName = Assert<Equal<ShapeOfT<typeof k1k1>, [2, 3]>>;
// @ts-expect-error K1 vs K2
use(matmul(zeros([2, K1]), zeros([K2, 3])));

// ---------- element-wise broadcasting ----------
const b23 = add(x23, tensor([10, 20, 30]));
type _bcast = Assert<Equal<ShapeOfT<typeof b23>, [2, 3]>>;
const col = add(zeros([2, 1]), zeros([1, 3]));
type _outer = Assert<Equal<ShapeOfT<typeof col>, [2, 3]>>;
const lead = mul(zeros([4, 1, 3]), x23);
type _lead = Assert<Equal<ShapeOfT<typeof lead>, [4, 2, 3]>>;
const withNumber = add(x23, 1);
type _num = Assert<Equal<ShapeOfT<typeof withNumber>, [2, 3]>>;
const namedBcast = add(h, zeros([D]));
type _namedB = Assert<Equal<ShapeOfT<typeof namedBcast>, [Dim<'B'>, Dim<'T'>, Dim<'D'>]>>;
// @ts-expect-error [2,3] + [4]
use(add(x23, zeros([4])));
// @ts-expect-error [2,3] * [3,2]
use(mul(x23, zeros([3, 2])));
// @ts-expect-error D and V do not broadcast
use(add(h, zeros([V])));

// dtypes promote
const promoted = add(tensor([1, 2], 'int32'), tensor([0.5, 1]));
type _promote = Assert<Equal<DTypeOfT<typeof promoted>, 'float32'>>;

// ---------- permute / transpose ----------
const p = permute(zeros([2, 3, 4]), [2, 0, 1]);
type _perm = Assert<Equal<ShapeOfT<typeof p>, [4, 2, 3]>>;
const pn = permute(h, [0, 2, 1]);
type _permNamed = Assert<Equal<ShapeOfT<typeof pn>, [Dim<'B'>, Dim<'D'>, Dim<'T'>]>>;
// @ts-expect-error a permutation of rank 2 for a rank-3 tensor
use(permute(zeros([2, 3, 4]), [1, 0]));
const tr = transpose(zeros([2, 3, 4]));
type _tr = Assert<Equal<ShapeOfT<typeof tr>, [2, 4, 3]>>;
const trNamed = transpose(h);
type _trNamed = Assert<Equal<ShapeOfT<typeof trNamed>, [Dim<'B'>, Dim<'D'>, Dim<'T'>]>>;
// @ts-expect-error transpose needs rank >= 2
use(transpose(zeros([3])));

// ---------- reductions ----------
const s1 = sum(zeros([2, 3, 4]), [1]);
type _sum1 = Assert<Equal<ShapeOfT<typeof s1>, [2, 4]>>;
const s1k = sum(zeros([2, 3, 4]), [1], true);
type _sum1k = Assert<Equal<ShapeOfT<typeof s1k>, [2, 1, 4]>>;
const sAll = sum(zeros([2, 3, 4]));
type _sumAll = Assert<Equal<ShapeOfT<typeof sAll>, []>>;
const sAllK = sum(zeros([2, 3]), undefined, true);
type _sumAllK = Assert<Equal<ShapeOfT<typeof sAllK>, [1, 1]>>;
const sNeg = sum(zeros([2, 3, 4]), -1);
type _sumNeg = Assert<Equal<ShapeOfT<typeof sNeg>, [2, 3]>>;
const s02 = max(zeros([2, 3, 4]), [0, 2]);
type _max02 = Assert<Equal<ShapeOfT<typeof s02>, [3]>>;
const sNamed = sum(h, [1], true);
type _sumNamed = Assert<Equal<ShapeOfT<typeof sNamed>, [Dim<'B'>, 1, Dim<'D'>]>>;

// ---------- reshape ----------
const r = reshape(x23, [3, 2]);
type _reshape = Assert<Equal<ShapeOfT<typeof r>, [3, 2]>>;
const rInfer = reshape(x23, [-1]);
type _reshapeInfer = Assert<Equal<ShapeOfT<typeof rInfer>, Shape>>;

// ---------- dynamic shapes: no literal shape, everything still type-checks ----------
declare const dyn: Tensor;
declare const dynF: Tensor<Shape, 'float32'>;
declare const dynShape: number[];
const dm = matmul(dynF, dynF, { transA: true });
type _dynMm = Assert<Equal<ShapeOfT<typeof dm>, Shape>>;
const dmLit = matmul(dynF, w34);
type _dynMmLit = Assert<Equal<ShapeOfT<typeof dmLit>, Shape>>;
const da = add(dyn, x23);
type _dynAdd = Assert<Equal<ShapeOfT<typeof da>, Shape>>;
const dp = permute(dyn, [1, 0]);
type _dynPerm = Assert<Equal<ShapeOfT<typeof dp>, Shape>>;
const dt = transpose(dyn);
type _dynTr = Assert<Equal<ShapeOfT<typeof dt>, Shape>>;
const ds = sum(dyn, [0], true);
type _dynSum = Assert<Equal<ShapeOfT<typeof ds>, Shape>>;
const dsd = sum(x23, dynShape);
type _dynAxes = Assert<Equal<ShapeOfT<typeof dsd>, Shape>>;
const dr = reshape(dyn, dynShape);
type _dynReshape = Assert<Equal<ShapeOfT<typeof dr>, Shape>>;
const dw = where(tensor([true, false], 'bool'), dyn, 0);
type _dynWhere = Assert<Equal<typeof dw, Tensor>>;

use(y24, y42, y22, batched, logits, scores, k1k1, b23, col, lead, withNumber, namedBcast, promoted, p, pn, tr, trNamed,
  s1, s1k, sAll, sAllK, sNeg, s02, sNamed, r, rInfer, dm, dmLit, da, dp, dt, ds, dsd, dr, dw);
