// Compile-time shape and dtype checks: checked by `npm run typecheck` (tsc -p test/tsconfig.json), never executed.
// Each `@ts-expect-error` line must fail to compile (an unused directive is itself an error), and
// type-errors.test.ts checks that each fails for its stated reason: the text after `=>` must appear in the error.
// Every `Assert<Equal<...>>` must hold exactly.
import {
  type DType, type Dim, type Shape, type Tensor, add, argmax, broadcastTo, concat, crossEntropy, dim, dotProductAttention, exp, expandDims,
  fromArray, gather, layerNorm, logSoftmax, logsumexp, matmul, max, maximum, mean, min, mul, narrow, pad, permute, random, relu, reshape,
  rmsNorm, scalar, sigmoid, slice, softmax, split, squeeze, sub, sum, swapAxes, tensor, transpose, where, zeros, ones, full, arange,
} from '@safekey-ts/core';

// Exact type equality (distinguishes readonly, any, unions).
type Equal<X, Y> = (<T>() => T extends X ? 1 : 2) extends (<T>() => T extends Y ? 1 : 2) ? true : false;
type Assert<T extends true> = T;
type ShapeOfT<T> = T extends Tensor<infer S, infer _D> ? S : never;
type DTypeOfT<T> = T extends Tensor<infer _S, infer D> ? D : never;

declare function use(...xs: unknown[]): void;

// ---------- creation: literal shapes, one tuple form, dtype from the argument ----------
const x23 = tensor([[1, 2, 3], [4, 5, 6]]);
const w34 = zeros([3, 4]);
type _lit = Assert<Equal<ShapeOfT<typeof x23>, [2, 3]>>;
type _zeros = Assert<Equal<ShapeOfT<typeof w34>, [3, 4]>>;
type _creators = Assert<Equal<[ShapeOfT<ReturnType<typeof ones<[2]>>>, ShapeOfT<ReturnType<typeof full<[2, 1]>>>], [[2], [2, 1]]>>;
const f64 = zeros([2], 'float64');
type _dtypeArg = Assert<Equal<DTypeOfT<typeof f64>, 'float64'>>;
type _dtypeDefault = Assert<Equal<[DTypeOfT<typeof w34>, DTypeOfT<ReturnType<typeof scalar<'float32'>>>], ['float32', 'float32']>>;
const ids = arange(4);
type _arange = Assert<Equal<DTypeOfT<typeof ids>, 'int32'>>;
const fa = fromArray(new Float64Array(6), [2, 3], 'float64');
type _fromArray = Assert<Equal<typeof fa, Tensor<[2, 3], 'float64'>>>;
const rn = random.normal(random.key(0), [2, 3]);
type _normal = Assert<Equal<typeof rn, Tensor<[2, 3], 'float32'>>>;
// the dtype never comes from the annotation: zeros([2]) is float32 whatever it is assigned to
// @ts-expect-error float32 assigned to a float64 annotation => '"float32"' is not assignable to type '"float64"'
const lies: Tensor<[2], 'float64'> = zeros([2]);
// @ts-expect-error => '"float32"' is not assignable to type '"int32"'
const lies2: Tensor<[2], 'int32'> = tensor([1, 2]);
// @ts-expect-error => '"float32"' is not assignable to type '"float64"'
const lies3: Tensor<[2, 3], 'float64'> = random.normal(random.key(0), [2, 3]);

// every op returns the same (mutable) tuple form, so results are assignable to the README's annotations
const u1: Tensor<[2, 3]> = exp(zeros([2, 3]));
const u2: Tensor<[2, 3]> = add(zeros([2, 3]), 1);
const u3: Tensor<[2, 3]> = add(zeros([2, 3]), zeros([3]));
const u4: Tensor<[2, 3]> = softmax(sigmoid(mul(2, zeros([2, 3]))));
const u5: Tensor<[3, 2]> = transpose(zeros([2, 3]));

