import { availableParallelism } from 'node:os';
import {
  type Backend, type BackendInput, type DataHandle, type Expr, type FusedKernel, type PrimParams,
  type Primitive, type TensorInfo, type TypedArray, DTYPES, TensorError, compositePrimitives,
  broadcastStrides, checkGatherIndices, checkIndices, dtypeOfArray, contiguousView, gatherViews, gatheredValues, gathersAsInputs, leafViews, headDtype, inputView, iotaAsInputs, isContiguousView, type LeavesAsInputs, paddedPieces, readStrides, referenceKernels, sizeOf, stridesOf, heldValue, newHandle, releaseHandle, shareHandle,
} from '@safekey-ts/core';
import { attentionFits, runAttention } from './attention.js';
import { castBf16 } from './bfloat16.js';
import { type EwiseVM, type Operand, VM_MIN_ELEMENTS, type VmKernels, runElementwise, stridedCopy } from './elementwise.js';
import { scatterAdd } from './indexing.js';
import { type GemmEngine, jsEngine, matmul } from './matmul.js';
import { type NativeAddon, loadNative, nativeEngine, useThreads } from './native.js';
import { type Allocator, BufferPool } from './pool.js';
import { reduce, reducePrologue } from './reduce.js';
import { WasmGemm, WasmRuntime, type WasmVariant, loadWasm } from './wasm.js';
import { type CompositeKernels, wasmComposites } from './wasm-composites.js';
import { WasmVM } from './wasm-ewise.js';

/** Which implementation runs the heavy kernels (matmul): oneDNN through the addon, WebAssembly SIMD, or plain JS. */
export type CpuPath = 'native' | 'wasm' | 'js';

export interface CpuBackendOptions {
  /** Threads for the heavy kernels (oneDNN's OpenMP threads, or the wasm worker pool). Default: all cores. */
  readonly threads?: number;
  /** `auto` (default): native when the addon loads, else wasm, else js. A forced path that is unavailable throws. */
  readonly path?: CpuPath | 'auto';
  /** Keep time and call counts per primitive (and per fused kernel kind), read with `profile()`; `shapes` keys them by shapes too. */
  readonly profile?: boolean | 'shapes';
  /**
   * The smallest element-wise kernel or reduction sent to the addon's or the wasm path's VM (default 1024;
   * smaller ones run in JS, where a call costs less). 1 sends every kernel there, as the tests do.
   */
  readonly vmMinElements?: number;
}

export interface OpStats { readonly calls: number; readonly ms: number; readonly elements: number }

export interface CpuBackend extends Backend {
  readonly path: CpuPath;
  /** Why `auto` did not get the native path (absent when it did, or when a path was forced). */
  readonly fallbackReason?: string;
  readonly threads: number;
  /** On the wasm path, which build runs: baseline SIMD or relaxed SIMD (fused multiply-adds in the products). */
  readonly wasmVariant?: WasmVariant;
  /** Stops worker threads, if any (they are unref'd, so a process exits without this too). */
  close(): void;
  /** Time per primitive since creation or the last reset (empty unless made with `profile: true`). */
  profile(reset?: boolean): Record<string, OpStats>;
  /** Kernels run in the addon's or the wasm path's element-wise VM since the backend was made. */
  vmCalls(): number;
}

type In = { readonly data: TypedArray; readonly info: TensorInfo };

interface PathKernels {
  path: CpuPath; engine: GemmEngine; close: () => void; reason?: string; addon?: NativeAddon;
  /** The wasm path's VM, composite kernels, arena and build. */
  wasm?: { vm: WasmVM; composites: CompositeKernels; arena: Allocator; variant: WasmVariant };
}

