// The shape types: what each op's result shape is, and which arguments are compile errors, when shapes are
// literal tuples (`[2, 3]`) or named dims (`[Dim<'B'>, 3]`). A dim typed `number` (or a shape typed `Shape`)
// is unknown: every check passes and is left to the run-time checks. A named dim's size is unknown to the
// compiler: it agrees with any literal (checked at run time) and differs from any other name.
// Types only; nothing here exists at run time.
import type { Add, IsNat, LessEq, ProductDigits, Sub } from './type-arith.js';

/** A shape. Literal tuples (`[3, 4]`) and named dims (`[Dim<'B'>, Dim<'T'>]`) are checked by the compiler. */
export type Shape = readonly number[];

declare const dimName: unique symbol;
/** A dimension with a name known to the type checker; at run time it is just its size. */
export type Dim<N extends string = string> = number & { readonly [dimName]: N };

/** Compile-time description of a shape error; an argument of this type cannot be supplied. */
export interface ShapeMismatch<Op extends string, A, B> {
  readonly __shapeMismatch: Op;
  readonly left: A;
  readonly right: B;
}
/** `unknown` when R is a shape, R itself (unsatisfiable) when R is a mismatch. */
export type Check<R> = R extends ShapeMismatch<string, unknown, unknown> ? R : unknown;
/** The shape R, or `Shape` when R is a mismatch (the call is a compile error then anyway). */
export type Result<R> = R extends Shape ? R : Shape;

// ---------- dims ----------

type IsDynamic<X> = number extends X ? true : false;
type IsNamed<X> = X extends { readonly [dimName]: string } ? true : false;
/** A dim whose size the compiler knows (a literal). */
type IsLiteral<X> = IsDynamic<X> extends true ? false : IsNamed<X> extends true ? false : true;
type IsTuple<S extends readonly unknown[]> = number extends S['length'] ? false : true;
type Same<X, Y> = [X] extends [Y] ? ([Y] extends [X] ? true : false) : false;
/** Whether two dims may be equal: unknown and named-vs-literal may; two names or two literals must match. */
type DimEq<X, Y> = IsDynamic<X> extends true ? true : IsDynamic<Y> extends true ? true
  : IsNamed<X> extends IsNamed<Y> ? Same<X, Y> : true;

/** A shape in the one form every op returns: a mutable tuple when known, `Shape` when not. */
export type Norm<S extends Shape> = IsTuple<S> extends true ? { -readonly [I in keyof S]: S[I] } : Shape;

declare const bad: unique symbol;
type Bad = { readonly [bad]: true };
type HasBad<T extends readonly unknown[]> = Bad extends T[number] ? true : false;

// ---------- broadcasting ----------

// A named dim against a literal gives the literal: at run time the name is either that size or 1.
type BDim<X, Y> = X extends 1 ? Y : Y extends 1 ? X : IsDynamic<X> extends true ? Y : IsDynamic<Y> extends true ? X
  : DimEq<X, Y> extends true ? (IsNamed<X> extends true ? Y : X) : Bad;
type BroadcastRec<A extends readonly unknown[], B extends readonly unknown[]> =
  A extends readonly [...infer AI, infer AL]
    ? B extends readonly [...infer BI, infer BL] ? [...BroadcastRec<AI, BI>, BDim<AL, BL>] : { -readonly [I in keyof A]: A[I] }
    : { -readonly [I in keyof B]: B[I] };

/** The NumPy broadcast of two shapes, or a ShapeMismatch. Unknown (`number[]`) shapes give `Shape`. */
export type Broadcast<A extends Shape, B extends Shape, Op extends string = 'broadcast'> =
  IsTuple<A> extends false ? Shape : IsTuple<B> extends false ? Shape
  : BroadcastRec<A, B> extends infer R extends readonly unknown[]
    ? HasBad<R> extends true ? ShapeMismatch<Op, A, B> : R : never;

