import { type FileHandle, open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { fileError, type FileError } from './fileError.js';

let tempCounter = 0;

/** A temp name in the target's own directory (so the rename cannot cross file systems), unique per process and call. */
const tempPathFor = (path: string): string =>
  join(dirname(path), `.${basename(path)}.${process.pid}.${++tempCounter}.tmp`);

/**
 * Writes `contents` to `path` atomically: the bytes go to a fresh temp file in the same directory, are flushed
 * to disk, and the temp file is renamed over `path`. A reader sees the old file or the whole new one, never a
 * partial write. On failure the temp file is removed and the error comes back as a value.
 */
export const writeFileAtomic = (path: string, contents: Uint8Array | string): Promise<E.Either<FileError, void>> =>
  writeFileAtomicWith(path, (h) => h.writeFile(contents));

/** `writeFileAtomic` with the bytes written by `write` (which may write in parts, so a large file need not be held whole). */
export async function writeFileAtomicWith(path: string, write: (h: FileHandle) => Promise<unknown>): Promise<E.Either<FileError, void>> {
  const temp = tempPathFor(path);
  try {
    const handle = await open(temp, 'wx');
    try {
      await write(handle);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
    return E.right(undefined);
  } catch (cause) {
    await unlink(temp).catch(() => undefined);
    return E.left(fileError(path, cause));
  }
}
