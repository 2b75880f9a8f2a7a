import { type Expr, type Head, concatExpr, gatherExpr, isElementwisePrim, stableKey, touchesBfloat16 } from '../kernel.js';
import { type View, broadcastView, concatViews, contiguousView, gatherViews, isContiguousView, padView, permuteView, reshapeView, sliceView } from '../ir/view.js';
import type { PrimParams, TensorInfo } from '../primitives.js';
import { roundTo } from '../dtype.js';
import { sameShape, sizeOf } from '../shape.js';
import { type Program, type Ref, type Step, sameRef } from './program.js';

type PrimStep = Step & { kind: 'prim' };
const MAX_EXPR = 256;
const INLINE_MAX = 8;
const isReduction = (s: Step) => s.kind === 'prim' && (s.prim === 'reduceSum' || s.prim === 'reduceMax');
/** A concat or a gather: a node whose inputs are always leaves (read through views), never a prologue or inlined. */
const isPick = (s: Step) => s.kind === 'prim' && (s.prim === 'concat' || s.prim === 'gather');

/** What kernels a program's steps can join (a step `touchesBfloat16` joins none). */
function fusionKinds(infoOf: (r: Ref) => TensorInfo) {
  const bf16 = (s: Step) => touchesBfloat16(s.inputs.map(infoOf), s.out);
  // a concat (a pick of its parts read through padded views) and a gather (an indexed read) are nodes too,
  // though their inputs are always leaves
  const isElementwise = (s: Step) => s.kind === 'prim' && (isElementwisePrim(s.prim) || isPick(s)) && !bf16(s);
  const isHeadable = (s: Step) => (isReduction(s) || (s.kind === 'prim' && s.prim === 'matmul')) && !bf16(s);
  return { isElementwise, isHeadable };
}

/**
 * For each step, the step whose kernel computes it, and for the nodes of a reduction's prologue that
 * reduction. An element-wise step (or a matmul/reduction, as a head) is computed inside its readers' kernel
 * when every reader is element-wise and they all belong to one kernel; it is then recomputed at each use
 * inside that kernel instead of stored. An element-wise step read only by one reduction (directly or through
 * other nodes of its prologue) is computed inside the reduction, as its prologue, and never stored. A kernel
 * holds at most one head, of the kernel's own output shape (a head cannot be broadcast). With `recompute`, a
 * cheap element-wise step (at most INLINE_MAX nodes, counting the inlined steps it reads) whose readers are
 * element-wise, in several kernels, each evaluating it over its own size (no broadcast), is `inline`:
 * recomputed inside each of them, never stored (one launch and one stored tensor fewer, for more reads).
 */
