import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import { FlatTensorCodec, NestedArray, decodeWith, firstMessage, nestedPath } from './codec.js';
import { DTYPES, type DType, type TypedArrayOf, allocArray, bf16Bits } from './dtype.js';
import { TensorError } from './errors.js';
import { type Norm, type Shape, checkDims, sameShape, sizeOf } from './shape.js';
import { Tensor } from './tensor.js';
import { bind, fromData, getBackend } from './bind.js';
import { checkAllocation } from './memoryLimit.js';

export interface ParseOptions {
  /** Reject NaN and ±Infinity (default false for float dtypes; integer dtypes always reject them). */
  readonly finite?: boolean;
}

/** The shape of a nested array literal, e.g. `[[1, 2], [3, 4]]` -> `[2, 2]`. */
export type ShapeOf<V> = V extends number | boolean ? []
  : V extends readonly [] ? [0]
  : V extends readonly [infer H, ...unknown[]] ? [V['length'], ...ShapeOf<H>]
  : Shape;
type NestedLiteral = number | boolean | readonly NestedLiteral[];

const malformed = (op: string, message: string, path?: string) =>
  new TensorError({ kind: 'MalformedData', op, message, ...(path !== undefined ? { path } : {}) });

/** Converts checked host values to a typed array, enforcing what the dtype can hold. */
function toTyped<D extends DType>(op: string, values: ArrayLike<number | boolean>, dtype: D, finite: boolean): E.Either<TensorError, TypedArrayOf[D]> {
  const out = allocArray(dtype, values.length);
  for (let i = 0; i < values.length; i++) {
    const raw = values[i];
    const v = typeof raw === 'boolean' ? +raw : raw;
    if (dtype === 'int32' && !(Number.isInteger(v) && v >= -2147483648 && v <= 2147483647))
      return E.left(new TensorError({ kind: 'NonFinite', op, message: `value ${v} at flat index ${i} is not an int32` }));
    if (dtype === 'bool' && v !== 0 && v !== 1)
      return E.left(new TensorError({ kind: 'InvalidArgument', op, message: `value ${v} at flat index ${i} is not a bool (0, 1, true or false)` }));
    if (finite && !Number.isFinite(v))
      return E.left(new TensorError({ kind: 'NonFinite', op, message: `value ${v} at flat index ${i} is not finite` }));
    out[i] = dtype === 'bfloat16' ? bf16Bits(v) : v;
  }
  return E.right(out);
}

/** Boundary: a tensor from untrusted nested arrays (JSON, user input). Never throws. */
export function parseTensor<D extends DType = 'float32'>(value: unknown, dtype: D = 'float32' as D, opts: ParseOptions = {}): E.Either<TensorError, Tensor<Shape, NoInfer<D>>> {
  return pipe(
    NestedArray.decode(value),
    E.mapLeft((errors) => malformed('parseTensor', firstMessage(errors), nestedPath(errors))),
    E.chain(({ values, shape }) => pipe(toTyped('parseTensor', values, dtype, opts.finite ?? false), E.map((d) => fromData(d, shape, dtype)))),
  );
}

/** Boundary: a tensor from flat data plus a shape, e.g. `{ data: [1, 2, 3, 4], shape: [2, 2] }`. Never throws. */
export function parseFlat(value: unknown, opts: ParseOptions = {}): E.Either<TensorError, Tensor> {
  return pipe(
    decodeWith(FlatTensorCodec, value),
    E.mapLeft((m) => malformed('parseFlat', m)),
    E.chain(({ data, shape, dtype = 'float32' }) => {
      if (shape.some((d) => !Number.isInteger(d) || d < 0)) return E.left(malformed('parseFlat', `shape [${shape.join(', ')}] must hold non-negative integers`, 'shape'));
      if (sizeOf(shape) !== data.length) return E.left(new TensorError({ kind: 'ShapeMismatch', op: 'parseFlat', message: `data has ${data.length} values but the shape holds ${sizeOf(shape)}`, shapes: [shape] }));
      return pipe(toTyped('parseFlat', data, dtype, opts.finite ?? false), E.map((d): Tensor => fromData(d, shape, dtype)));
    }),
  );
}

