import { argError, shapeError } from './errors.js';

/** A shape. Literal tuples (`[3, 4]`) and named dims (`[Dim<'B'>, Dim<'T'>]`) are checked by the compiler. */
export type Shape = readonly number[];

declare const dimName: unique symbol;
/** A dimension with a name known to the type checker; at run time it is just its size. */
export type Dim<N extends string = string> = number & { readonly [dimName]: N };

/** Names a dimension size: `const B = dim('B', 8)`; shapes built from it carry the name in their type. */
export function dim<const N extends string>(name: N, size: number): Dim<N> {
  if (!Number.isInteger(size) || size < 0) throw argError('dim', `size of dim '${name}' must be a non-negative integer, got ${size}`);
  return size as Dim<N>;
}

// ---------- type level ----------

/** Compile-time description of a shape error; an argument of this type cannot be supplied. */
export interface ShapeMismatch<Op extends string, A, B> {
  readonly __shapeMismatch: Op;
  readonly left: A;
  readonly right: B;
}
/** `unknown` when R is a shape, R itself (unsatisfiable) when R is a mismatch. */
export type Check<R> = R extends ShapeMismatch<string, unknown, unknown> ? R : unknown;
export type Result<R> = R extends Shape ? R : Shape;

type IsDynamic<X> = number extends X ? true : false;
type IsTuple<S extends Shape> = number extends S['length'] ? false : true;
type DimEq<X, Y> = IsDynamic<X> extends true ? true : IsDynamic<Y> extends true ? true
  : [X] extends [Y] ? ([Y] extends [X] ? true : false) : false;

declare const bad: unique symbol;
type Bad = { readonly [bad]: true };

type BDim<X, Y> = X extends 1 ? Y : Y extends 1 ? X : IsDynamic<X> extends true ? Y : IsDynamic<Y> extends true ? X
  : DimEq<X, Y> extends true ? X : Bad;
type BroadcastRec<A extends readonly unknown[], B extends readonly unknown[]> =
  A extends readonly [...infer AI, infer AL]
    ? B extends readonly [...infer BI, infer BL] ? [...BroadcastRec<AI, BI>, BDim<AL, BL>] : A
    : B;
type HasBad<T extends readonly unknown[]> = Bad extends T[number] ? true : false;

/** The NumPy broadcast of two shapes, or a ShapeMismatch. Unknown (`number[]`) shapes give `Shape`. */
export type Broadcast<A extends Shape, B extends Shape> =
  IsTuple<A> extends false ? Shape : IsTuple<B> extends false ? Shape
  : BroadcastRec<A, B> extends infer R extends readonly unknown[]
    ? HasBad<R> extends true ? ShapeMismatch<'broadcast', A, B> : R : never;

type SwapLast<S extends Shape> = S extends readonly [...infer I, infer M, infer N] ? [...I, N, M] : S;
type Flag<O, K extends string> = O extends { readonly [P in K]: true } ? true : false;

/** Result of `matmul(a, b, opts)`: `[...batch, M, K] x [...batch, K, N] -> [...batch, M, N]`. */
export type MatmulShape<A extends Shape, B extends Shape, O = {}> =
  IsTuple<A> extends false ? Shape : IsTuple<B> extends false ? Shape
  : MatmulCore<Flag<O, 'transA'> extends true ? SwapLast<A> : A, Flag<O, 'transB'> extends true ? SwapLast<B> : B, A, B>;
type MatmulCore<A, B, A0, B0> =
  A extends readonly [...infer BA extends Shape, infer M, infer K]
    ? B extends readonly [...infer BB extends Shape, infer K2, infer N]
      ? DimEq<K, K2> extends true
        ? Broadcast<BA, BB> extends infer R extends Shape ? [...R, M, N] : ShapeMismatch<'matmul', A0, B0>
        : ShapeMismatch<'matmul', A0, B0>
      : ShapeMismatch<'matmul', A0, B0>
    : ShapeMismatch<'matmul', A0, B0>;

/** Result of `permute(x, perm)` for literal perms. */
export type Permute<S extends Shape, P extends readonly number[]> =
  IsTuple<S> extends false ? Shape : IsTuple<P> extends false ? Shape
  : P['length'] extends S['length'] ? { -readonly [I in keyof P]: S[P[I] & number] } : ShapeMismatch<'permute', S, P>;

/** Swaps the last two dims. */
export type Transpose<S extends Shape> = IsTuple<S> extends false ? Shape : S extends readonly [unknown, unknown, ...unknown[]] ? SwapLast<S> : ShapeMismatch<'transpose', S, []>;

type Tup<N extends number, Acc extends unknown[] = []> = Acc['length'] extends N ? Acc : Tup<N, [...Acc, unknown]>;
type DropLast<S extends readonly unknown[], N extends number> =
  N extends 0 ? S : S extends readonly [...infer I, unknown] ? DropLast<I, Minus1<N>> : never;
type Minus1<N extends number> = Tup<N> extends [unknown, ...infer R] ? R['length'] : 0;
/** A literal axis, negative counted from the end, as a non-negative index. */
type NormAxis<S extends Shape, A extends number> = `${A}` extends `-${infer P extends number}` ? DropLast<S, P>['length'] : A;
type NormAxes<S extends Shape, Ax extends readonly number[]> = { [I in keyof Ax]: NormAxis<S, Ax[I]> }[number];
/** Result shape of a reduction over literal axes (all axes when `Ax` is undefined). */
export type ReduceShape<S extends Shape, Ax extends readonly number[] | number | undefined, Keep extends boolean> =
  IsTuple<S> extends false ? Shape
  : Ax extends undefined ? (Keep extends true ? { -readonly [I in keyof S]: 1 } : [])
  : Ax extends number ? (number extends Ax ? Shape : ReduceIdx<S, NormAxis<S, Ax>, Keep>)
  : Ax extends readonly number[] ? (IsTuple<Ax> extends false ? Shape : ReduceIdx<S, NormAxes<S, Ax>, Keep>)
  : Shape;
// Walks S, tracking the index in a counter tuple; drops (or sets to 1) the dims whose index is in Ax.
type ReduceIdx<S extends Shape, Ax, Keep extends boolean> = ReduceWalk<S, Ax, Keep, [], []>;
type ReduceWalk<S extends readonly unknown[], Ax, Keep extends boolean, I extends unknown[], Out extends unknown[]> =
  S extends readonly [infer H, ...infer R]
    ? I['length'] extends Ax
      ? ReduceWalk<R, Ax, Keep, [...I, unknown], Keep extends true ? [...Out, 1] : Out>
      : ReduceWalk<R, Ax, Keep, [...I, unknown], [...Out, H]>
    : Out;

// ---------- run time ----------

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