function pickPath(path: CpuPath | 'auto', threads: number): PathKernels {
  const reasons: string[] = [];
  if (path === 'native' || path === 'auto') {
    const n = loadNative();
    if ('addon' in n) return { path: 'native', engine: nativeEngine(n.addon, threads), close: () => undefined, addon: n.addon };
    if (path === 'native') throw new Error(`cpu backend: the native path is unavailable: ${n.error}`);
    reasons.push(n.error);
  }
  if (path === 'wasm' || path === 'auto') {
    const w = loadWasm();
    if ('module' in w) {
      const rt = new WasmRuntime(w.module, threads, w.variant);
      return { path: 'wasm', engine: new WasmGemm(rt), close: () => rt.close(), wasm: { vm: new WasmVM(rt), composites: wasmComposites(rt), arena: rt.arena, variant: w.variant },
        ...(reasons.length ? { reason: reasons.join('; ') } : {}) };
    }
    if (path === 'wasm') throw new Error(`cpu backend: the wasm path is unavailable: ${w.error}`);
    reasons.push(w.error);
  }
  return { path: 'js', engine: jsEngine, close: () => undefined, ...(reasons.length ? { reason: reasons.join('; ') } : {}) };
}

/** A kernel's profile key: a copy through a view, a gather, a head with or without an epilogue, or an element-wise kernel. */
function profileKey(k: FusedKernel): string {
  if (k.expr.op === 'input') return 'copy';
  if (k.expr.op === 'gather') return 'gather';
  return k.head ? `fused+${k.head.prim}` : 'fused';
}

/**
 * The fast CPU backend. Matmuls run in oneDNN (native), WebAssembly SIMD (wasm) or JS. On the native path
 * element-wise kernels (primitives, fused kernels, copies) of at least 1024 elements without float64 and the
 * reductions run in the addon (native/ewise.cc, reduce.cc); on the wasm path those whose nodes are all float32 or bool run
 * in the wasm VM (wasm-ewise.ts); everything else runs in JS loops compiled once per kernel structure. Freed
 * buffers are recycled (pool.ts; on the wasm path every array lives in the wasm memory, wasm-arena.ts).
 *
 * Precision: float32 matmuls accumulate in float32 on the native and wasm paths; everything else gives the
 * reference backend's bits, except that the addon takes float32 exp from its own vectorised double exp and
 * log/sin/cos/tanh/pow from glibc where V8 uses fdlibm: they agree to the last bit of the double in nearly
 * all cases, so the float32 results are identical except in rare cases (none in 4M random inputs each).
 * The native and wasm paths also run the composite primitives: rope with the bits of its decomposition,
 * attention with float32 products and a float exp (within 1.4e-7 relative), its sums in double.
 */
