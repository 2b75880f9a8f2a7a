import { type DType, type FloatCheck, type NumberCheck, promote } from '../dtype.js';
import { dtypeError } from '../errors.js';
import type { PrimParams } from '../primitives.js';
import type { Broadcast, Broadcast3, Check, Result, Shape } from '../shape.js';
import { Tensor } from '../tensor.js';
import { bind, fromData } from '../bind.js';
import { scalar } from '../creation.js';

export type Promote<A extends DType, B extends DType> =
  DType extends A ? DType : DType extends B ? DType
  : 'float64' extends A | B ? 'float64' : 'float32' extends A | B ? 'float32' : 'int32' extends A | B ? 'int32' : A;

type FloatUnary<Op extends string> = <S extends Shape, D extends DType>(x: Tensor<S, D> & FloatCheck<Op, D>) => Tensor<S, D>;
type Unary = <S extends Shape, D extends DType>(x: Tensor<S, D>) => Tensor<S, D>;

/** An operand of an element-wise op: a tensor, or a JS number (a scalar that takes the other side's dtype). */
export type Operand = Tensor | number;
// Written as `X extends number` (definitely false for any tensor type) and `infer`, so that they resolve for a
// generic `Tensor<S, D>` too: `mul(x, 2)` inside a generic function is `Tensor<S, D>`.
type ShapeOf<X> = X extends number ? [] : X extends { readonly shape: infer S extends Shape } ? S : never;
type DTypeOf<X> = X extends { readonly dtype: infer D extends DType } ? D : never;
/** The dtype of `a op b` before a comparison's bool: promoted for two tensors, the tensor's next to a number. */
type PairDType<A, B> = A extends number ? (B extends number ? 'float32' : DTypeOf<B>) : B extends number ? DTypeOf<A> : Promote<DTypeOf<A>, DTypeOf<B>>;
type PairShape<A, B> = A extends number ? (B extends number ? [] : ShapeOf<B>) : B extends number ? ShapeOf<A> : Result<Broadcast<ShapeOf<A>, ShapeOf<B>>>;
type PairCheck<Op extends string, A, B> = A extends number ? (B extends number ? unknown : NumberCheck<Op, DTypeOf<B>, A>)
  : B extends number ? NumberCheck<Op, DTypeOf<A>, B> : Check<Broadcast<ShapeOf<A>, ShapeOf<B>, Op>>;

/**
 * An element-wise op on two operands with NumPy broadcasting. A JS number takes the tensor's dtype (a fractional
 * literal next to an int32 tensor is a compile error, and any number int32 cannot hold a run-time one). `F`
 * marks float-only ops. One signature (no overloads), so that a mismatch is reported as one.
 */
export type BinaryOp<Op extends string, Out extends DType | 'promote' = 'promote', F extends boolean = false> =
  <const A extends Operand, const B extends Operand>(a: A, b: B & PairCheck<Op, A, B> & (F extends true ? FloatCheck<Op, PairDType<A, B>> : unknown)) =>
    Tensor<PairShape<A, B>, Out extends DType ? Out : PairDType<A, B>>;

type BinaryPrim = 'add' | 'sub' | 'mul' | 'div' | 'pow' | 'maximum' | 'minimum' | 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge';

/**
 * The tensor a JS number becomes next to a tensor of dtype `d`: the same dtype, as JAX's weak types do for a
 * Python int. A JS number does not say whether it is an int or a float, so JAX's promotion of an int tensor by
 * a Python float would make the dtype depend on the value (`mul(x, lr)` int32 at lr = 1, float32 at 0.5): a
 * number an int32 tensor cannot hold is an error instead, and so is any number next to a bool tensor.
 */
function weakScalar(op: string, v: number, d: DType): Tensor {
  if (d === 'bool') throw dtypeError(op, `a bool tensor next to the number ${v} (cast the tensor first)`);
  if (d === 'int32' && !(Number.isInteger(v) && v >= -2147483648 && v <= 2147483647))
    throw dtypeError(op, `an int32 tensor next to the number ${v}, which int32 cannot hold (cast the tensor to a float dtype first)`);
  return scalar(v, d);
}

/** Brings two operands to tensors of one dtype (numbers take the tensor's dtype, tensors promote). */
export function operands(op: string, a: Tensor | number, b: Tensor | number): [Tensor, Tensor] {
  if (typeof a === 'number' && typeof b === 'number') return [scalar(a), scalar(b)];
  if (typeof a === 'number') { const tb = b as Tensor; return [weakScalar(op, a, tb.dtype), tb]; }
  if (typeof b === 'number') return [a, weakScalar(op, b, a.dtype)];
  if (a.dtype === b.dtype) return [a, b];
  const d = promote(a.dtype, b.dtype);
  return [cast(a, d), cast(b, d)];
}