function kernelRoots(p: Program, { isElementwise, isHeadable }: ReturnType<typeof fusionKinds>, recompute: boolean): { root: Int32Array; prologueOf: Int32Array; inline: Uint8Array } {
  const n = p.steps.length;
  const readers: number[][] = Array.from({ length: n }, () => []);
  p.steps.forEach((s, i) => s.inputs.forEach((r) => { if (r.kind === 'step') readers[r.index].push(i); }));
  const isOutput = new Set(p.outputs.flatMap((r) => (r.kind === 'step' ? [r.index] : [])));
  const root = Int32Array.from({ length: n }, (_, i) => i);
  const prologueOf = new Int32Array(n).fill(-1);
  const inline = new Uint8Array(n);
  // how many times the kernel holding step c evaluates it: a value inlined into a kernel over a larger shape
  // would be recomputed at every broadcast element, so it is inlined only where the sizes are equal
  const evaluatedOver = (c: number): number => {
    if (inline[c]) return sizeOf(p.steps[c].out.shape);
    const k = prologueOf[c] >= 0 ? prologueOf[c] : root[c];
    const own = sizeOf(p.steps[c].out.shape), over = isReduction(p.steps[k]) && prologueOf[c] >= 0 ? sizeOfInput(k) : sizeOf(p.steps[k].out.shape);
    return own === over ? own : -1;
  };
  const sizeOfInput = (k: number): number => { const r = p.steps[k].inputs[0]; return r.kind === 'step' ? sizeOf(p.steps[r.index].out.shape) : -1; };
  for (let i = n - 1; i >= 0; i--) {
    const s = p.steps[i];
    if (isOutput.has(i) || readers[i].length === 0 || !(isElementwise(s) || isHeadable(s))) continue;
    if (readers[i].some((c) => isPick(p.steps[c]))) continue; // a concat or a gather reads stored values (through views)
    if (isElementwise(s) && !isPick(s)) { // a prologue reads no padded view (a concat reads only those) and no gather
      const red = readers[i].map((c) => (isReduction(p.steps[c]) ? c : prologueOf[c]));
      if (red[0] >= 0 && red.every((x) => x === red[0])) { prologueOf[i] = red[0]; continue; }
    }
    const shared = readers[i].some((c) => inline[c] || prologueOf[c] >= 0) || !readers[i].every((c) => root[c] === root[readers[i][0]]);
    if (isElementwise(s) && !isPick(s) && shared && recompute && readers[i].every((c) => isElementwise(p.steps[c]) && sizeOf(s.out.shape) === evaluatedOver(c))) {
      inline[i] = 1;
      continue;
    }
    if (!readers[i].every((c) => isElementwise(p.steps[c]) && prologueOf[c] < 0)) continue; // a prologue holds no head
    const r = root[readers[i][0]];
    if (!readers[i].every((c) => root[c] === r && !inline[c])) continue;
    if (isHeadable(s) && !sameShape(s.out.shape, p.steps[r].out.shape)) continue;
    root[i] = r;
  }
  // Recomputing shared values at each use can blow an expression up (x = x*x, thirty times): such shared
  // values are stored instead (and a prologue holding one is dropped: its nodes are stored).
  const group = (i: number) => (prologueOf[i] >= 0 ? -1 - prologueOf[i] : root[i]);
  const size = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    size[i] = 1;
    for (const r of p.steps[i].inputs) if (r.kind === 'step' && group(r.index) === group(i) && r.index !== i) size[i] += size[r.index];
  }
  for (let i = 0; i < n; i++) if (root[i] !== i && prologueOf[i] < 0 && readers[i].length > 1 && size[root[i]] > MAX_EXPR) root[i] = i;
  const dropped = new Set<number>();
  for (let i = 0; i < n; i++) if (prologueOf[i] >= 0 && readers[i].length > 1 && size[i] > MAX_EXPR) dropped.add(prologueOf[i]);
  for (let i = 0; i < n; i++) if (dropped.has(prologueOf[i])) prologueOf[i] = -1;
  const headOf = new Map<number, number>();
  p.steps.forEach((s, i) => {
    if (!isHeadable(s) || root[i] === i) return;
    if (headOf.has(root[i])) root[i] = i; // a second head gets its own kernel
    else headOf.set(root[i], i);
  });
  for (let i = 0; i < n; i++) if (prologueOf[i] >= 0) root[i] = root[prologueOf[i]];
  // an inlined step's nodes, each inlined step it reads counted at every read; past INLINE_MAX it is stored
  const inlineSize = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    if (!inline[i]) continue;
    inlineSize[i] = 1;
    for (const r of p.steps[i].inputs) if (r.kind === 'step' && inline[r.index]) inlineSize[i] += inlineSize[r.index];
    if (inlineSize[i] > INLINE_MAX) inline[i] = 0;
  }
  return { root, prologueOf, inline };
}

const MOVEMENT = new Set(['permute', 'slice', 'broadcastTo', 'reshape', 'pad']);
const stepOf = (p: Program, r: Ref): PrimStep | undefined => (r.kind === 'step' ? (p.steps[r.index] as PrimStep) : undefined);

/** `v` moved by movement step `s`, or null where the result is not a view of the same storage. */
function moved(v: View, s: PrimStep): View | null {
  switch (s.prim) {
    case 'permute': return permuteView(v, (s.params as PrimParams['permute']).perm);
    case 'slice': { const q = s.params as PrimParams['slice']; return sliceView(v, q.starts, q.ends); }
    case 'broadcastTo': return broadcastView(v, (s.params as PrimParams['broadcastTo']).shape);
    case 'pad': { const q = s.params as PrimParams['pad']; return padView(v, q.before, q.after, roundTo(s.out.dtype, q.value)); }
    default: return reshapeView(v, (s.params as PrimParams['reshape']).shape);
  }
}

/**
 * The stored value `x` reads and the view it reads it through, looking through permutes, slices,
 * broadcasts, pads and reshapes (a reshape only where it can be a view, a pad unless the view is padded
 * already with another value). `view` is null when it is read as stored.
 */
