import { type Shape, sizeOf, stridesOf } from '../shape.js';

/**
 * How a kernel reads one of its inputs: the stored values seen as `shape`, element `idx` at
 * `offset + sum(idx[d] * strides[d])`. A permute, slice, broadcast or (viewable) reshape of a stored tensor
 * is a view of it, so a kernel reading one needs no copy: the movement fuses into the kernel's index maths.
 */
export interface View {
  readonly shape: Shape;
  readonly strides: readonly number[];
  readonly offset: number;
}

/** The view of a stored tensor as it is: row-major, from its first element. */
export const contiguousView = (shape: Shape): View => ({ shape, strides: stridesOf(shape), offset: 0 });

export function isContiguousView(v: View): boolean {
  const st = stridesOf(v.shape);
  return v.offset === 0 && v.shape.every((d, k) => d === 1 || v.strides[k] === st[k]);
}

export const permuteView = (v: View, perm: readonly number[]): View =>
  ({ shape: perm.map((p) => v.shape[p]), strides: perm.map((p) => v.strides[p]), offset: v.offset });

export const sliceView = (v: View, starts: readonly number[], ends: readonly number[]): View => ({
  shape: ends.map((e, d) => e - starts[d]),
  strides: v.strides,
  offset: v.offset + starts.reduce((o, s, d) => o + s * v.strides[d], 0),
});

/** `v` broadcast (NumPy rules) to `shape`: stride 0 on the axes it is repeated along. */
export function broadcastView(v: View, shape: Shape): View {
  const lead = shape.length - v.shape.length;
  return { shape, strides: shape.map((d, k) => (k < lead || (v.shape[k - lead] === 1 && d !== 1) ? 0 : v.strides[k - lead])), offset: v.offset };
}

/** Per axis of `out`, the strides that read `v` broadcast to it. */
export const readStrides = (v: View, out: Shape): number[] => broadcastView(v, out).strides as number[];

/** Strides that read a stored array of shape `inShape` broadcast to `outShape` (0 on broadcast axes). */
export const broadcastStrides = (inShape: Shape, outShape: Shape): number[] => readStrides(contiguousView(inShape), outShape);

/**
 * `v` reshaped to `shape` without moving data, or null where that is impossible (merging axes that are not
 * laid out one after the other, as after a transpose). NumPy's no-copy reshape: size-1 axes are dropped, then
 * each group of old axes with the product of a group of new axes must be contiguous within itself.
 */
export function reshapeView(v: View, shape: Shape): View | null {
  if (sizeOf(shape) === 0) return { ...contiguousView(shape), offset: v.offset };
  const od: number[] = [], os: number[] = [];
  v.shape.forEach((d, k) => { if (d !== 1) { od.push(d); os.push(v.strides[k]); } });
  const ns = new Array<number>(shape.length).fill(0);
  let oi = 0, oj = 1, ni = 0, nj = 1;
  while (ni < shape.length && oi < od.length) {
    let np = shape[ni], op = od[oi];
    while (np !== op) {
      if (np < op) np *= shape[nj++];
      else op *= od[oj++];
    }
    for (let k = oi; k < oj - 1; k++) if (os[k] !== od[k + 1] * os[k + 1]) return null;
    ns[nj - 1] = os[oj - 1];
    for (let k = nj - 1; k > ni; k--) ns[k - 1] = ns[k] * shape[k];
    ni = nj++;
    oi = oj++;
  }
  return { shape, strides: ns, offset: v.offset };
}
