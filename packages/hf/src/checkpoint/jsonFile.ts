import * as E from 'fp-ts/lib/Either.js';
import type * as t from 'io-ts';
import { describeErrors } from '../codec/describeErrors.js';
import { readFileText } from '../files/readFileBytes.js';
import { parseJsonText } from './configFile.js';
import { type CheckpointDirError, type CheckpointDirErrorKind, dirError } from './dirErrors.js';

/** Reads `path` as JSON and decodes it with `codec`; a Left names the file and the field (`kind` for decode failures). */
export async function readJsonFile<A>(path: string, codec: t.Decoder<unknown, A>, kind: CheckpointDirErrorKind): Promise<E.Either<CheckpointDirError, A>> {
  const text = await readFileText(path);
  if (E.isLeft(text)) return E.left({ kind: 'FileError', file: path, message: text.left.message });
  const json = parseJsonText(text.right, path);
  if (E.isLeft(json)) return json;
  const decoded = codec.decode(json.right);
  return E.isLeft(decoded) ? E.left(dirError(kind, path, describeErrors(decoded.left))) : decoded;
}
