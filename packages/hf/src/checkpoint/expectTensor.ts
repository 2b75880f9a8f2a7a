import * as E from 'fp-ts/lib/Either.js';
import { checkpointError, fmtDims, type CheckpointError } from './errors.js';
import type { LoadedTensor } from './tensorData.js';

/** The named tensor with exactly the given shape, or a Left naming the file and tensor (missing or wrong shape). */
export function expectTensor(
  tensors: ReadonlyMap<string, LoadedTensor>,
  name: string,
  shape: readonly number[],
  file: string,
): E.Either<CheckpointError, LoadedTensor> {
  const t = tensors.get(name);
  if (t === undefined) return E.left(checkpointError('MissingTensor', file, 'missing', name));
  if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i]))
    return E.left(checkpointError('ShapeMismatch', file, `shape ${fmtDims(t.shape)}, expected ${fmtDims(shape)}`, name));
  return E.right(t);
}
