import type { DType } from '../dtype.js';
import { add, mul, rsqrt, sub } from '../ops/elementwise.js';
import { mean } from '../ops/reduce.js';
import type { Shape } from '../shape.js';
import type { Tensor } from '../tensor.js';

/** RMSNorm over the last dim: `x / sqrt(mean(x^2) + eps) * weight` (Llama). */
export function rmsNorm<S extends Shape, D extends DType>(x: Tensor<S, D>, weight: Tensor<Shape, D>, eps = 1e-5): Tensor<S, D> {
  const t: Tensor = x;
  const ms = mean(mul(t, t), -1, true);
  return mul(mul(t, rsqrt(add(ms, eps))), weight) as Tensor<S, D>;
}

/** LayerNorm over the last dim: `(x - mean) / sqrt(var + eps) * weight + bias` (biased variance). */
export function layerNorm<S extends Shape, D extends DType>(x: Tensor<S, D>, weight: Tensor<Shape, D>, bias: Tensor<Shape, D>, eps = 1e-5): Tensor<S, D> {
  const t: Tensor = x;
  const centered = sub(t, mean(t, -1, true));
  const variance = mean(mul(centered, centered), -1, true);
  return add(mul(mul(centered, rsqrt(add(variance, eps))), weight), bias) as Tensor<S, D>;
}
