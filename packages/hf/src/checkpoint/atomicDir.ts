import { lstat, mkdir, open, readdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { type CheckpointDirError, dirError } from './dirErrors.js';
import { ioCause } from '../files/ioCause.js';

let counter = 0;

/**
 * Writes a directory atomically: `fill` writes every file into a fresh temp directory beside `dir`, which is
 * then renamed to `dir`. An existing `dir` is first renamed aside and removed after the swap, so a reader sees
 * the old directory or the whole new one, never a mix (between the two renames `dir` briefly does not exist).
 * An existing `dir` is replaced only when `replaceable` accepts its file names (so a stray path never removes
 * a directory of other files). On failure the temp directory is removed and the old `dir` is left as it was.
 */
export async function writeDirAtomic<L>(
  dir: string,
  fill: (tmp: string) => Promise<E.Either<L, void>>,
  replaceable: (names: readonly string[]) => boolean,
): Promise<E.Either<L | CheckpointDirError, void>> {
  const target = resolve(dir);
  const parent = dirname(target), base = basename(target);
  const fail = (cause: unknown) => E.left(dirError('FileError', target, ioCause(cause)));
  let existing = false;
  try {
    await mkdir(parent, { recursive: true });
    const st = await lstat(target).catch((e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? null : Promise.reject(e)));
    if (st !== null) {
      if (!st.isDirectory()) return E.left(dirError('NotACheckpointDir', target, 'exists and is not a directory'));
      const names = await readdir(target);
      if (names.length > 0 && !replaceable(names)) return E.left(dirError('NotACheckpointDir', target, 'exists and is not a checkpoint directory: refusing to replace it'));
      existing = true;
    }
  } catch (cause) { return fail(cause); }

  const id = `${process.pid}-${++counter}`;
  const tmp = join(parent, `.${base}.tmp-${id}`), old = join(parent, `.${base}.old-${id}`);
  try {
    await mkdir(tmp);
    const filled = await fill(tmp);
    if (E.isLeft(filled)) { await rm(tmp, { recursive: true, force: true }); return filled; }
    if (existing) await rename(target, old);
    try { await rename(tmp, target); } catch (cause) {
      if (existing) await rename(old, target).catch(() => undefined);
      throw cause;
    }
    await syncDir(parent);
    if (existing) await rm(old, { recursive: true, force: true });
    return E.right(undefined);
  } catch (cause) {
    await rm(tmp, { recursive: true, force: true }).catch(() => undefined);
    return fail(cause);
  }
}

/** Flushes a directory's entries (the renames) to disk where the platform allows it. */
async function syncDir(path: string): Promise<void> {
  try {
    const h = await open(path, 'r');
    try { await h.sync(); } finally { await h.close(); }
  } catch { /* not supported here (e.g. Windows): the rename is still atomic */ }
}

/**
 * Puts right what an interrupted `writeDirAtomic(dir)` left, for a caller that owns `dir` (no write to it is
 * under way). A kill between its two renames leaves no `dir` but both complete copies: the new one (`.tmp-ID`,
 * complete because the old is renamed aside only after it is filled) is moved into place. Every other leftover
 * (a half-filled `.tmp-*`, an `.old-*` not yet removed) is deleted. Returns what it did, in words.
 */
export async function recoverDirAtomic(dir: string): Promise<E.Either<CheckpointDirError, readonly string[]>> {
  const target = resolve(dir);
  const parent = dirname(target), base = basename(target);
  const notes: string[] = [];
  try {
    const names = await readdir(parent).catch((e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? [] : Promise.reject(e)));
    const left = (kind: 'tmp' | 'old') => names.filter((n) => n.startsWith(`.${base}.${kind}-`)).map((n) => n.slice(`.${base}.${kind}-`.length));
    const tmps = left('tmp'), olds = left('old');
    if (tmps.length + olds.length === 0) return E.right(notes);
    const exists = await lstat(target).then(() => true, () => false);
    if (!exists) {
      const id = olds.find((i) => tmps.includes(i));
      const from = id !== undefined ? `.${base}.tmp-${id}` : olds.length > 0 ? `.${base}.old-${olds[0]}` : undefined;
      if (from !== undefined) {
        await rename(join(parent, from), target);
        notes.push(`recovered ${target} from ${from}, left by a save that was interrupted`);
      }
    }
    const stale = names.filter((n) => (n.startsWith(`.${base}.tmp-`) || n.startsWith(`.${base}.old-`)));
    let removed = 0;
    for (const n of stale) {
      const st = await lstat(join(parent, n)).catch(() => null);
      if (st) { await rm(join(parent, n), { recursive: true, force: true }); removed++; }
    }
    if (removed > 0) notes.push(`removed ${removed} temporary ${removed === 1 ? 'directory' : 'directories'} of an interrupted save beside ${target}`);
    return E.right(notes);
  } catch (cause) {
    return E.left(dirError('FileError', target, ioCause(cause)));
  }
}
