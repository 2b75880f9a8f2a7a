import { type DType, promote } from '../dtype.js';
import type { PrimParams } from '../primitives.js';
import type { Broadcast, Check, Result, Shape } from '../shape.js';
import { Tensor } from '../tensor.js';
import { bind, fromData } from '../bind.js';
import { scalar } from '../creation.js';

export type Promote<A extends DType, B extends DType> =
  DType extends A ? DType : DType extends B ? DType
  : 'float64' extends A | B ? 'float64' : 'float32' extends A | B ? 'float32' : 'int32' extends A | B ? 'int32' : A;

type Unary = <S extends Shape, D extends DType>(x: Tensor<S, D>) => Tensor<S, D>;

/** An element-wise op on two tensors with NumPy broadcasting; a JS number takes the other side's dtype. */
export interface BinaryOp<Out extends DType | 'promote' = 'promote'> {
  <A extends Shape, B extends Shape, DA extends DType, DB extends DType>(a: Tensor<A, DA>, b: Tensor<B, DB> & Check<Broadcast<A, B>>):
    Tensor<Result<Broadcast<A, B>>, Out extends DType ? Out : Promote<DA, DB>>;
  <A extends Shape, DA extends DType>(a: Tensor<A, DA>, b: number): Tensor<A, Out extends DType ? Out : DA>;
  <B extends Shape, DB extends DType>(a: number, b: Tensor<B, DB>): Tensor<B, Out extends DType ? Out : DB>;
}

type BinaryPrim = 'add' | 'sub' | 'mul' | 'div' | 'pow' | 'maximum' | 'minimum' | 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge';

/** Brings two operands to tensors of one dtype (numbers adopt the tensor's dtype). */
export function operands(a: Tensor | number, b: Tensor | number): [Tensor, Tensor] {
  if (typeof a === 'number' && typeof b === 'number') return [scalar(a), scalar(b)];
  if (typeof a === 'number') { const tb = b as Tensor; return [scalar(a, tb.dtype === 'bool' ? 'float32' : tb.dtype), tb]; }
  if (typeof b === 'number') return [a, scalar(b, a.dtype === 'bool' ? 'float32' : a.dtype)];
  if (a.dtype === b.dtype) return [a, b];
  const d = promote(a.dtype, b.dtype);
  return [cast(a, d), cast(b, d)];
}

const binary = <O extends DType | 'promote'>(prim: BinaryPrim): BinaryOp<O> =>
  ((a: Tensor | number, b: Tensor | number) => bind(prim, operands(a, b), {})) as BinaryOp<O>;
const unary = (prim: keyof PrimParams & ('exp' | 'log' | 'sqrt' | 'rsqrt' | 'sin' | 'cos' | 'tanh' | 'reciprocal' | 'neg' | 'abs' | 'sign')): Unary =>
  ((x: Tensor) => bind(prim, [x], {})) as Unary;

export const exp = unary('exp');
export const log = unary('log');
export const sqrt = unary('sqrt');
export const rsqrt = unary('rsqrt');
export const sin = unary('sin');
export const cos = unary('cos');
export const tanh = unary('tanh');
export const reciprocal = unary('reciprocal');
export const neg = unary('neg');
export const abs = unary('abs');
export const sign = unary('sign');

export const add = binary<'promote'>('add');
export const sub = binary<'promote'>('sub');
export const mul = binary<'promote'>('mul');
export const div = binary<'promote'>('div');
export const pow = binary<'promote'>('pow');
export const maximum = binary<'promote'>('maximum');
export const minimum = binary<'promote'>('minimum');
export const eq = binary<'bool'>('eq');
export const ne = binary<'bool'>('ne');
export const lt = binary<'bool'>('lt');
export const le = binary<'bool'>('le');
export const gt = binary<'bool'>('gt');
export const ge = binary<'bool'>('ge');

export function square<S extends Shape, D extends DType>(x: Tensor<S, D>): Tensor<S, D> {
  const t: Tensor = x;
  return mul(t, t) as Tensor<S, D>;
}

/** Element-wise select with broadcasting: `cond ? a : b`. */
export function where<S extends Shape>(cond: Tensor<Shape, 'bool'> | Tensor<S, 'bool'>, a: Tensor | number, b: Tensor | number): Tensor {
  const [ta, tb] = operands(a, b);
  return bind('where', [cond, ta, tb], {});
}

export function cast<S extends Shape, D extends DType>(x: Tensor<S>, dtype: D): Tensor<S, D> {
  return (x.dtype === dtype ? x : bind('cast', [x], { dtype })) as Tensor<S, D>;
}

const boolScalar = (v: boolean) => fromData(Uint8Array.of(+v), [], 'bool');
export const logicalAnd = (a: Tensor<Shape, 'bool'>, b: Tensor<Shape, 'bool'>): Tensor<Shape, 'bool'> => where(a, b, boolScalar(false)) as Tensor<Shape, 'bool'>;
export const logicalNot = (a: Tensor<Shape, 'bool'>): Tensor<Shape, 'bool'> => where(a, boolScalar(false), boolScalar(true)) as Tensor<Shape, 'bool'>;
