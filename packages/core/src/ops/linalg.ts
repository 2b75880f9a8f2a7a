import type { DType } from '../dtype.js';
import type { Check, MatmulShape, Result, Shape } from '../shape.js';
import { Tensor } from '../tensor.js';
import { bind } from '../bind.js';

export interface MatmulOptions { readonly transA?: boolean; readonly transB?: boolean }

/**
 * Batched matrix product `op(a) @ op(b)` over the last two dims, batch dims broadcast;
 * `op` transposes the last two dims when `transA` / `transB` is set. Both operands need rank >= 2.
 */
export function matmul<A extends Shape, B extends Shape, D extends DType, const O extends MatmulOptions = {}>(
  a: Tensor<A, D>, b: Tensor<B, D> & Check<MatmulShape<A, B, O>>, opts?: O): Tensor<Result<MatmulShape<A, B, O>>, D> {
  return bind('matmul', [a, b], { transA: opts?.transA ?? false, transB: opts?.transB ?? false }) as Tensor<Result<MatmulShape<A, B, O>>, D>;
}