export function cpuBackend(opts: CpuBackendOptions = {}): CpuBackend {
  const threads = Math.max(1, Math.floor(opts.threads ?? availableParallelism()));
  const kernelsOfPath = pickPath(opts.path ?? 'auto', threads);
  const engine = kernelsOfPath.engine;
  // the addon's element-wise VM and reductions, on the native path (null elsewhere)
  const addon = kernelsOfPath.addon ?? null;
  const addonOnThreads = (): NativeAddon | null => { if (addon) useThreads(addon, threads); return addon; };
  const minElements = opts.vmMinElements ?? VM_MIN_ELEMENTS;
  const innerVm: VmKernels | null = addon ?? kernelsOfPath.wasm?.vm ?? null;
  let vmCalls = 0;
  const vmHere: EwiseVM | null = innerVm && {
    minElements,
    ewise: (...a: Parameters<EwiseVM['ewise']>) => { const ran = innerVm.ewise(...a); if (ran !== false) vmCalls++; return ran; },
    ...(innerVm.reduce ? { reduce: (...a: Parameters<NonNullable<EwiseVM['reduce']>>) => { vmCalls++; innerVm.reduce!(...a); } } : {}),
  };
  /** The element-wise VM: the addon's or the wasm path's (null on the js path). */
  const vm = (): EwiseVM | null => { addonOnThreads(); return vmHere; };
  let liveBuffers = 0, liveBytes = 0, peakBytes = 0;
  const pool: Allocator = kernelsOfPath.wasm?.arena ?? new BufferPool();
  const alloc = pool.alloc;
  let stats = new Map<string, { calls: number; ms: number; elements: number }>();
  const record = (key: string, t0: number, elements: number) => {
    const s = stats.get(key) ?? { calls: 0, ms: 0, elements: 0 };
    s.calls++; s.ms += performance.now() - t0; s.elements += elements;
    stats.set(key, s);
  };
  const prof = opts.profile === true || opts.profile === 'shapes';
  const byShape = opts.profile === 'shapes';
  const shapesOf = (inputs: readonly BackendInput[]) => inputs.map((i) => `[${i.info.shape.join(',')}]`).join(' ');

  // a tensor's array is shared by its reshapes (counted once in `memory()`)
  const make = (data: TypedArray): DataHandle => {
    liveBuffers++; liveBytes += data.byteLength; peakBytes = Math.max(peakBytes, liveBytes);
    return newHandle('cpu', data);
  };
  const dataOf = (h: DataHandle): TypedArray => heldValue<TypedArray>(h);
  const ins = (inputs: readonly BackendInput[]): In[] => inputs.map((i) => ({ data: dataOf(i.handle), info: i.info }));

  // the routines on arrays; reshape shares storage, and the composites and bfloat16 casts run in `runRoutine`
  // (a product or a gather arrives here only with a bfloat16 operand: core lowers the others to kernels)
  type ArrayPrim = 'matmul' | 'gather' | 'scatterAdd';
  const kernels: { readonly [P in ArrayPrim]: (xs: In[], p: PrimParams[P], out: TensorInfo) => TypedArray } = {
    matmul: ([a, b], { transA, transB }, o) => matmul(engine, a.data, a.info, b.data, b.info, transA, transB, o, alloc),
    gather: ([x, idx], { axis, batchDims }, o) => {
      const g = gatherViews(contiguousView(x.info.shape), contiguousView(idx.info.shape), axis, batchDims);
      checkIndices('gather', idx.data, g.size);
      return gatheredValues(g, x.data, idx.data, o.dtype, alloc);
    },
    scatterAdd: ([upd, idx], { axis, batchDims }, o) => scatterAdd(upd.data, idx.data as Int32Array, idx.info, axis, batchDims, o, alloc),
  };

  /**
   * Input `j` of `kernel` as its view sees it, contiguous: the input itself when it has no view, its stored
   * values seen in the view's shape when the view reads them in order (a reshape), else a copy (`copied`).
   */
  const operand = (kernel: FusedKernel, j: number, x: In): In & { copied?: true } => {
    const v = kernel.views?.[j];
    if (!v) return x;
    if (v.bounds) throw new TensorError({ kind: 'InvalidArgument', op: 'matmul', message: 'cpu: a product operand read through a padded view (jit stores those)' });
    if (isContiguousView({ ...v, offset: 0 })) return { data: x.data.subarray(v.offset, v.offset + sizeOf(v.shape)), info: { shape: v.shape, dtype: x.info.dtype } };
    const r = alloc(x.info.dtype, sizeOf(v.shape));
    stridedCopy(x.info.dtype, v.shape, { data: r, offset: 0, strides: stridesOf(v.shape) }, { data: x.data, offset: v.offset, strides: v.strides }, vm());
    return { data: r, info: { shape: v.shape, dtype: x.info.dtype }, copied: true };
  };

  /** Runs `lowered.kernel` with the inputs it adds (`valuesOf` computes each) after `inputs`; frees them after. */
  const withInputs = <L extends Expr>(lowered: LeavesAsInputs<L>, inputs: readonly BackendInput[], valuesOf: (a: LeavesAsInputs<L>['added'][number]) => TypedArray): DataHandle => {
    const added = lowered.added.map((a) => make(valuesOf(a)));
    try {
      return runKernel(lowered.kernel, [...inputs, ...added.map((handle, j) => ({ handle, info: lowered.added[j].info }))]);
    } finally {
      added.forEach((h) => backend.free(h));
    }
  };

  let lastFused: 'vm' | 'js' | 'head' = 'js';
  const runKernel = (kernel: FusedKernel, inputs: readonly BackendInput[]): DataHandle => {
    // a range leaf is read from a stored range (the loops read only stored values)
    const ranged = iotaAsInputs(kernel);
    if (ranged) return withInputs(ranged, inputs, ({ info }) => { const r = alloc(info.dtype, info.shape[0]); for (let i = 0; i < r.length; i++) r[i] = i; return r; });
    // a gather is read from its gathered values (the loops have no indexed reads)
    const gathered = gathersAsInputs(kernel);
    if (gathered) {
      checkGatherIndices(kernel, (j) => dataOf(inputs[j].handle));
      const values = ({ leaf, info }: (typeof gathered.added)[number]) => gatheredValues(leafViews(kernel, leaf), dataOf(inputs[leaf.index].handle), dataOf(inputs[leaf.indices].handle), info.dtype, alloc);
      // a gather alone: its gathered values are the output
      if (kernel.expr.op === 'gather' && !kernel.head && sizeOf(gathered.added[0].info.shape) === sizeOf(kernel.out.shape)) { lastFused = 'js'; return make(values(gathered.added[0])); }
      return withInputs(gathered, inputs, values);
    }
    const xs = ins(inputs);
    const out = kernel.out;
    // each input as the kernel reads it over `shape`: through its view, broadcast
    const operands = (shape: readonly number[]) => xs.map((x, j) => {
      const v = inputView(kernel, j);
      return { data: x.data, offset: v.offset, strides: readStrides(v, shape) };
    });
    let head: TypedArray | null = null;
    if (kernel.head) {
      const headOutDtype = headDtype(kernel.expr) ?? out.dtype;
      const h = kernel.head;
      const hOut = { shape: out.shape, dtype: headOutDtype };
      if (h.prim === 'matmul') {
        // the gemm engines read contiguous operands: a viewed one other than a reshape is copied here (into a pooled array)
        const [a, b] = h.inputs.map((j) => operand(kernel, j, xs[j]));
        head = matmul(engine, a.data, a.info, b.data, b.info, h.params.transA, h.params.transB, hOut, alloc);
        for (const x of [a, b]) if (x.copied) pool.release(x.data);
      } else if ('prologue' in h) {
        const shape = h.prologue.out.shape;
        head = reducePrologue(h.prim === 'reduceSum' ? 'sum' : 'max', h.prologue.expr, shape, operands(shape), h.params.axes, headOutDtype, vm(), alloc, pool.release);
      } else {
        const x = xs[h.inputs[0]];
        head = reduce(h.prim === 'reduceSum' ? 'sum' : 'max', x.data, x.info.shape, h.params.axes, headOutDtype, vm(), alloc, pool.release);
      }
      if (kernel.expr.op === 'head' && headOutDtype === out.dtype) { lastFused = 'head'; return make(head); }
    }
    const r = alloc(out.dtype, sizeOf(out.shape));
    const reads = operands(out.shape), outStrides = stridesOf(out.shape);
    const headRead = head ? [{ data: head, offset: 0, strides: outStrides }] : [];
    const pieces = paddedPieces(kernel);
    if (!pieces) lastFused = runElementwise(kernel.expr, out.shape, { data: r, offset: 0, strides: outStrides }, [...reads, ...headRead], head ? xs.length : -1, vm());
    else {
      // padded reads: one plain loop per box of the output, a read that is all fill there a constant
      const at = (x: Operand, lo: readonly number[]): Operand => ({ ...x, offset: x.offset + lo.reduce((o, l, d) => o + l * x.strides[d], 0) });
      for (const p of pieces) {
        const pr = [...p.inputs.map((j) => at(reads[j], p.lo)), ...headRead.map((h) => at(h, p.lo))];
        lastFused = runElementwise(p.expr, p.shape, at({ data: r, offset: 0, strides: outStrides }, p.lo), pr, head ? p.inputs.length : -1, vm());
      }
    }
    if (head) pool.release(head);
    return make(r);
  };

  /**
   * The composite primitives run in the addon or the wasm kernels (those paths list them in `composites`; on
   * the js path the ops compose them). A float64 or empty call runs the reference backend's loops.
   */
  const composites = (): CompositeKernels | null => addonOnThreads() ?? kernelsOfPath.wasm?.composites ?? null;
  const runRoutine = (prim: Exclude<Primitive, 'reshape'>, inputs: readonly BackendInput[], params: unknown, out: TensorInfo): DataHandle => {
    const compositeKernels = composites(), xs = ins(inputs);
    if ((prim === 'attention' || prim === 'attentionGrad') && compositeKernels && attentionFits(xs[0].info, xs[1].info, xs[2].info))
      return make(runAttention(compositeKernels, xs, (params as PrimParams['attention']).scale, alloc('float32', sizeOf(out.shape)) as Float32Array));
    if (prim === 'rope' && compositeKernels && out.dtype === 'float32') {
      const [x, c, s] = xs, shape = out.shape, r = alloc('float32', sizeOf(shape)) as Float32Array;
      compositeKernels.rope(x.data as Float32Array, c.data as Float32Array, s.data as Float32Array, r, Int32Array.from(shape),
        Int32Array.from(broadcastStrides(c.info.shape, shape)), Int32Array.from(broadcastStrides(s.info.shape, shape)));
      return make(r);
    }
    if (compositePrimitives.has(prim)) return make((referenceKernels[prim as 'attention'] as (xs: In[], p: unknown, out: TensorInfo) => TypedArray)(xs, params, out));
    if (prim === 'cast') return make(castBf16(xs[0], out, alloc));
    const k = kernels[prim as ArrayPrim] as ((xs: In[], p: unknown, out: TensorInfo) => TypedArray) | undefined;
    if (!k) throw new TensorError({ kind: 'InvalidArgument', op: prim, message: 'cpu: not a routine (core runs it as a kernel)' });
    return make(k(xs, params, out));
  };

  const backend: CpuBackend = {
    name: 'cpu',
    // bfloat16 (stored weights) where its arrays are JS's; the wasm path's arena keeps float32 weights
    dtypes: kernelsOfPath.wasm ? DTYPES.filter((d) => d !== 'bfloat16') : DTYPES,
    ...(addon || kernelsOfPath.wasm ? { composites: ['attention', 'attentionGrad', 'rope'] as const } : {}),
    path: kernelsOfPath.path,
    ...(kernelsOfPath.reason !== undefined ? { fallbackReason: kernelsOfPath.reason } : {}),
    // live tensors get 3 of the wasm memory's 4 GiB: the arena's size classes round up (< 25%) and its free
    // lists keep blocks of one size that another cannot use (W3-LoRA ran out at 4 GiB with its estimate under it)
    ...(kernelsOfPath.wasm ? { wasmVariant: kernelsOfPath.wasm.variant, maxBytes: 3 * 2 ** 30 } : {}),
    threads,
    upload: (data) => { const a = alloc(dtypeOfArray(data), data.length); a.set(data); return make(a); },
    read: (h) => dataOf(h).slice(),
    runRoutine: (prim, inputs, params, out) => {
      if (prim === 'reshape') return shareHandle(inputs[0].handle);
      const t0 = prof ? performance.now() : 0;
      const r = runRoutine(prim, inputs, params, out);
      if (!prof) return r;
      const key = prim === 'matmul' ? `matmul ${inputs.map((i) => `[${i.info.shape.join(',')}]`).join('x')}${(params as PrimParams['matmul']).transA ? ' tA' : ''}${(params as PrimParams['matmul']).transB ? ' tB' : ''}`
        : byShape ? `${prim} ${shapesOf(inputs)} ${JSON.stringify(params)}` : prim;
      record(key, t0, sizeOf(out.shape));
      return r;
    },
    runKernel: (kernel: FusedKernel, inputs) => {
      if (!prof) return runKernel(kernel, inputs);
      const t0 = performance.now();
      const r = runKernel(kernel, inputs);
      record(`${profileKey(kernel)} (${lastFused}, ${kernel.out.dtype})${byShape ? ` ${shapesOf(inputs)}` : ''}`, t0, sizeOf(kernel.out.shape));
      return r;
    },
    free: (h) => {
      const data = releaseHandle<TypedArray>(h);
      if (data) { liveBuffers--; liveBytes -= data.byteLength; pool.release(data); }
    },
    memory: () => ({ liveBuffers, liveBytes, peakBytes }),
    close: kernelsOfPath.close,
    vmCalls: () => vmCalls,
    profile: (reset = false) => {
      if (prof) stats.set(`(pool: ${pool.hits} hits, ${pool.misses} misses, ${(pool.bytes / 2 ** 20).toFixed(0)} MiB held)`, { calls: 0, ms: 0, elements: 0 });
      if (reset) { pool.hits = 0; pool.misses = 0; }
      const r = Object.fromEntries([...stats].sort((a, b) => b[1].ms - a[1].ms).map(([k, v]) => [k, { ...v }]));
      if (reset) stats = new Map();
      return r;
    },
  };
  return backend;
}
