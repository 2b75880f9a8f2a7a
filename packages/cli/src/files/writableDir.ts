import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { ioCause } from '@safekey-ts/hf';

/**
 * Creates `dir` and proves it takes a file, before the work whose results go there: a read-only disk, a full
 * one or a file in the way is found now, by its cause, not after an hour of generation.
 */
export function writableDir(dir: string): E.Either<string, void> {
  const probe = join(dir, `.write-test-${process.pid}`);
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(probe, 'x');
    rmSync(probe);
    return E.right(undefined);
  } catch (e) {
    return E.left(`${dir}: cannot write there: ${ioCause(e)}`);
  }
}
