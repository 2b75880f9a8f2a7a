import type { DType, FloatCheck, Known, SameDType } from '../dtype.js';
import type { Check, MatmulShape, Result, Shape } from '../shape.js';
import { Tensor } from '../tensor.js';
import { bind } from '../bind.js';

export interface MatmulOptions { readonly transA?: boolean; readonly transB?: boolean }

/**
 * Batched matrix product `op(a) @ op(b)` over the last two dims, batch dims broadcast;
 * `op` transposes the last two dims when `transA` / `transB` is set. Both operands need rank >= 2 and the same
 * float dtype.
 */
export function matmul<A extends Shape, B extends Shape, D extends DType, DB extends DType, const O extends MatmulOptions = {}>(
  a: Tensor<A, D> & FloatCheck<'matmul', D>, b: Tensor<B, DB> & SameDType<'matmul', D, DB> & Check<MatmulShape<A, B, O>>, opts?: O):
  Tensor<Result<MatmulShape<A, B, O>>, Known<D, DB>> {
  return bind('matmul', [a, b], { transA: opts?.transA ?? false, transB: opts?.transB ?? false }) as Tensor<Result<MatmulShape<A, B, O>>, Known<D, DB>>;
}
