import * as t from 'io-ts';

/** A JSON number that is a non-negative safe integer (an id, an offset, a dimension). */
export const NonNegativeInt = new t.Type<number, number, unknown>(
  'non-negative integer',
  (u): u is number => typeof u === 'number' && Number.isSafeInteger(u) && u >= 0,
  (u, c) => (typeof u === 'number' && Number.isSafeInteger(u) && u >= 0 ? t.success(u) : t.failure(u, c)),
  (n) => n,
);
