import { leaves } from '@safekey-ts/core';

/** The first non-finite value among the tensors of `tree` (in `leaves` order), with its leaf path and index. */
export function firstNonFiniteLeaf(tree: unknown): { readonly path: string; readonly index: number; readonly value: number } | undefined {
  for (const { path, tensor } of leaves(tree, 'saveCheckpoint')) {
    if (tensor.dtype !== 'float32' && tensor.dtype !== 'float64') continue;
    const data = tensor.dataSync() as Float32Array | Float64Array;
    for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i]!)) return { path, index: i, value: data[i]! };
  }
  return undefined;
}
