import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { ioCause, recoverDirAtomic } from '@safekey-ts/hf';

/** How a run takes its `out` directory: a new run, the continuation of the one there, or a replacement of it. */
export type RunDirMode = 'new' | 'resume' | 'overwrite';

export interface RunDir {
  readonly out: string;
  readonly checkpoint: string;
  readonly metrics: string;
  /** What was found and put right on the way in (a stale lock, an interrupted save), to tell the user. */
  readonly notes: readonly string[];
  /** Gives the directory up (removes the lock); also done at process exit. */
  readonly release: () => void;
}

export const LOCK_FILE = '.lock';

interface LockOwner { readonly pid: number; readonly started: string }

const alive = (pid: number): boolean => {
  try { process.kill(pid, 0); return true; } catch (e) { return (e as NodeJS.ErrnoException).code === 'EPERM'; }
};

const readOwner = (file: string): LockOwner | undefined => {
  try {
    const o = JSON.parse(readFileSync(file, 'utf8')) as LockOwner;
    return Number.isInteger(o.pid) ? o : undefined;
  } catch { return undefined; }
};

/** Creates the lock file with this process as owner; false when one exists. */
function createLock(file: string): boolean {
  let fd: number;
  try { fd = openSync(file, 'wx'); } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
  try { writeSync(fd, JSON.stringify({ pid: process.pid, started: new Date().toISOString() } satisfies LockOwner)); } finally { closeSync(fd); }
  return true;
}

const hasRun = (checkpoint: string, metrics: string): boolean =>
  existsSync(checkpoint) || (existsSync(metrics) && statSync(metrics).size > 0);

/**
 * Takes `out` for one training run: creates it (so an unwritable place is found before any work), locks it
 * with this process's pid (a second run on the same directory is refused while the first lives; the lock of a
 * process that is gone is taken over), puts right what an interrupted checkpoint save left, and refuses to
 * start a new run over an earlier one unless told to overwrite it (which removes the earlier run's files).
 */
export async function claimRunDir(out: string, mode: RunDirMode): Promise<E.Either<string, RunDir>> {
  const checkpoint = join(out, 'checkpoint'), metrics = join(out, 'metrics.jsonl'), lock = join(out, LOCK_FILE);
  const notes: string[] = [];
  try {
    mkdirSync(out, { recursive: true });
    if (!createLock(lock)) {
      const owner = readOwner(lock);
      if (owner && alive(owner.pid)) return E.left(`${out} is in use by another training run (pid ${owner.pid}, started ${owner.started}); wait for it to end or stop it`);
      unlinkSync(lock);
      if (!createLock(lock)) return E.left(`${out} was taken by another training run just now`);
      notes.push(`took over the lock of ${out} from ${owner ? `pid ${owner.pid}, which is no longer running` : 'an unreadable lock file'}`);
    }
  } catch (e) {
    return E.left(`${out}: cannot use it as the run directory: ${ioCause(e)}`);
  }
  const release = () => {
    process.removeListener('exit', release);
    try { if (readOwner(lock)?.pid === process.pid) unlinkSync(lock); } catch { /* already gone */ }
  };
  process.on('exit', release);

  const recovered = await recoverDirAtomic(checkpoint);
  if (E.isLeft(recovered)) { release(); return E.left(recovered.left.message); }
  notes.push(...recovered.right);

  if (mode === 'new' && hasRun(checkpoint, metrics)) {
    release();
    return E.left(`${out} holds an earlier run (${[existsSync(checkpoint) ? 'checkpoint/' : '', existsSync(metrics) ? 'metrics.jsonl' : ''].filter(Boolean).join(', ')}); pass --resume to continue it or --overwrite to replace it`);
  }
  if (mode === 'overwrite') {
    try {
      rmSync(checkpoint, { recursive: true, force: true });
      rmSync(metrics, { force: true });
    } catch (e) { release(); return E.left(`${out}: cannot remove the earlier run: ${ioCause(e)}`); }
  }
  return E.right({ out, checkpoint, metrics, notes, release });
}