/** The broadcast of three shapes (`where`), or a ShapeMismatch. */
export type Broadcast3<A extends Shape, B extends Shape, C extends Shape> =
  Broadcast<A, B> extends infer AB extends Shape ? Broadcast<AB, C> extends infer R extends Shape ? R : ShapeMismatch<'where', [A, B], C> : ShapeMismatch<'where', A, B>;

// Right-aligned: every dim of S is 1, unknown, or may equal T's.
type FitsRec<S extends readonly unknown[], T extends readonly unknown[]> =
  S extends readonly [...infer SI, infer SL]
    ? T extends readonly [...infer TI, infer TL] ? (SL extends 1 ? FitsRec<SI, TI> : DimEq<SL, TL> extends true ? FitsRec<SI, TI> : false) : false
    : true;
/** `T` (as a mutable tuple) when S broadcasts to exactly T, else a ShapeMismatch. */
export type BroadcastTo<S extends Shape, T extends Shape, Op extends string = 'broadcastTo'> =
  IsTuple<S> extends false ? Norm<T> : IsTuple<T> extends false ? Shape
  : FitsRec<S, T> extends true ? Norm<T> : ShapeMismatch<Op, S, T>;

// ---------- axes ----------

/** The non-negative index of a literal axis (negative counts from the end); `never` when out of range. */
export type AxisIndex<S extends readonly unknown[], A> = number extends A ? number
  : `${A & number}` extends `-${infer P extends number}` ? NegAxis<S, P, []>
  : `${A & number}` extends keyof S & `${number}` ? A : never;
type NegAxis<S extends readonly unknown[], P, C extends unknown[]> =
  C['length'] extends P ? S['length'] : S extends readonly [...infer I, unknown] ? NegAxis<I, P, [...C, unknown]> : never;

// The normalized indices of a tuple of axes, `never` if one is out of range or repeated, `number[]` if one is unknown.
type AxisList<S extends readonly unknown[], Ax extends readonly unknown[], Acc extends number[] = []> =
  Ax extends readonly [infer H, ...infer R]
    ? AxisIndex<S, H> extends infer I
      ? [I] extends [never] ? never : number extends I ? number[] : I extends Acc[number] ? never : AxisList<S, R, [...Acc, I & number]>
      : never
    : Acc;

/** `unknown` when `A` is a valid axis of S (or cannot be checked), a ShapeMismatch when it is not. */
export type AxisCheck<S extends Shape, A, Op extends string> =
  IsTuple<S> extends false ? unknown : [AxisIndex<S, A>] extends [never] ? ShapeMismatch<Op, S, A> : unknown;

// Walks S with an index counter; drops (or sets to 1) the dims whose index is in Ax.
type ReduceWalk<S extends readonly unknown[], Ax, Keep extends boolean, I extends unknown[] = [], Out extends unknown[] = []> =
  S extends readonly [infer H, ...infer R]
    ? I['length'] extends Ax
      ? ReduceWalk<R, Ax, Keep, [...I, unknown], Keep extends true ? [...Out, 1] : Out>
      : ReduceWalk<R, Ax, Keep, [...I, unknown], [...Out, H]>
    : Out;
/** Result shape of a reduction over literal axes (all axes when `Ax` is undefined), or a ShapeMismatch. */
export type ReduceShape<S extends Shape, Ax extends readonly number[] | number | undefined, Keep extends boolean, Op extends string = 'reduce'> =
  IsTuple<S> extends false ? Shape
  : [Ax] extends [undefined] ? (Keep extends true ? { -readonly [I in keyof S]: 1 } : [])
  : Ax extends number ? (number extends Ax ? Shape : [AxisIndex<S, Ax>] extends [never] ? ShapeMismatch<Op, S, Ax> : ReduceWalk<S, AxisIndex<S, Ax>, Keep>)
  : Ax extends readonly number[]
    ? IsTuple<Ax> extends false ? Shape
    : [AxisList<S, Ax>] extends [never] ? ShapeMismatch<Op, S, Ax>
    : AxisList<S, Ax> extends infer L extends number[] ? (IsTuple<L> extends false ? Shape : ReduceWalk<S, L[number], Keep>) : Shape
  : Shape;

// ---------- matmul ----------

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

// ---------- movement ----------

