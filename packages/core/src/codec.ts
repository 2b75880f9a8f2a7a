import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { DTYPES, type DType } from './dtype.js';

/** Nested arrays of numbers (or booleans) after validation: the values row-major, and the shape. */
export interface Parsed { readonly values: readonly (number | boolean)[]; readonly shape: number[] }

/**
 * io-ts codec for rectangular nested arrays. A ragged row or a non-number leaf fails with a message that
 * names the path (`[1][0]`) and what was found.
 */
export const NestedArray: t.Type<Parsed, unknown, unknown> = new t.Type<Parsed, unknown, unknown>(
  'NestedArray',
  (u): u is Parsed => false,
  (u, c) => {
    const values: (number | boolean)[] = [];
    let shape: number[] | null = null;
    let failedAt = '(root)';
    const fail = (path: string, message: string): string => { failedAt = path || '(root)'; return `${failedAt}: ${message}`; };
    const walk = (v: unknown, path: string, dims: number[]): string | null => {
      if (typeof v === 'number' || typeof v === 'boolean') {
        if (shape === null) shape = dims;
        else if (shape.length !== dims.length) return fail(path, `a number where the first element had nesting ${shape.length}`);
        values.push(v);
        return null;
      }
      if (!Array.isArray(v)) return fail(path, `expected a number, a boolean or an array, got ${v === null ? 'null' : typeof v}`);
      const d = dims.length;
      if (shape !== null && (d >= shape.length || shape[d] !== v.length))
        return fail(path, `ragged array (length ${v.length}${d < shape.length ? `, expected ${shape[d]}` : ', expected a number'})`);
      if (v.length === 0) {
        if (shape === null) shape = [...dims, 0];
        return null;
      }
      for (let i = 0; i < v.length; i++) {
        const err = walk(v[i], `${path}[${i}]`, [...dims, v.length]);
        if (err !== null) return err;
      }
      return null;
    };
    const err = walk(u, '', []);
    // the failing path goes into the context too, so a caller can report it apart from the message (`nestedPath`)
    return err === null ? t.success({ values, shape: shape ?? [] }) : t.failure(u, t.appendContext(c, failedAt, NestedArray, u), err);
  },
  () => { throw new Error('NestedArray is decode-only'); },
);

export const DTypeCodec = t.keyof(Object.fromEntries(DTYPES.map((d) => [d, null])) as Record<DType, null>, 'DType');

/** io-ts codec for `{ data: number[], shape: number[], dtype?: DType }` (flat data plus shape). */
export const FlatTensorCodec = t.intersection([
  t.type({ data: t.array(t.union([t.number, t.boolean])), shape: t.array(t.number) }),
  t.partial({ dtype: DTypeCodec }),
], 'FlatTensor');
export type FlatTensor = t.TypeOf<typeof FlatTensorCodec>;

/** The first message of an io-ts failure, with its path when the codec did not give one itself. */
export function firstMessage(errors: t.Errors): string {
  const e = errors[0];
  if (e?.message) return e.message;
  const path = e?.context.slice(1).map((c) => c.key).filter((k) => k !== '').join('.') ?? '';
  return `invalid value ${JSON.stringify(e?.value)} at ${path || '(root)'}`;
}

/** The path (`[1][0]`, or `(root)`) that a `NestedArray` failure names. */
export const nestedPath = (errors: t.Errors): string | undefined => errors[0]?.context.at(-1)?.key;

export const decodeWith = <A>(codec: t.Decoder<unknown, A>, u: unknown): E.Either<string, A> =>
  E.mapLeft(firstMessage)(codec.decode(u));
