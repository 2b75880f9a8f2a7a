import { type Tensor, TensorError, leaves } from '@safekey-ts/core';

export interface ZippedLeaf { readonly path: string; readonly tensors: readonly Tensor[] }

/**
 * The tensor leaves of several pytrees of one structure, side by side in `leaves()` order, with their paths.
 * A structure or shape mismatch is a programmer error: a TensorError naming `op`, the trees and the first
 * leaf that differs. Reads no tensor values, so it is safe inside `jit`.
 */
export function zipLeaves(op: string, trees: Readonly<Record<string, unknown>>): ZippedLeaf[] {
  const names = Object.keys(trees);
  const flat = names.map((n) => leaves(trees[n], op, n));
  const first = flat[0] ?? [];
  const rel = (path: string, name: string) => path.slice(name.length).replace(/^\./, '') || '(root)';
  flat.forEach((ls, k) => {
    const n = Math.max(ls.length, first.length);
    for (let i = 0; i < n; i++) {
      const a = ls[i], b = first[i];
      const pa = a ? rel(a.path, names[k]!) : '(none)', pb = b ? rel(b.path, names[0]!) : '(none)';
      if (pa !== pb)
        throw new TensorError({ kind: 'InvalidArgument', op, message: `${names[k]} does not have the structure of ${names[0]}: leaf ${i} is '${pa}', expected '${pb}'` });
      const sa = a!.tensor.shape, sb = b!.tensor.shape;
      if (sa.length !== sb.length || sa.some((d, j) => d !== sb[j]))
        throw new TensorError({ kind: 'ShapeMismatch', op, message: `${names[k]}.${pa} and ${names[0]}.${pb} differ in shape`, shapes: [sa, sb] });
    }
  });
  return first.map((l, i) => ({ path: rel(l.path, names[0]!), tensors: flat.map((ls) => ls[i]!.tensor) }));
}
