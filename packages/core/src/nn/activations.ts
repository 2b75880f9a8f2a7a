import type { DType, FloatCheck } from '../dtype.js';
import { add, le, maximum, minimum, mul, sigmoid, tanh, where } from '../ops/elementwise.js';
import type { Shape } from '../shape.js';
import type { Tensor } from '../tensor.js';

/** SiLU (swish): `x * sigmoid(x)`, the gate of Llama's SwiGLU. */
export function silu<S extends Shape, D extends DType>(x: Tensor<S, D> & FloatCheck<'silu', D>): Tensor<S, D> {
  const t: Tensor = x;
  return mul(t, sigmoid(t)) as Tensor<S, D>;
}

// Past |x| = 10 the tanh of GELU's inner polynomial is exactly +-1 in float64 (and float32); clamping x inside
// the polynomial there changes no value, and keeps x^3 from overflowing into a NaN gradient (0 * Inf).
const GELU_CLAMP = 10;

/** GELU, tanh approximation (GPT-2, PyTorch `approximate='tanh'`); finite gradient at every finite x. */
export function gelu<S extends Shape, D extends DType>(x: Tensor<S, D> & FloatCheck<'gelu', D>): Tensor<S, D> {
  const t: Tensor = x;
  const c = minimum(maximum(t, -GELU_CLAMP), GELU_CLAMP);
  const inner = mul(add(c, mul(mul(mul(c, c), c), 0.044715)), Math.sqrt(2 / Math.PI));
  return mul(mul(t, 0.5), add(tanh(inner), 1)) as Tensor<S, D>;
}

/** `max(x, 0)`, with gradient 0 at x = 0 as PyTorch and JAX give it (`maximum(x, 0)` splits a tie: 0.5); NaN stays NaN. */
export function relu<S extends Shape, D extends DType>(x: Tensor<S, D>): Tensor<S, D> {
  const t: Tensor = x;
  return where(le(t, 0), 0, t) as Tensor<S, D>;
}
