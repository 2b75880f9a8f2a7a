import { type Shape, type Tensor, reshape, sameShape, sum } from '@safekey-ts/core';

/**
 * Sums a cotangent of a broadcast result back to the shape of the input that was broadcast:
 * over the leading dims the input lacked and over the dims where it had size 1.
 */
export function unbroadcast(g: Tensor, shape: Shape): Tensor {
  if (sameShape(g.shape, shape)) return g;
  const lead = g.rank - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < g.rank; i++) if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) axes.push(i);
  const summed = axes.length > 0 ? sum(g, axes, true) : g;
  return reshape(summed, shape);
}