// ---------- matmul ----------
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
// @ts-expect-error [2,3] x [4,3]: 3 vs 4 => ShapeMismatch<"matmul"
use(matmul(x23, zeros([4, 3])));
// @ts-expect-error with transB the contracted dim of [3,4] is 4, not 3 => ShapeMismatch<"matmul"
use(matmul(x23, w34, { transB: true }));
// @ts-expect-error batch dims 2 and 3 do not broadcast => ShapeMismatch<"matmul"
use(matmul(zeros([2, 2, 3]), zeros([3, 3, 4])));
// @ts-expect-error float32 x float64 => DTypeMismatch<"matmul", "float64", "float32">
use(matmul(x23, zeros([3, 4], 'float64')));
// @ts-expect-error int32 operands => DTypeMismatch<"matmul", "int32"
use(matmul(zeros([2, 3], 'int32'), zeros([3, 4], 'int32')));

// ---------- named dims ----------
const B = dim('B', 8), T = dim('T', 16), D = dim('D', 32), V = dim('V', 100);
const h = zeros([B, T, D]);
const wOut = zeros([D, V]);
const logits = matmul(h, wOut);
type _named = Assert<Equal<ShapeOfT<typeof logits>, [Dim<'B'>, Dim<'T'>, Dim<'V'>]>>;
const scores = matmul(h, h, { transB: true });
type _attn = Assert<Equal<ShapeOfT<typeof scores>, [Dim<'B'>, Dim<'T'>, Dim<'T'>]>>;
// @ts-expect-error contracting D with T => ShapeMismatch<"matmul"
use(matmul(h, h));
// two different named dims of the same size are still different dims
const K1 = dim('K1', 4), K2 = dim('K2', 4);
const k1k1 = matmul(zeros([2, K1]), zeros([K1, 3]));
type _sameName = Assert<Equal<ShapeOfT<typeof k1k1>, [2, 3]>>;
// @ts-expect-error K1 vs K2 => ShapeMismatch<"matmul"
use(matmul(zeros([2, K1]), zeros([K2, 3])));
// a named dim and a literal may be the same size (checked at run time); the literal is the result's dim
const C = dim('C', 8);
const namedLit = add(zeros([C]), zeros([8]));
type _namedLit = Assert<Equal<ShapeOfT<typeof namedLit>, [8]>>;
const namedLitMm = matmul(zeros([2, C]), zeros([8, 3]));
type _namedLitMm = Assert<Equal<ShapeOfT<typeof namedLitMm>, [2, 3]>>;
const namedOne = add(zeros([C]), zeros([1]));
type _namedOne = Assert<Equal<ShapeOfT<typeof namedOne>, [Dim<'C'>]>>;

// ---------- element-wise broadcasting and dtypes ----------
const b23 = add(x23, tensor([10, 20, 30]));
type _bcast = Assert<Equal<ShapeOfT<typeof b23>, [2, 3]>>;
const col = add(zeros([2, 1]), zeros([1, 3]));
type _outer = Assert<Equal<ShapeOfT<typeof col>, [2, 3]>>;
const lead = mul(zeros([4, 1, 3]), x23);
type _lead = Assert<Equal<ShapeOfT<typeof lead>, [4, 2, 3]>>;
const withNumber = add(x23, 1);
type _num = Assert<Equal<ShapeOfT<typeof withNumber>, [2, 3]>>;
const numberFirst = sub(1, x23);
type _numFirst = Assert<Equal<typeof numberFirst, Tensor<[2, 3], 'float32'>>>;
const namedBcast = add(h, zeros([D]));
type _namedB = Assert<Equal<ShapeOfT<typeof namedBcast>, [Dim<'B'>, Dim<'T'>, Dim<'D'>]>>;
// @ts-expect-error [2,3] + [4] => ShapeMismatch<"add", [2, 3], [4]>
use(add(x23, zeros([4])));
// @ts-expect-error [2,3] * [3,2] => ShapeMismatch<"mul", [2, 3], [3, 2]>
use(mul(x23, zeros([3, 2])));
// @ts-expect-error D and V do not broadcast => ShapeMismatch<"add"
use(add(h, zeros([V])));
// dtypes promote
const promoted = add(tensor([1, 2], 'int32'), tensor([0.5, 1]));
type _promote = Assert<Equal<DTypeOfT<typeof promoted>, 'float32'>>;
// a JS number takes the tensor's dtype; a fractional one next to an int32 tensor is an error (README, Shapes)
const intPlusInt = add(tensor([1, 2], 'int32'), 3);
type _intNum = Assert<Equal<DTypeOfT<typeof intPlusInt>, 'int32'>>;
// @ts-expect-error int32 + 0.5 => DTypeMismatch<"add", "int32", "a float tensor next to a fractional number">
use(add(tensor([1, 2, 3], 'int32'), 0.5));
// @ts-expect-error => DTypeMismatch<"mul", "int32"
use(mul(1e-3, tensor([1, 2, 3], 'int32')));
// @ts-expect-error => DTypeMismatch<"maximum", "int32"
use(maximum(tensor([1], 'int32'), 0.25));
// float-only ops
// @ts-expect-error exp of int32 => DTypeMismatch<"exp", "int32"
use(exp(tensor([1, 2], 'int32')));
// @ts-expect-error sigmoid of bool => DTypeMismatch<"sigmoid", "bool"
use(sigmoid(tensor([true], 'bool')));
// @ts-expect-error mean of int32 => DTypeMismatch<"mean", "int32"
use(mean(tensor([1, 2], 'int32')));
const reluInt = relu(tensor([1, -2], 'int32'));
type _reluInt = Assert<Equal<DTypeOfT<typeof reluInt>, 'int32'>>;