const binary = <Op extends BinaryPrim, O extends DType | 'promote', F extends boolean = false>(prim: Op): BinaryOp<Op, O, F> =>
  ((a: Tensor | number, b: Tensor | number) => bind(prim, operands(prim, a, b), {})) as unknown as BinaryOp<Op, O, F>;
type FloatPrim = keyof PrimParams & ('exp' | 'log' | 'sqrt' | 'rsqrt' | 'sin' | 'cos' | 'tanh' | 'sigmoid' | 'reciprocal');
const floatUnary = <P extends FloatPrim>(prim: P): FloatUnary<P> => ((x: Tensor) => bind(prim, [x], {})) as unknown as FloatUnary<P>;
const numericUnary = (prim: 'neg' | 'abs' | 'sign'): Unary => ((x: Tensor) => bind(prim, [x], {})) as Unary;

export const exp = floatUnary('exp');
export const log = floatUnary('log');
export const sqrt = floatUnary('sqrt');
export const rsqrt = floatUnary('rsqrt');
export const sin = floatUnary('sin');
export const cos = floatUnary('cos');
export const tanh = floatUnary('tanh');
/** The logistic function `1 / (1 + exp(-x))`, finite with a finite gradient at every finite x. */
export const sigmoid = floatUnary('sigmoid');
export const reciprocal = floatUnary('reciprocal');
export const neg = numericUnary('neg');
export const abs = numericUnary('abs');
export const sign = numericUnary('sign');

export const add = binary<'add', 'promote'>('add');
export const sub = binary<'sub', 'promote'>('sub');
export const mul = binary<'mul', 'promote'>('mul');
export const div = binary<'div', 'promote', true>('div');
export const pow = binary<'pow', 'promote', true>('pow');
export const maximum = binary<'maximum', 'promote'>('maximum');
export const minimum = binary<'minimum', 'promote'>('minimum');
export const eq = binary<'eq', 'bool'>('eq');
export const ne = binary<'ne', 'bool'>('ne');
export const lt = binary<'lt', 'bool'>('lt');
export const le = binary<'le', 'bool'>('le');
export const gt = binary<'gt', 'bool'>('gt');
export const ge = binary<'ge', 'bool'>('ge');

export function square<S extends Shape, D extends DType>(x: Tensor<S, D>): Tensor<S, D> {
  const t: Tensor = x;
  return mul(t, t) as Tensor<S, D>;
}

type Bool<S extends Shape> = Tensor<S, 'bool'>;
type WhereCheck<C extends Shape, A, B> = Check<Broadcast3<C, ShapeOf<A>, ShapeOf<B>>>
  & (A extends number ? (B extends number ? unknown : NumberCheck<'where', DTypeOf<B>, A>) : B extends number ? NumberCheck<'where', DTypeOf<A>, B> : unknown);
/** Element-wise select with broadcasting: `cond ? a : b`; a JS number takes the other branch's dtype. */
export function where<C extends Shape, const A extends Operand, const B extends Operand>(cond: Bool<C>, a: A, b: B & WhereCheck<C, A, B>):
  Tensor<Result<Broadcast3<C, ShapeOf<A>, ShapeOf<B>>>, PairDType<A, B>> {
  const [ta, tb] = operands('where', a, b);
  return bind('where', [cond, ta, tb], {}) as Tensor<Result<Broadcast3<C, ShapeOf<A>, ShapeOf<B>>>, PairDType<A, B>>;
}

export function cast<S extends Shape, D extends DType>(x: Tensor<S>, dtype: D): Tensor<S, D> {
  return (x.dtype === dtype ? x : bind('cast', [x], { dtype })) as Tensor<S, D>;
}

const boolScalar = (v: boolean) => fromData(Uint8Array.of(+v), [], 'bool');
export const logicalAnd = <A extends Shape, B extends Shape>(a: Bool<A>, b: Bool<B> & Check<Broadcast<A, B>>): Bool<Result<Broadcast<A, B>>> =>
  where(a as Bool<Shape>, b as Bool<Shape>, boolScalar(false)) as unknown as Bool<Result<Broadcast<A, B>>>;
export const logicalNot = <S extends Shape>(a: Bool<S>): Bool<S> => where(a as Bool<Shape>, boolScalar(false), boolScalar(true)) as unknown as Bool<S>;