/** Result of `permute(x, perm)`: perm must name every axis once (negative axes count from the end). */
export type Permute<S extends Shape, P extends readonly number[]> =
  IsTuple<S> extends false ? Shape : IsTuple<P> extends false ? Shape
  : P['length'] extends S['length']
    ? [AxisList<S, P>] extends [never] ? ShapeMismatch<'permute', S, P>
    : AxisList<S, P> extends infer L extends number[] ? (IsTuple<L> extends false ? Shape : { -readonly [I in keyof L]: S[L[I] & number] }) : Shape
    : ShapeMismatch<'permute', S, P>;

/** Swaps the last two dims. */
export type Transpose<S extends Shape> = IsTuple<S> extends false ? Shape : S extends readonly [unknown, unknown, ...unknown[]] ? SwapLast<S> : ShapeMismatch<'transpose', S, []>;

/** Swaps axes A and B. */
export type SwapAxes<S extends Shape, A extends number, B extends number> =
  IsTuple<S> extends false ? Shape
  : [AxisIndex<S, A>] extends [never] ? ShapeMismatch<'swapAxes', S, A>
  : [AxisIndex<S, B>] extends [never] ? ShapeMismatch<'swapAxes', S, B>
  : number extends AxisIndex<S, A> | AxisIndex<S, B> ? Shape
  : { -readonly [I in keyof S]: I extends `${AxisIndex<S, A>}` ? S[AxisIndex<S, B>] : I extends `${AxisIndex<S, B>}` ? S[AxisIndex<S, A>] : S[I] };

type Insert<S extends readonly unknown[], I extends number, X, C extends unknown[] = [], Out extends unknown[] = []> =
  C['length'] extends I ? [...Out, X, ...S] : S extends readonly [infer H, ...infer R] ? Insert<R, I, X, [...C, unknown], [...Out, H]> : [...Out, X];
/** Result of `expandDims(x, axis)`: a 1 inserted at `axis` (in `[-rank - 1, rank]`). */
export type ExpandDims<S extends Shape, A extends number> =
  IsTuple<S> extends false ? Shape
  : AxisIndex<[...S, 1], A> extends infer I ? ([I] extends [never] ? ShapeMismatch<'expandDims', S, A> : number extends I ? Shape : Insert<S, I & number, 1>) : never;

type DropOnes<S extends readonly unknown[], Out extends unknown[] = []> =
  S extends readonly [infer H, ...infer R] ? (H extends 1 ? DropOnes<R, Out> : IsLiteral<H> extends true ? DropOnes<R, [...Out, H]> : Shape) : Out;
// Every listed axis must be 1 (or unknown / named, checked at run time).
type SqueezeAxes<S extends readonly unknown[], L extends readonly number[]> = L[number] extends infer I
  ? (I extends number ? (IsLiteral<S[I]> extends true ? (S[I] extends 1 ? never : I) : never) : never) : never;
/** Result of `squeeze(x, axes)`: the given axes (each of size 1) or every literal 1 removed. */
export type Squeeze<S extends Shape, Ax extends readonly number[] | undefined> =
  IsTuple<S> extends false ? Shape
  : [Ax] extends [undefined] ? DropOnes<S>
  : Ax extends readonly number[]
    ? IsTuple<Ax> extends false ? Shape
    : [AxisList<S, Ax>] extends [never] ? ShapeMismatch<'squeeze', S, Ax>
    : AxisList<S, Ax> extends infer L extends number[]
      ? IsTuple<L> extends false ? Shape : [SqueezeAxes<S, L>] extends [never] ? ReduceWalk<S, L[number], false> : ShapeMismatch<'squeeze', S, Ax>
      : Shape
  : Shape;

// Cancels the named dims the two shapes share, then compares the sizes when only literals are left.
type RemoveOne<T extends readonly unknown[], X, Out extends unknown[] = []> =
  T extends readonly [infer H, ...infer R] ? (Same<H, X> extends true ? [...Out, ...R] : RemoveOne<R, X, [...Out, H]>) : never;