// ---------- where ----------
const cond = tensor([true, false, true], 'bool');
const w1 = where(cond, zeros([2, 3]), 0);
type _where = Assert<Equal<typeof w1, Tensor<[2, 3], 'float32'>>>;
const w2 = where(zeros([2, 1], 'bool'), zeros([3], 'float64'), zeros([2, 3], 'float64'));
type _where2 = Assert<Equal<typeof w2, Tensor<[2, 3], 'float64'>>>;
// @ts-expect-error [3] condition with a [4] branch => ShapeMismatch<"where", [3], [4]>
use(where(cond, zeros([4]), 0));
// @ts-expect-error branches [2,3] and [3,2] => ShapeMismatch<"where"
use(where(cond, zeros([2, 3]), zeros([3, 2])));
// @ts-expect-error => DTypeMismatch<"where", "int32"
use(where(cond, tensor([1, 2, 3], 'int32'), 0.5));

// ---------- reductions: literal axes, negative axes, keepdims; an invalid or repeated axis is an error ----------
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
const mn = min(zeros([2, 3]), -2);
type _min = Assert<Equal<ShapeOfT<typeof mn>, [3]>>;
const am = argmax(zeros([2, 3]));
type _argmax = Assert<Equal<typeof am, Tensor<[2], 'int32'>>>;
const lse = logsumexp(zeros([2, 3]), 0, true);
type _lse = Assert<Equal<ShapeOfT<typeof lse>, [1, 3]>>;
// @ts-expect-error axis 2 of a rank-2 tensor => ShapeMismatch<"sum", [2, 3], 2>
use(sum(zeros([2, 3]), 2));
// @ts-expect-error axis -3 of a rank-2 tensor => ShapeMismatch<"sum", [2, 3], -3>
use(sum(x23, -3));
// @ts-expect-error axis 5 => ShapeMismatch<"mean"
use(mean(x23, [0, 5]));
// @ts-expect-error axis 1 twice (as 1 and -1) => ShapeMismatch<"max"
use(max(x23, [1, -1]));
// @ts-expect-error => ShapeMismatch<"min"
use(min(x23, [0, 0]));
// @ts-expect-error => ShapeMismatch<"argmax"
use(argmax(x23, 2));
// @ts-expect-error => ShapeMismatch<"logsumexp"
use(logsumexp(x23, -3));

// ---------- softmax and friends: the axis must exist ----------
const sm = softmax(x23, 0);
type _sm = Assert<Equal<typeof sm, Tensor<[2, 3], 'float32'>>>;
// @ts-expect-error softmax over axis 4 of a rank-2 tensor => ShapeMismatch<"softmax", [2, 3], 4>
use(softmax(x23, 4));
// @ts-expect-error => ShapeMismatch<"logSoftmax"
use(logSoftmax(x23, -3));
// @ts-expect-error => ShapeMismatch<"split"
use(split(x23, [1, 1], 2));
// @ts-expect-error => ShapeMismatch<"gather"
use(gather(x23, tensor([0], 'int32'), 2));

