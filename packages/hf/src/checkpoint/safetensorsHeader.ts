import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { describeErrors } from '../codec/describeErrors.js';
import { NonNegativeInt } from '../codec/numbers.js';
import { checkpointError, type CheckpointError } from './errors.js';

/** One tensor's entry in a safetensors header. `dtype` is checked against the known names separately. */
export const HeaderEntryCodec = t.type({
  dtype: t.string,
  shape: t.array(NonNegativeInt),
  data_offsets: t.tuple([NonNegativeInt, NonNegativeInt]),
}, 'tensor entry');
export type HeaderEntry = t.TypeOf<typeof HeaderEntryCodec>;

export const MetadataCodec = t.record(t.string, t.string, '__metadata__ (string to string)');

export interface SafetensorsHeader {
  readonly metadata: Readonly<Record<string, string>>;
  readonly entries: ReadonlyMap<string, HeaderEntry>;
}

/** Validates a parsed JSON header: an object of tensor entries plus an optional `__metadata__` string map. */
export function decodeHeader(json: unknown, file: string): E.Either<CheckpointError, SafetensorsHeader> {
  const bad = (detail: string, tensor?: string) => E.left(checkpointError('MalformedHeader', file, detail, tensor));
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return bad('header is not a JSON object');
  const entries = new Map<string, HeaderEntry>();
  let metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(json)) {
    if (name === '__metadata__') {
      const m = MetadataCodec.decode(value);
      if (E.isLeft(m)) return bad(`__metadata__: ${describeErrors(m.left)}`);
      metadata = m.right;
      continue;
    }
    const entry = HeaderEntryCodec.decode(value);
    if (E.isLeft(entry)) return bad(`header entry ${describeErrors(entry.left)}`, name);
    entries.set(name, entry.right);
  }
  return E.right({ metadata, entries });
}
