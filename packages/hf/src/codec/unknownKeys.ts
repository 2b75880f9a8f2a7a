import type * as t from 'io-ts';

type AnyCodec = t.Decoder<unknown, unknown> & { readonly _tag?: string };
/** The object keys a codec knows, each with the codecs of its value; undefined when it is not an object codec. */
type Shape = Map<string, AnyCodec[]>;

function shapeOf(c: AnyCodec): Shape | undefined {
  const x = c as AnyCodec & { props?: Record<string, AnyCodec>; types?: AnyCodec[]; type?: AnyCodec };
  switch (c._tag) {
    case 'InterfaceType': case 'PartialType': case 'StrictType':
      return new Map(Object.entries(x.props!).map(([k, v]) => [k, [v]]));
    case 'RefinementType': case 'ExactType': case 'ReadonlyType':
      return shapeOf(x.type!);
    case 'IntersectionType': case 'UnionType': {
      const shapes = x.types!.map(shapeOf);
      // a member that takes any record (t.UnknownRecord) makes every key known
      if (shapes.some((s) => s === undefined) && c._tag === 'IntersectionType' && x.types!.some((m) => m._tag === 'DictionaryType' || m._tag === 'AnyDictionaryType')) return undefined;
      const known = shapes.filter((s): s is Shape => s !== undefined);
      if (known.length === 0) return undefined;
      const all: Shape = new Map();
      for (const s of known) for (const [k, v] of s) all.set(k, [...(all.get(k) ?? []), ...v]);
      return all;
    }
    default: return undefined;
  }
}

const elementsOf = (c: AnyCodec): AnyCodec[] => {
  const x = c as AnyCodec & { types?: AnyCodec[]; type?: AnyCodec };
  switch (c._tag) {
    case 'ArrayType': case 'ReadonlyArrayType': return [x.type!];
    case 'TupleType': return x.types!;
    case 'RefinementType': case 'ReadonlyType': return elementsOf(x.type!);
    case 'UnionType': case 'IntersectionType': return x.types!.flatMap(elementsOf);
    default: return [];
  }
};

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0]!; d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const here = d[j]!;
      d[j] = Math.min(d[j]! + 1, d[j - 1]! + 1, prev + (a[i - 1]!.toLowerCase() === b[j - 1]!.toLowerCase() ? 0 : 1));
      prev = here;
    }
  }
  return d[b.length]!;
}

/** The known key nearest to `key`, when it is a likely misspelling (at most two edits, or a prefix). */
export function nearestKey(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined, bestD = Infinity;
  for (const k of known) {
    const d = editDistance(key, k);
    if (d < bestD) { best = k; bestD = d; }
  }
  if (best !== undefined && (bestD <= Math.min(2, Math.floor(best.length / 2)) || best.toLowerCase().startsWith(key.toLowerCase()))) return best;
  return undefined;
}

/**
 * The first key of `value` (depth first, in the JSON's order) that `codec` does not know, as a field message:
 * `field 'lr.peek' is not a known setting (did you mean 'lr.peak'?)`. Undefined when every key is known.
 * io-ts itself ignores extra keys, so a misspelt optional setting would otherwise fall back to its default silently.
 */
export function unknownKey(codec: t.Decoder<unknown, unknown>, value: unknown, path = ''): string | undefined {
  const c = codec as AnyCodec;
  if (Array.isArray(value)) {
    const els = elementsOf(c);
    for (let i = 0; i < value.length; i++) {
      for (const e of (c._tag === 'TupleType' ? [els[i]].filter(Boolean) as AnyCodec[] : els)) {
        const found = unknownKey(e, value[i], `${path}[${i}]`);
        if (found) return found;
      }
    }
    return undefined;
  }
  if (value === null || typeof value !== 'object') return undefined;
  const shape = shapeOf(c);
  if (!shape) return undefined;
  for (const [k, v] of Object.entries(value)) {
    const at = path ? `${path}.${k}` : k;
    const codecs = shape.get(k);
    if (!codecs) {
      const near = nearestKey(k, [...shape.keys()]);
      return `field '${at}' is not a known setting${near ? ` (did you mean '${path ? `${path}.` : ''}${near}'?)` : ''}`;
    }
    for (const sub of codecs) {
      const found = unknownKey(sub, v, at);
      if (found) return found;
    }
  }
  return undefined;
}