// ---------- permute / transpose / swapAxes ----------
const p = permute(zeros([2, 3, 4]), [2, 0, 1]);
type _perm = Assert<Equal<ShapeOfT<typeof p>, [4, 2, 3]>>;
const pNeg = permute(zeros([2, 3, 4]), [-1, 0, 1]);
type _permNeg = Assert<Equal<ShapeOfT<typeof pNeg>, [4, 2, 3]>>;
const pn = permute(h, [0, 2, 1]);
type _permNamed = Assert<Equal<ShapeOfT<typeof pn>, [Dim<'B'>, Dim<'D'>, Dim<'T'>]>>;
// @ts-expect-error a permutation of rank 2 for a rank-3 tensor => ShapeMismatch<"permute"
use(permute(zeros([2, 3, 4]), [1, 0]));
// @ts-expect-error axis 0 twice, axis 2 missing => ShapeMismatch<"permute", [2, 3, 4], readonly [0, 0, 1]>
use(permute(zeros([2, 3, 4]), [0, 0, 1]));
// @ts-expect-error axis 3 of a rank-3 tensor => ShapeMismatch<"permute"
use(permute(zeros([2, 3, 4]), [0, 1, 3]));
const tr = transpose(zeros([2, 3, 4]));
type _tr = Assert<Equal<ShapeOfT<typeof tr>, [2, 4, 3]>>;
const trNamed = transpose(h);
type _trNamed = Assert<Equal<ShapeOfT<typeof trNamed>, [Dim<'B'>, Dim<'D'>, Dim<'T'>]>>;
// @ts-expect-error transpose needs rank >= 2 => ShapeMismatch<"transpose"
use(transpose(zeros([3])));
const sw = swapAxes(zeros([2, 3, 4]), 0, -1);
type _swap = Assert<Equal<ShapeOfT<typeof sw>, [4, 3, 2]>>;
// @ts-expect-error => ShapeMismatch<"swapAxes"
use(swapAxes(zeros([2, 3, 4]), 0, 3));

// ---------- reshape / broadcastTo / expandDims / squeeze ----------
const r = reshape(x23, [3, 2]);
type _reshape = Assert<Equal<ShapeOfT<typeof r>, [3, 2]>>;
const rInfer = reshape(x23, [-1]);
type _reshapeInfer = Assert<Equal<ShapeOfT<typeof rInfer>, Shape>>;
const rBig = reshape(zeros([4096, 4096, 32]), [65536, 8192]);
type _reshapeBig = Assert<Equal<ShapeOfT<typeof rBig>, [65536, 8192]>>;
const rNamed = reshape(zeros([B, 2, 3]), [B, 6]);
type _reshapeNamed = Assert<Equal<ShapeOfT<typeof rNamed>, [Dim<'B'>, 6]>>;
const rNamedOpen = reshape(zeros([B, T]), [8, 16]);
type _reshapeNamedOpen = Assert<Equal<ShapeOfT<typeof rNamedOpen>, [8, 16]>>;
// @ts-expect-error 6 elements into 8 => ShapeMismatch<"reshape", [2, 3], readonly [4, 2]>
use(reshape(x23, [4, 2]));
// @ts-expect-error B x 6 into B x 5 => ShapeMismatch<"reshape"
use(reshape(zeros([B, 2, 3]), [B, 5]));
const bt = broadcastTo(zeros([3]), [2, 3]);
type _bt = Assert<Equal<ShapeOfT<typeof bt>, [2, 3]>>;
// @ts-expect-error [3] cannot broadcast to [2, 4] => ShapeMismatch<"broadcastTo", [3], readonly [2, 4]>
use(broadcastTo(zeros([3]), [2, 4]));
// @ts-expect-error a target of lower rank => ShapeMismatch<"broadcastTo"
use(broadcastTo(zeros([2, 3]), [3]));
const ed = expandDims(zeros([2, 3]), -1);
type _ed = Assert<Equal<ShapeOfT<typeof ed>, [2, 3, 1]>>;
// @ts-expect-error => ShapeMismatch<"expandDims"
use(expandDims(zeros([2, 3]), 3));
const sq = squeeze(zeros([2, 1, 3, 1]));
type _sq = Assert<Equal<ShapeOfT<typeof sq>, [2, 3]>>;
const sq1 = squeeze(zeros([2, 1, 3, 1]), [1]);
type _sq1 = Assert<Equal<ShapeOfT<typeof sq1>, [2, 3, 1]>>;
// @ts-expect-error axis 0 has size 2 => ShapeMismatch<"squeeze"
use(squeeze(zeros([2, 1]), [0]));

