import { readFile } from 'node:fs/promises';
import * as E from 'fp-ts/lib/Either.js';
import { fileError, type FileError } from './fileError.js';
import { textOfFile } from '../data/utf8Text.js';

/** The whole file as bytes, or a FileError naming it. */
export async function readFileBytes(path: string): Promise<E.Either<FileError, Uint8Array>> {
  try {
    const buf = await readFile(path);
    return E.right(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength));
  } catch (cause) {
    return E.left(fileError(path, cause));
  }
}

/** The whole file as UTF-8 text (a BOM dropped; invalid UTF-8 refused, naming the line), or a FileError naming it. */
export async function readFileText(path: string): Promise<E.Either<FileError, string>> {
  const bytes = await readFileBytes(path);
  if (E.isLeft(bytes)) return bytes;
  const text = textOfFile(path, bytes.right);
  return E.isLeft(text) ? E.left({ kind: 'FileError', path, message: text.left }) : text;
}
