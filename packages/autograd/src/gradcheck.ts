import { type Tensor, TensorError, fromArray, mul, random, sum } from '@safekey-ts/core';
import { noGrad } from './control.js';
import { vjp } from './vjp.js';

export interface GradcheckResult {
  /**
   * Per input: max |analytic - numeric| over its elements, divided by the largest |gradient| entry of that
   * input, or by 1 when every entry is below 1 (an absolute error for small gradients).
   */
  readonly errors: number[];
  readonly analytic: Float64Array[];
  readonly numeric: Float64Array[];
}

/**
 * Compares the reverse-mode gradient of `f` with central finite differences, in float64. A non-scalar output
 * is projected on a fixed random cotangent first. Inputs must be float64 tensors.
 */
export function gradcheck(f: (...xs: Tensor[]) => Tensor, inputs: readonly Tensor[], opts: { eps?: number; seed?: number } = {}): GradcheckResult {
  const eps = opts.eps ?? 1e-5;
  inputs.forEach((x, i) => {
    if (x.dtype !== 'float64') throw new TensorError({ kind: 'DTypeMismatch', op: 'gradcheck', message: `input ${i} is ${x.dtype}; gradcheck needs float64 inputs` });
  });
  const [out, pullback] = vjp((...xs: Tensor[]) => f(...xs), ...inputs);
  const ct = random.normal(random.key(opts.seed ?? 0), out.shape, { dtype: 'float64' });
  const analytic = (pullback(ct) as Tensor[]).map((g) => Float64Array.from(g.dataSync()));
  const project = (xs: Tensor[]) => sum(mul(f(...xs), ct)).item();
  const numeric = noGrad(() => inputs.map((x, i) => {
    const base = Float64Array.from(x.dataSync());
    return base.map((v, j) => {
      const at = (d: number) => {
        const moved = base.slice();
        moved[j] = v + d;
        const xs = [...inputs];
        xs[i] = fromArray(moved, x.shape, 'float64');
        return project(xs);
      };
      return (at(eps) - at(-eps)) / (2 * eps);
    });
  }));
  const errors = analytic.map((a, i) => {
    const n = numeric[i];
    let diff = 0, scale = 1;
    a.forEach((v, j) => { diff = Math.max(diff, Math.abs(v - n[j])); scale = Math.max(scale, Math.abs(v), Math.abs(n[j])); });
    return diff / scale;
  });
  return { errors, analytic, numeric };
}