// ---------- concat / slice / narrow / pad ----------
const cc = concat([zeros([2, 3]), zeros([5, 3])]);
type _concat = Assert<Equal<typeof cc, Tensor<[7, 3], 'float32'>>>;
const cc1 = concat([zeros([2, 3]), zeros([2, 1]), zeros([2, 4])], -1);
type _concat1 = Assert<Equal<ShapeOfT<typeof cc1>, [2, 8]>>;
const ccNamed = concat([zeros([B, 3]), zeros([B, 3])], 1);
type _concatNamed = Assert<Equal<ShapeOfT<typeof ccNamed>, [Dim<'B'>, 6]>>;
// @ts-expect-error dims off the axis differ (3 vs 4) => ShapeMismatch<"concat"
use(concat([zeros([2, 3]), zeros([2, 4])], 0));
// @ts-expect-error ranks differ => ShapeMismatch<"concat"
use(concat([zeros([2, 3]), zeros([3])]));
// @ts-expect-error axis 2 of rank 2 => ShapeMismatch<"concat"
use(concat([zeros([2, 3]), zeros([2, 3])], 2));
const sl = slice(zeros([4, 5, 6]), [1, -2], [3]);
type _slice = Assert<Equal<ShapeOfT<typeof sl>, [2, 2, 6]>>;
const sl2 = slice(zeros([4, 5]), [0, 1], [-1, undefined]);
type _slice2 = Assert<Equal<ShapeOfT<typeof sl2>, [3, 4]>>;
// @ts-expect-error end 5 past dim 4 => ShapeMismatch<"slice"
use(slice(zeros([4, 5]), [0, 0], [5, 5]));
// @ts-expect-error begin after end => ShapeMismatch<"slice"
use(slice(zeros([4, 5]), [3], [2]));
// @ts-expect-error -6 counts past the start of 5 => ShapeMismatch<"slice"
use(slice(zeros([4, 5]), [0, -6]));
const nw = narrow(zeros([4, 5]), 1, 2, 3);
type _narrow = Assert<Equal<ShapeOfT<typeof nw>, [4, 3]>>;
// @ts-expect-error 2 + 4 > 5 => ShapeMismatch<"narrow"
use(narrow(zeros([4, 5]), 1, 2, 4));
const pd = pad(zeros([2, 3]), [[1, 0], [2, 2]]);
type _pad = Assert<Equal<ShapeOfT<typeof pd>, [3, 7]>>;
// @ts-expect-error one pair for two axes => ShapeMismatch<"pad"
use(pad(zeros([2, 3]), [[1, 1]]));

