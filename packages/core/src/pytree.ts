import { TensorError } from './errors.js';
import { Tensor } from './tensor.js';

/** Nested records and arrays with tensors at the leaves (a model's parameters, a batch, gradients). */
export type Pytree = Tensor | readonly Pytree[] | { readonly [k: string]: Pytree };

/** Same structure as T, with each tensor leaf replaced by L. */
export type MapLeaves<T, L> = T extends Tensor ? L
  : T extends readonly unknown[] ? { -readonly [K in keyof T]: MapLeaves<T[K], L> }
  : T extends object ? { -readonly [K in keyof T]: MapLeaves<T[K], L> } : never;

export interface Leaf { readonly path: string; readonly tensor: Tensor }

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype;

const child = (path: string, key: string | number): string =>
  typeof key === 'number' ? `${path}[${key}]` : path === '' ? key : `${path}.${key}`;

/**
 * The tensor leaves of a pytree in a fixed order (arrays by index, records by sorted key), each with its
 * path (`layers[0].wq`). A leaf that is not a tensor is a TensorError naming its path.
 */
export function leaves(tree: unknown, op = 'pytree', root = ''): Leaf[] {
  const out: Leaf[] = [];
  const walk = (v: unknown, path: string): void => {
    if (v instanceof Tensor) out.push({ path, tensor: v });
    else if (Array.isArray(v)) v.forEach((x, i) => walk(x, child(path, i)));
    else if (isRecord(v)) for (const k of Object.keys(v).sort()) walk(v[k], child(path, k));
    else throw new TensorError({ kind: 'InvalidArgument', op, message: `expected a tensor, an array or a plain record, got ${describe(v)}`, path: path || '(root)' });
  };
  walk(tree, root);
  return out;
}

/** Rebuilds `tree`'s structure with leaves taken in `leaves()` order from `values`. */
export function unflatten<T, L>(tree: T, values: readonly L[]): MapLeaves<T, L> {
  let i = 0;
  const build = (v: unknown): unknown => {
    if (v instanceof Tensor) return values[i++];
    if (Array.isArray(v)) return v.map(build);
    const r: Record<string, unknown> = {};
    for (const k of Object.keys(v as object).sort()) r[k] = build((v as Record<string, unknown>)[k]);
    return r;
  };
  const out = build(tree);
  if (i !== values.length) throw new TensorError({ kind: 'InvalidArgument', op: 'unflatten', message: `tree has ${i} leaves but ${values.length} values were given` });
  return out as MapLeaves<T, L>;
}

/** Every tensor anywhere inside `v` (arrays, records, Maps' values), ignoring everything else. */
export function tensorsIn(v: unknown, out: Tensor[] = []): Tensor[] {
  if (v instanceof Tensor) out.push(v);
  else if (Array.isArray(v)) for (const x of v) tensorsIn(x, out);
  else if (v instanceof Map) for (const x of v.values()) tensorsIn(x, out);
  else if (isRecord(v)) for (const x of Object.values(v)) tensorsIn(x, out);
  return out;
}

/**
 * Disposes the tensors of `old` that `kept` does not hold: after a step that replaced some tensors of a
 * state (parameters, optimizer moments), what was replaced is freed and what carried over stays.
 */
export function disposeReplaced(old: unknown, kept: unknown): void {
  const keep = new Set(tensorsIn(kept));
  for (const t of tensorsIn(old)) if (!keep.has(t)) t.dispose();
}

export const mapLeaves = <T, L>(tree: T, f: (t: Tensor, path: string) => L): MapLeaves<T, L> =>
  unflatten(tree, leaves(tree).map((l) => f(l.tensor, l.path)));

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return `an object of class ${(v as object).constructor?.name ?? 'unknown'}`;
  return `${typeof v} ${String(v)}`;
}
