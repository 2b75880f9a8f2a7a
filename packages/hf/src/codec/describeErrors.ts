import type * as t from 'io-ts';

/** Renders a value briefly for an error message. */
const show = (u: unknown): string => {
  if (u === undefined) return 'nothing (the field is missing)';
  const s = JSON.stringify(u);
  if (s === undefined) return typeof u;
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
};

const isCombinator = (type: t.Decoder<unknown, unknown>): boolean => {
  const tag = (type as { _tag?: string })._tag;
  return tag === 'UnionType' || tag === 'IntersectionType' || tag === 'RefinementType' || tag === 'ExactType' || tag === 'ReadonlyType';
};

/**
 * The path of an io-ts error as a field path (`model.merges[3]`), and what was expected there. Keys that only
 * number the members of an intersection or union are left out; an error inside a union is reported at the union,
 * with the union's name as what was expected. A codec's own message follows the path.
 */
function describeParts(error: t.ValidationError): { readonly path: string; readonly detail: string } {
  const ctx = error.context;
  let path = '';
  // A failure of one intersection member is reported as a failure of the whole intersection.
  let last = ctx.length - 1;
  while (last > 0 && (ctx[last - 1]!.type as { _tag?: string })._tag === 'IntersectionType') last--;
  let expected = ctx[last]?.type.name ?? 'a valid value';
  let actual: unknown = error.value;
  for (let i = 1; i < ctx.length; i++) {
    const parent = ctx[i - 1]!.type;
    const entry = ctx[i]!;
    if (!isCombinator(parent)) path += /^\d+$/.test(entry.key) ? `[${entry.key}]` : path === '' ? entry.key : `.${entry.key}`;
    if ((entry.type as { _tag?: string })._tag === 'UnionType') {
      expected = entry.type.name;
      actual = entry.actual;
      break;
    }
  }
  return { path: path || '(root)', detail: error.message ? error.message : `expected ${expected}, got ${show(actual)}` };
}

export function describeValidationError(error: t.ValidationError): string {
  const { path, detail } = describeParts(error);
  return `${path}: ${detail}`;
}

/** The first error as `field 'a.b': what was wrong`, for messages that already name the file and line. */
export const describeField = (errors: t.Errors): string => {
  if (errors.length === 0) return 'invalid value';
  const { path, detail } = describeParts(errors[0]!);
  return `field '${path}': ${detail}`;
};

/** The first error, described (io-ts reports many; the first is the one to fix first). */
export const describeErrors = (errors: t.Errors): string =>
  errors.length === 0 ? 'invalid value' : describeValidationError(errors[0]!);
