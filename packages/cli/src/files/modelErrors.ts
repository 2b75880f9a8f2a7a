import * as E from 'fp-ts/lib/Either.js';
import { TensorError } from '@safekey-ts/core';

/** Runs `f`; a model that turns non-finite on the way is an error naming the checkpoint, not text or a score. */
export function namingCheckpoint<A>(checkpoint: string, f: () => A): E.Either<string, A> {
  try {
    return E.right(f());
  } catch (e) {
    if (e instanceof TensorError && e.kind === 'NonFinite') return E.left(`${checkpoint}: ${e.message}`);
    throw e;
  }
}
