// Type-level arithmetic on non-negative integer literals, for shape types (sizes of reshapes, concat dims,
// slice bounds). Numbers are digit tuples, least significant digit first, so that any size is exact (no
// tuple of length N is ever built). Everything here is a type; nothing exists at run time.

type Digit = 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9;
/** A number as its digits, least significant first: 120 -> [0, 2, 1]. */
export type Digits = readonly Digit[];

// [carry, digit] of every sum of two digits and a carry (0..19).
type SumTable = [
  [0, 0], [0, 1], [0, 2], [0, 3], [0, 4], [0, 5], [0, 6], [0, 7], [0, 8], [0, 9],
  [1, 0], [1, 1], [1, 2], [1, 3], [1, 4], [1, 5], [1, 6], [1, 7], [1, 8], [1, 9],
];
type Units = [[], [0], [0, 0], [0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 0],
  [0, 0, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 0, 0, 0]];
type DigitSum<A extends Digit, B extends Digit, C extends 0 | 1> =
  SumTable[[...Units[A], ...Units[B], ...(C extends 1 ? [0] : [])]['length'] & number];
// [borrow, digit] of a - b - borrow.
type DigitDiff<A extends Digit, B extends Digit, Br extends 0 | 1> =
  [...Units[A], 0, 0, 0, 0, 0, 0, 0, 0, 0, 0] extends [...Units[B], ...(Br extends 1 ? [0] : []), ...infer R]
    ? R['length'] extends infer N extends number ? (N extends 10 | 11 | 12 | 13 | 14 | 15 | 16 | 17 | 18 | 19 ? [0, SumTable[N][1]] : [1, N & Digit]) : never
    : never;

/** True for a literal non-negative integer written without an exponent (`number` itself is not one). */
export type IsNat<N> = number extends N ? false : N extends number
  ? `${N}` extends `-${string}` ? false : `${N}` extends `${bigint}` ? true : false
  : false;

type Reverse<S extends string, Acc extends Digit[] = []> = S extends `${infer C extends Digit}${infer R}` ? Reverse<R, [C, ...Acc]> : Acc;
/** The digits of a literal non-negative integer (`never` for anything else). */
export type ToDigits<N> = IsNat<N> extends true ? Reverse<`${N & number}`> : never;

type Trim<D extends readonly Digit[]> = D extends readonly [...infer I extends Digit[], 0] ? Trim<I> : D;
type Join<D extends readonly Digit[]> = D extends readonly [infer H extends Digit, ...infer R extends Digit[]] ? `${Join<R>}${H}` : '';
/** The number the digits stand for; `number` when it is too large to be an exact literal. */
export type FromDigits<D extends Digits> = Join<Trim<D>> extends infer S extends string
  ? S extends '' ? 0 : S extends `${infer N extends number}` ? (`${N}` extends S ? N : number) : number
  : number;

export type AddDigits<A extends Digits, B extends Digits, C extends 0 | 1 = 0> =
  A extends readonly [infer a extends Digit, ...infer ra extends Digit[]]
    ? B extends readonly [infer b extends Digit, ...infer rb extends Digit[]]
      ? DigitSum<a, b, C> extends [infer c extends 0 | 1, infer d extends Digit] ? [d, ...AddDigits<ra, rb, c>] : never
      : DigitSum<a, 0, C> extends [infer c extends 0 | 1, infer d extends Digit] ? [d, ...AddDigits<ra, [], c>] : never
    : B extends readonly [Digit, ...Digit[]] ? AddDigits<B, [], C>
    : C extends 1 ? [1] : [];

/** A - B, or `never` when B > A. */
export type SubDigits<A extends Digits, B extends Digits, Br extends 0 | 1 = 0> =
  A extends readonly [infer a extends Digit, ...infer ra extends Digit[]]
    ? B extends readonly [infer b extends Digit, ...infer rb extends Digit[]]
      ? DigitDiff<a, b, Br> extends [infer br extends 0 | 1, infer d extends Digit] ? [d, ...SubDigits<ra, rb, br>] : never
      : DigitDiff<a, 0, Br> extends [infer br extends 0 | 1, infer d extends Digit] ? [d, ...SubDigits<ra, [], br>] : never
    : B extends readonly [Digit, ...Digit[]] ? (Trim<B> extends [] ? (Br extends 1 ? never : []) : never)
    : Br extends 1 ? never : [];

type Times<A extends Digits, D extends Digit, Acc extends Digits = [], N extends unknown[] = []> =
  N['length'] extends D ? Acc : Times<A, D, AddDigits<Acc, A>, [...N, unknown]>;
export type MulDigits<A extends Digits, B extends Digits> =
  B extends readonly [infer b extends Digit, ...infer rb extends Digit[]]
    ? AddDigits<Times<A, b>, rb extends [] ? [] : [0, ...MulDigits<A, rb>]>
    : [];

/** A + B of literal non-negative integers; `number` when either is not one. */
export type Add<A, B> = IsNat<A> extends true ? IsNat<B> extends true ? FromDigits<AddDigits<ToDigits<A>, ToDigits<B>>> : number : number;
/** A - B; `never` when B > A; `number` when either is not a literal non-negative integer. */
export type Sub<A, B> = IsNat<A> extends true ? IsNat<B> extends true
  ? SubDigits<ToDigits<A>, ToDigits<B>> extends infer D extends Digits ? ([D] extends [never] ? never : FromDigits<D>) : never
  : number : number;
/** `true` when A <= B, `false` when not, `boolean` when either is not a literal non-negative integer. */
export type LessEq<A, B> = IsNat<A> extends true ? IsNat<B> extends true
  ? [SubDigits<ToDigits<B>, ToDigits<A>>] extends [never] ? false : true
  : boolean : boolean;
/** The product of a list of literal non-negative integers, as digits. */
export type ProductDigits<L extends readonly unknown[], Acc extends Digits = [1]> =
  L extends readonly [infer H, ...infer R] ? ProductDigits<R, MulDigits<Acc, ToDigits<H>>> : Trim<Acc>;
