import type { DType } from '../dtype.js';
import { add, div, exp, mul, neg, tanh, maximum } from '../ops/elementwise.js';
import type { Shape } from '../shape.js';
import type { Tensor } from '../tensor.js';

export function sigmoid<S extends Shape, D extends DType>(x: Tensor<S, D>): Tensor<S, D> {
  const t: Tensor = x;
  return div(1, add(exp(neg(t)), 1)) as Tensor<S, D>;
}

/** SiLU (swish): `x * sigmoid(x)`, the gate of Llama's SwiGLU. */
export function silu<S extends Shape, D extends DType>(x: Tensor<S, D>): Tensor<S, D> {
  const t: Tensor = x;
  return mul(t, sigmoid(t)) as Tensor<S, D>;
}

/** GELU, tanh approximation (GPT-2, PyTorch `approximate='tanh'`). */
export function gelu<S extends Shape, D extends DType>(x: Tensor<S, D>): Tensor<S, D> {
  const t: Tensor = x;
  const inner = mul(add(t, mul(mul(mul(t, t), t), 0.044715)), Math.sqrt(2 / Math.PI));
  return mul(mul(t, 0.5), add(tanh(inner), 1)) as Tensor<S, D>;
}

export function relu<S extends Shape, D extends DType>(x: Tensor<S, D>): Tensor<S, D> {
  return maximum(x, 0);
}