// ---------- norms, attention, losses ----------
const normed = rmsNorm(zeros([B, T, D]), zeros([D]));
type _rms = Assert<Equal<ShapeOfT<typeof normed>, [Dim<'B'>, Dim<'T'>, Dim<'D'>]>>;
// @ts-expect-error weight [4] for x [2, 3] => ShapeMismatch<"rmsNorm"
use(rmsNorm(x23, zeros([4])));
// @ts-expect-error a float64 weight for float32 x => DTypeMismatch<"rmsNorm", "float64", "float32">
use(rmsNorm(x23, zeros([3], 'float64')));
// @ts-expect-error bias [2] for x [2, 3] => ShapeMismatch<"layerNorm"
use(layerNorm(x23, zeros([3]), zeros([2])));
const q = zeros([B, T, 4, 16]), kv = zeros([B, T, 2, 16]);
const att = dotProductAttention(q, kv, zeros([B, T, 2, 8]), zeros([T, T], 'bool'), 0.25);
type _att = Assert<Equal<ShapeOfT<typeof att>, [Dim<'B'>, Dim<'T'>, 4, 8]>>;
// @ts-expect-error head dims 16 (q) and 8 (k) => ShapeMismatch<"attention"
use(dotProductAttention(q, zeros([B, T, 2, 8]), zeros([B, T, 2, 8]), zeros([T, T], 'bool'), 0.25));
// @ts-expect-error => DTypeMismatch<"attention", "float64", "float32">
use(dotProductAttention(q, zeros([B, T, 2, 16], 'float64'), kv, zeros([T, T], 'bool'), 0.25));
const ce = crossEntropy(zeros([B, T, V]), zeros([B, T], 'int32'));
type _ce = Assert<Equal<typeof ce, Tensor<[], 'float32'>>>;
// @ts-expect-error targets [B] for logits [B, T, V] => ShapeMismatch<"crossEntropy"
use(crossEntropy(zeros([B, T, V]), zeros([B], 'int32')));

// ---------- generic code: a tensor and a number keep the tensor's type ----------
function scaled<S extends Shape, D extends DType>(x: Tensor<S, D>): Tensor<S, D> { return mul(add(x, 1), 2); }
type _generic = Assert<Equal<ReturnType<typeof scaled<[2], 'float32'>>, Tensor<[2], 'float32'>>>;

// ---------- unknown shapes and dtypes: no literal shape, everything still type-checks ----------
declare const dyn: Tensor;
declare const dynF: Tensor<Shape, 'float32'>;
declare const dynShape: number[];
declare const dynAxis: number;
const dm = matmul(dynF, dynF, { transA: true });
type _dynMm = Assert<Equal<ShapeOfT<typeof dm>, Shape>>;
const dmLit = matmul(dynF, w34);
type _dynMmLit = Assert<Equal<ShapeOfT<typeof dmLit>, Shape>>;
const dmMixed = matmul(x23, dyn);
type _dynMmMixed = Assert<Equal<typeof dmMixed, Tensor<Shape, 'float32'>>>;
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
const dsa = softmax(x23, dynAxis);
type _dynAxis = Assert<Equal<typeof dsa, Tensor<[2, 3], 'float32'>>>;
const dr = reshape(dyn, dynShape);
type _dynReshape = Assert<Equal<ShapeOfT<typeof dr>, Shape>>;
const drLit = reshape(dyn, [2, 3]);
type _dynReshapeLit = Assert<Equal<ShapeOfT<typeof drLit>, [2, 3]>>;
const dw = where(tensor([true, false], 'bool'), dyn, 0);
type _dynWhere = Assert<Equal<typeof dw, Tensor>>;
const dc = concat([dyn, x23]);
type _dynConcat = Assert<Equal<ShapeOfT<typeof dc>, [number, 3]>>;
const dx = exp(dyn);
const dnum = add(dyn, 0.5);
const dbt = broadcastTo(dyn, [2, 3]);
type _dynBt = Assert<Equal<ShapeOfT<typeof dbt>, [2, 3]>>;
const dsl = slice(dyn, [0], [1]);
type _dynSlice = Assert<Equal<ShapeOfT<typeof dsl>, Shape>>;
const drms = rmsNorm(dyn, zeros([3]));

use(lies, lies2, lies3, u1, u2, u3, u4, u5, y24, y42, y22, batched, logits, scores, k1k1, namedLit, namedLitMm, namedOne, b23, col, lead,
  withNumber, numberFirst, namedBcast, promoted, intPlusInt, reluInt, w1, w2, s1, s1k, sAll, sAllK, sNeg, s02, sNamed, mn, am, lse, sm,
  p, pNeg, pn, tr, trNamed, sw, r, rInfer, rBig, rNamed, rNamedOpen, bt, ed, sq, sq1, cc, cc1, ccNamed, sl, sl2, nw, pd, normed, att, ce,
  ids, fa, rn, f64, dm, dmLit, dmMixed, da, dp, dt, ds, dsd, dsa, dr, drLit, dw, dc, dx, dnum, dbt, dsl, drms);
