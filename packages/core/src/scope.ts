import { tensorsIn } from './pytree.js';
import type { Tensor } from './tensor.js';

const scopes: Set<Tensor>[] = [];

/** Called by the Tensor constructor: the innermost `tidy` owns every tensor created inside it. */
export function track(t: Tensor): void {
  scopes.at(-1)?.add(t);
}

/**
 * Runs `f` and disposes every tensor created inside it except those in its result (any pytree) and those
 * passed to `keep`. Kept results belong to the enclosing scope. This is how GPU memory is freed
 * deterministically; on the reference backend garbage collection alone is also fine.
 */
export function tidy<R>(f: () => R): R {
  const scope = new Set<Tensor>();
  scopes.push(scope);
  let result: R;
  try { result = f(); } catch (e) {
    // nothing escapes a failed tidy: free what it made (as tf.tidy does), then rethrow
    for (const t of scope) t.dispose();
    throw e;
  } finally { scopes.pop(); }
  const survivors = new Set(tensorsIn(result));
  for (const t of scope) if (!survivors.has(t)) t.dispose();
  for (const t of survivors) if (scope.has(t)) track(t);
  return result;
}

/** Takes `t` out of every enclosing `tidy`, so it lives until disposed explicitly. */
export function keep<T extends Tensor>(t: T): T {
  for (const s of scopes) s.delete(t);
  return t;
}