type CancelNames<S extends readonly unknown[], T extends readonly unknown[], SOut extends unknown[] = []> =
  S extends readonly [infer H, ...infer R]
    ? IsNamed<H> extends true ? ([RemoveOne<T, H>] extends [never] ? CancelNames<R, T, [...SOut, H]> : CancelNames<R, RemoveOne<T, H>, SOut>) : CancelNames<R, T, [...SOut, H]>
    : [SOut, T];
type AllLiteral<S extends readonly unknown[]> = S extends readonly [infer H, ...infer R] ? (IsLiteral<H> extends true ? AllLiteral<R> : false) : true;
type SameSize<S extends readonly unknown[], T extends readonly unknown[]> =
  CancelNames<S, T> extends [infer A extends readonly unknown[], infer B extends readonly unknown[]]
    ? AllLiteral<A> extends true ? AllLiteral<B> extends true ? Same<ProductDigits<A>, ProductDigits<B>> : true : true
    : true;
/** Result of `reshape(x, shape)`: the target, when the sizes can agree; a -1 dim gives `Shape`. */
export type Reshape<S extends Shape, T extends Shape> =
  IsTuple<T> extends false ? Shape
  : -1 extends T[number] ? Shape
  : IsTuple<S> extends false ? Norm<T>
  : SameSize<S, T> extends true ? Norm<T> : ShapeMismatch<'reshape', S, T>;

// The dims of a list of shapes at axis I, summed; `number` when one is not a literal.
type SumAt<L extends readonly Shape[], I extends number, Acc = 0> =
  L extends readonly [infer H extends Shape, ...infer R extends readonly Shape[]] ? SumAt<R, I, Add<Acc, H[I]>> : Acc;
type SameOffAxis<F extends Shape, L extends readonly Shape[], I extends number> =
  L extends readonly [infer H extends Shape, ...infer R extends readonly Shape[]]
    ? IsTuple<H> extends false ? SameOffAxis<F, R, I>
    : H['length'] extends F['length']
      ? (false extends { [K in keyof F]: K extends `${I}` ? true : DimEq<F[K], H[K & keyof H]> }[number] ? false : SameOffAxis<F, R, I>)
      : false
    : true;
type FirstTuple<L extends readonly Shape[]> = L extends readonly [infer H extends Shape, ...infer R extends readonly Shape[]] ? (IsTuple<H> extends true ? H : FirstTuple<R>) : never;
/** Result of `concat(xs, axis)`: equal ranks, equal dims off `axis`, the sum on it. */
export type Concat<L extends readonly Shape[], A extends number> =
  IsTuple<L> extends false ? Shape
  : FirstTuple<L> extends infer F extends Shape
    ? [F] extends [never] ? Shape
    : AxisIndex<F, A> extends infer I
      ? [I] extends [never] ? ShapeMismatch<'concat', L, A>
      : number extends I ? Shape
      : SameOffAxis<F, L, I & number> extends true
        ? { -readonly [K in keyof F]: K extends `${I & number}` ? SumAt<L, I & number> : F[K] }
        : ShapeMismatch<'concat', L, A>
      : never
    : Shape;

// slice: a bound of a dim D normalized (negative counts from D); `number` when unknown.
type Bound<V, D> = V extends undefined ? D : number extends V ? number
  : `${V & number}` extends `-${infer P extends number}` ? (IsLiteral<D> extends true ? Sub<D, P> : number) : V;
type SliceDim<D, B, E> = Bound<B, D> extends infer b ? Bound<E, D> extends infer e
  ? [b] extends [never] ? Bad : [e] extends [never] ? Bad
  : IsNat<b> extends true ? IsNat<e> extends true
    ? LessEq<b, e> extends false ? Bad : IsLiteral<D> extends true ? (LessEq<e, D> extends false ? Bad : Sub<e, b>) : Sub<e, b>
    : number : number
  : never : never;