function viewed(p: Program, x: Ref, infoOf: (r: Ref) => TensorInfo): { ref: Ref; view: View | null } {
  const chain: { s: PrimStep; ref: Ref }[] = [];
  let ref = x;
  for (let s = stepOf(p, ref); s && MOVEMENT.has(s.prim); s = stepOf(p, ref)) { chain.unshift({ s, ref }); ref = s.inputs[0]; }
  let view = contiguousView(infoOf(ref).shape);
  for (const c of chain) {
    const next = moved(view, c.s);
    if (next) view = next;
    else { ref = c.ref; view = contiguousView(c.s.out.shape); }
  }
  return { ref, view: sameShape(view.shape, infoOf(ref).shape) && isContiguousView(view) ? null : view };
}

/**
 * Fuses element-wise chains, with matmul/reduction epilogues and reduction prologues, into single kernels.
 * A kernel reads a permute, slice, broadcast, pad or reshape of a value through a view of its storage instead
 * of a copy (the copy is then dropped by dead-code elimination when nothing else reads it), a concat as a pick
 * of its parts' views, a gather as an indexed read of its input's view, and a range (iota) as a leaf of its own.
 */
export function fuse(p: Program, infoOf: (r: Ref) => TensorInfo, recompute = false): Program {
  const kinds = fusionKinds(infoOf), { isElementwise, isHeadable } = kinds;
  const { root, prologueOf, inline } = kernelRoots(p, kinds, recompute);
  const hasPrologue = new Set<number>(Array.from(prologueOf).filter((x) => x >= 0));
  const out: Step[] = [];
  const newRef = new Map<number, Ref>();
  const onlyProductsRead = new Array<boolean>(p.steps.length).fill(true);
  p.steps.forEach((s) => s.inputs.forEach((r) => { if (r.kind === 'step' && !(s.kind === 'prim' && s.prim === 'matmul')) onlyProductsRead[r.index] = false; }));
  p.outputs.forEach((r) => { if (r.kind === 'step') onlyProductsRead[r.index] = false; });
  const mapRef = (r: Ref): Ref => (r.kind === 'step' ? newRef.get(r.index)! : r);

  const emitKernel = (r: number) => {
    const refs: Ref[] = [], views: (View | null)[] = [], viewKeys: (string | null)[] = [];
    const indexOf = (ref: Ref, view: View | null = null) => {
      const key = view && stableKey(view);
      const j = refs.findIndex((x, k) => sameRef(x, ref) && viewKeys[k] === key);
      if (j >= 0) return j;
      views.push(view);
      viewKeys.push(key);
      return refs.push(ref) - 1;
    };
    let head: Head | undefined;
    let ops = 0, ranged = false;
    // a leaf of a reduction's prologue reads no padded view (the loops that fold a prologue read plain strided
    // values): the pad is read as stored there
    const leaf = (x: Ref, prologue = false): Expr => {
      const { ref, view } = viewed(p, x, infoOf);
      if (prologue && view?.bounds) return { op: 'input', index: indexOf(mapRef(x)), dtype: infoOf(x).dtype };
      if (ref.kind === 'const' && ref.tensor.rank === 0) return { op: 'const', value: ref.tensor.dataSync()[0], dtype: ref.tensor.dtype };
      // a range read through a view is a leaf of its own: nothing stored
      const range = stepOf(p, ref);
      if (range?.prim === 'iota' && !view?.bounds) { ranged = true; return { op: 'iota', view: view ?? contiguousView(range.out.shape), dtype: range.out.dtype }; }
      return { op: 'input', index: indexOf(mapRef(ref), view), dtype: infoOf(x).dtype };
    };
    // the stored value x reads and its view, a padded view read as stored
    const unpadded = (x: Ref): { ref: Ref; view: View } => {
      const { ref, view } = viewed(p, x, infoOf);
      return view?.bounds ? { ref: x, view: contiguousView(infoOf(x).shape) } : { ref, view: view ?? contiguousView(infoOf(ref).shape) };
    };
    // a concat: each part read through its view padded to the whole
    const concat = (s: PrimStep): Expr => {
      const seen = s.inputs.map(unpadded);
      const views = concatViews(seen.map((x) => x.view), (s.params as PrimParams['concat']).axis);
      return concatExpr(seen.map(({ ref }, j) => ({ op: 'input', index: indexOf(mapRef(ref), views[j]), dtype: s.out.dtype }) as const), s.out.dtype);
    };
    // a gather: x and its indices read through their views, the index picking the row
    const gather = (s: PrimStep): Expr => {
      const [x, idx] = s.inputs.map(unpadded);
      const { axis, batchDims } = s.params as PrimParams['gather'];
      const g = gatherViews(x.view, idx.view, axis, batchDims);
      return gatherExpr(indexOf(mapRef(x.ref), g.x), indexOf(mapRef(idx.ref), g.indices), g, s.out.dtype);
    };
    const pick = (s: PrimStep): Expr => (s.prim === 'concat' ? concat(s) : gather(s));
    // the expression of step i, recursing into the inputs `inside` says are computed in this kernel
    const node = (i: number, inside: (j: number) => boolean, prologue: boolean): Expr => {
      const s = p.steps[i] as PrimStep;
      ops++;
      if (isPick(s)) return pick(s);
      const args = s.inputs.map((x): Expr => (x.kind === 'step' && (inside(x.index) || inline[x.index]) ? node(x.index, inside, prologue) : leaf(x, prologue)));
      return { op: s.prim, args, dtype: s.out.dtype } as unknown as Expr;
    };
    const build = (i: number): Expr => {
      const s = p.steps[i] as PrimStep;
      if (!isHeadable(s)) {
        ops++;
        if (isPick(s)) return pick(s);
        const args = s.inputs.map((x): Expr => (x.kind === 'step' && inline[x.index] ? node(x.index, () => false, false)
          : x.kind === 'step' && root[x.index] === r && prologueOf[x.index] < 0 && x.index !== r ? build(x.index) : leaf(x)));
        return { op: s.prim, args, dtype: s.out.dtype } as unknown as Expr;
      }
      ops++;
      if (!head) {
        const src = s.inputs[0];
        if (s.prim !== 'matmul' && src.kind === 'step' && prologueOf[src.index] === i) {
          const expr = node(src.index, (j) => prologueOf[j] === i, true);
          head = { prim: s.prim as 'reduceSum' | 'reduceMax', prologue: { expr, out: p.steps[src.index].out }, params: s.params as PrimParams['reduceSum'] };
        } else {
          if (s.prim === 'matmul') {
            // a product reads an operand through a view when only products read the movement feeding it (so it is
            // not copied at all); a copy made anyway for another reader is read as stored, not copied again
            const [a, b] = s.inputs.map((x) => {
              if (x.kind !== 'step' || !onlyProductsRead[x.index]) return indexOf(mapRef(x));
              const { ref, view } = viewed(p, x, infoOf);
              return view?.bounds ? indexOf(mapRef(x)) : indexOf(mapRef(ref), view); // products read no padded view
            });
            head = { prim: 'matmul', inputs: [a, b], params: s.params as PrimParams['matmul'] };
          } else head = { prim: s.prim as 'reduceSum' | 'reduceMax', inputs: [indexOf(mapRef(s.inputs[0]))], params: s.params as PrimParams['reduceSum'] };
        }
      }
      return { op: 'head', dtype: s.out.dtype };
    };
    const expr = build(r);
    const s = p.steps[r];
    const viewing = views.some((v) => v !== null);
    if (ops === 1 && !viewing && !ranged) out.push({ ...s, inputs: s.inputs.map(mapRef) });
    else out.push({ kind: 'fused', kernel: { inputs: refs.map((x) => infoOfNew(x)), ...(viewing ? { views } : {}), out: s.out, expr, ...(head ? { head } : {}) }, inputs: refs, out: s.out });
    newRef.set(r, { kind: 'step', index: out.length - 1 });
  };
  const infoOfNew = (r: Ref): TensorInfo => (r.kind === 'step' ? out[r.index].out : infoOf(r));

  p.steps.forEach((s, i) => {
    if (root[i] !== i || inline[i]) return; // computed inside its root's kernel, or inside each reader's
    // a product of its own is a kernel too, so that it reads its operands through views
    if (isElementwise(s) || hasPrologue.has(i) || (isHeadable(s) && s.kind === 'prim' && s.prim === 'matmul')) emitKernel(i);
    else { out.push({ ...s, inputs: s.inputs.map(mapRef) }); newRef.set(i, { kind: 'step', index: out.length - 1 }); }
  });
  return { steps: out, outputs: p.outputs.map(mapRef) };
}