/** Boundary: checks a tensor of unknown shape against the expected one and narrows its type. */
export function checkShape<const S extends Shape, D extends DType>(x: Tensor<Shape, D>, shape: S, what = 'tensor'): E.Either<TensorError, Tensor<Norm<S>, D>> {
  return sameShape(x.shape, shape)
    ? E.right(x as unknown as Tensor<Norm<S>, D>)
    : E.left(new TensorError({ kind: 'ShapeMismatch', op: 'checkShape', message: `${what} has the wrong shape`, shapes: [x.shape, shape] }));
}

const orThrow = <A>(e: E.Either<TensorError, A>): A => {
  if (E.isLeft(e)) throw e.left;
  return e.right;
};

// Creation functions take their dtype from the argument (float32 when it is left out), never from the type the
// result is assigned to: `NoInfer` keeps the return type out of the inference of D.

/** A tensor from a literal in code, e.g. `tensor([[1, 2], [3, 4]])`; its shape is in its type. Throws on bad data. */
export function tensor<const V extends NestedLiteral, D extends DType = 'float32'>(value: V, dtype?: D): Tensor<ShapeOf<V>, NoInfer<D>> {
  return orThrow(parseTensor(value, dtype ?? ('float32' as D))) as unknown as Tensor<ShapeOf<V>, D>;
}

/** A dtype from untyped code (a file, JS) that is not one of ours is an error naming the op. */
function checkDType(op: string, d: string): void {
  if (!(DTYPES as readonly string[]).includes(d)) throw new TensorError({ kind: 'DTypeMismatch', op, message: `unknown dtype '${d}' (one of ${DTYPES.join(', ')})` });
}

/** A tensor from a typed array (copied) and a shape. */
export function fromArray<const S extends Shape, D extends DType>(data: TypedArrayOf[D], shape: S, dtype: D): Tensor<Norm<S>, D> {
  checkDims('fromArray', shape);
  checkDType('fromArray', dtype);
  if (data.length !== sizeOf(shape)) throw new TensorError({ kind: 'ShapeMismatch', op: 'fromArray', message: `data has ${data.length} values but the shape holds ${sizeOf(shape)}`, shapes: [shape] });
  return fromData(data, shape, dtype) as Tensor<Norm<S>, D>;
}

export function full<const S extends Shape, D extends DType = 'float32'>(shape: S, value: number, dtype?: D): Tensor<Norm<S>, NoInfer<D>> {
  checkDims('full', shape);
  const d = dtype ?? ('float32' as D);
  checkDType('full', d);
  checkAllocation('full', shape, d, getBackend());
  return fromData(allocArray(d, sizeOf(shape)).fill(d === 'bfloat16' ? bf16Bits(value) : value) as TypedArrayOf[D], shape, d) as Tensor<Norm<S>, D>;
}
export const zeros = <const S extends Shape, D extends DType = 'float32'>(shape: S, dtype?: D): Tensor<Norm<S>, NoInfer<D>> => full(shape, 0, dtype);
export const ones = <const S extends Shape, D extends DType = 'float32'>(shape: S, dtype?: D): Tensor<Norm<S>, NoInfer<D>> => full(shape, 1, dtype);
export const scalar = <D extends DType = 'float32'>(value: number, dtype?: D): Tensor<[], NoInfer<D>> => full([], value, dtype);

/** `[0, 1, ..., n-1]` computed on the backend. */
export const arange = <D extends DType = 'int32'>(n: number, dtype?: D): Tensor<[number], NoInfer<D>> =>
  bind('iota', [], { n, dtype: dtype ?? 'int32' }) as Tensor<[number], D>;
