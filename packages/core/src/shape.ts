import { argError, shapeError } from './errors.js';
import type { Dim, Shape } from './shape-types.js';

export type * from './shape-types.js';

/** Names a dimension size: `const B = dim('B', 8)`; shapes built from it carry the name in their type. */
export function dim<const N extends string>(name: N, size: number): Dim<N> {
  if (!Number.isInteger(size) || size < 0) throw argError('dim', `size of dim '${name}' must be a non-negative integer, got ${size}`);
  return size as Dim<N>;
}

export const sizeOf = (s: Shape): number => s.reduce((a, b) => a * b, 1);

export function stridesOf(s: Shape): number[] {
  const st = new Array<number>(s.length);
  let acc = 1;
  for (let i = s.length - 1; i >= 0; i--) { st[i] = acc; acc *= s[i]; }
  return st;
}

export const sameShape = (a: Shape, b: Shape): boolean => a.length === b.length && a.every((d, i) => d === b[i]);

export function broadcastShapes(op: string, a: Shape, b: Shape): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) throw shapeError(op, `cannot broadcast dim ${i - n} (${x} vs ${y})`, a, b);
    out[i] = x === 1 ? y : x;
  }
  return out;
}

export function normAxis(op: string, axis: number, rank: number): number {
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) throw argError(op, `axis ${axis} out of range for rank ${rank}`);
  return axis < 0 ? axis + rank : axis;
}

export function normAxes(op: string, axes: number | readonly number[] | undefined, rank: number): number[] {
  if (axes === undefined) return Array.from({ length: rank }, (_, i) => i);
  const list = (typeof axes === 'number' ? [axes] : [...axes]).map((a) => normAxis(op, a, rank));
  if (new Set(list).size !== list.length) throw argError(op, `repeated axis in [${list.join(', ')}]`);
  return list.sort((x, y) => x - y);
}

export function checkDims(op: string, shape: Shape): void {
  for (const d of shape) if (!Number.isInteger(d) || d < 0) throw argError(op, `shape [${shape.join(', ')}] has a dim that is not a non-negative integer`);
}