type SliceRec<S extends readonly unknown[], B extends readonly unknown[], E extends readonly unknown[], Out extends unknown[] = []> =
  S extends readonly [infer H, ...infer R]
    ? SliceRec<R, B extends readonly [unknown, ...infer BR] ? BR : [], E extends readonly [unknown, ...infer ER] ? ER : [],
      [...Out, SliceDim<H, B extends readonly [infer b, ...unknown[]] ? b : 0, E extends readonly [infer e, ...unknown[]] ? e : undefined>]>
    : Out;
/** Result of `slice(x, begin, end)` with literal bounds: `end - begin` per axis, each bound within its dim. */
export type Slice<S extends Shape, B extends readonly number[], E extends readonly (number | undefined)[] | undefined> =
  IsTuple<S> extends false ? Shape : IsTuple<B> extends false ? Shape
  : (E extends readonly unknown[] ? IsTuple<E> : true) extends false ? Shape
  : LessEq<B['length'], S['length']> extends false ? ShapeMismatch<'slice', S, B>
  : (E extends readonly unknown[] ? LessEq<E['length'], S['length']> : true) extends false ? ShapeMismatch<'slice', S, E>
  : SliceRec<S, B, E extends readonly unknown[] ? E : []> extends infer R extends unknown[]
    ? HasBad<R> extends true ? ShapeMismatch<'slice', S, [B, E]> : R : never;

/** Result of `narrow(x, axis, start, length)`: `length` on the axis, which must hold `start + length`. */
export type Narrow<S extends Shape, A extends number, St extends number, L extends number> =
  IsTuple<S> extends false ? Shape
  : AxisIndex<S, A> extends infer I
    ? [I] extends [never] ? ShapeMismatch<'narrow', S, A>
    : number extends I ? Shape
    : IsLiteral<S[I & number]> extends true ? (LessEq<Add<St, L>, S[I & number]> extends false ? ShapeMismatch<'narrow', S, [A, St, L]> : { -readonly [K in keyof S]: K extends `${I & number}` ? L : S[K] })
    : { -readonly [K in keyof S]: K extends `${I & number}` ? L : S[K] }
    : never;

/** Result of `pad(x, widths)`: one `[before, after]` per axis, added to its dim. */
export type Pad<S extends Shape, W extends readonly (readonly [number, number])[]> =
  IsTuple<S> extends false ? Shape : IsTuple<W> extends false ? Shape
  : W['length'] extends S['length'] ? { -readonly [K in keyof S]: W[K & keyof W] extends readonly [infer b, infer a] ? Add<Add<S[K], b>, a> : never }
  : ShapeMismatch<'pad', S, W>;

// ---------- composites ----------

/** q `[...b, T, N, d]`, k `[...bk, S, K, d]`, v `[...bk, S, K, dv]` -> `[...b, T, N, dv]`. */
export type AttentionShape<Q extends Shape, K extends Shape, V extends Shape> =
  IsTuple<Q> extends false ? Shape : IsTuple<K> extends false ? Shape : IsTuple<V> extends false ? Shape
  : Q extends readonly [...infer BQ, infer T, infer N, infer DQ]
    ? K extends readonly [...unknown[], infer S, infer KH, infer DK]
      ? V extends readonly [...unknown[], infer S2, infer KH2, infer DV]
        ? [DimEq<DQ, DK>, DimEq<S, S2>, DimEq<KH, KH2>] extends [true, true, true] ? [...BQ, T, N, DV] : ShapeMismatch<'attention', [Q, K], V>
        : ShapeMismatch<'attention', K, V>
      : ShapeMismatch<'attention', Q, K>
    : ShapeMismatch<'attention', Q, K>;

/** Targets of a `[..., V]` logits tensor: its shape without the last dim. */
export type TargetsCheck<L extends Shape, T extends Shape> =
  IsTuple<L> extends false ? unknown : IsTuple<T> extends false ? unknown
  : L extends readonly [...infer I, unknown] ? (I['length'] extends T['length'] ? (false extends { [K in keyof I]: DimEq<I[K], T[K & keyof T]> }[number] ? ShapeMismatch<'crossEntropy', L, T> : unknown) : ShapeMismatch<'crossEntropy', L, T>)
  : ShapeMismatch<'crossEntropy', L, T>;
