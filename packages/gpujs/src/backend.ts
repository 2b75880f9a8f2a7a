import {
  type Backend, type BackendInput, type DType, type DataHandle, type FusedKernel, type MemoryStats, type PrimParams,
  type Primitive, type TensorInfo, type TypedArray, TensorError, checkGatherIndices, checkIndices, heldValue, kernelKey, newHandle, releaseHandle, runSplitPrologue, shareHandle, sizeOf,
} from '@safekey-ts/core';
import { type Dialect, type KernelSource, MAX_ELEMENTS, copySource, fusedSource, movementSource } from './codegen.js';
import type { Buf, Device, RunMode } from './device.js';

/** A reduction of a prologue over an axis of length 0 (its loop would never run): the prologue runs as a kernel of its own first. */
const emptyReduction = (k: FusedKernel): boolean =>
  k.head !== undefined && 'prologue' in k.head && k.head.params.axes.some((d) => (k.head as { prologue: { out: TensorInfo } }).prologue.out.shape[d] === 0);

export interface GpujsStats {
  readonly mode: RunMode;
  readonly fallbackReason: string | null;
  /** Distinct gpu.js kernels compiled (kernels are shared between cache keys with the same source). */
  readonly kernelsCompiled: number;
  /** Total time of first calls (gpu.js builds a kernel on its first call; the first run is included). */
  readonly compileMs: number;
  /** Cache keys (op, dtypes, shapes, params) seen. */
  readonly cacheKeys: number;
  readonly kernelRuns: number;
  readonly uploads: number;
  readonly readbacks: number;
  /** Tensor buffers allocated on the device and not yet freed (views share their buffer). */
  readonly liveBuffers: number;
  readonly liveBytes: number;
}

export interface GpujsBackend extends Backend {
  /** The mode kernels run in. */
  readonly mode: RunMode;
  /** Why no GPU mode was taken (auto), or null. */
  readonly fallbackReason: string | null;
  stats(): GpujsStats;
  /** Frees every cached kernel and the gpu.js instance; the backend cannot be used afterwards. */
  destroy(): void;
}

/** A tensor's buffer (shared by its reshapes), with its host copy where one is kept. */
interface Store { buf: Buf | null; readonly size: number; host: Float32Array | null; readonly dtype: DType }

const DTYPES: readonly DType[] = ['float32', 'int32', 'bool'];

/**
 * The gpu.js backend on an opened device (the entry points open one: `gpujsBackend` in Node, `gpujsBrowserBackend`
 * in a page). float32, int32 and bool are stored as float32 on the device (int32 is exact for |x| < 2^24 and does
 * not wrap around on overflow); float64 is not supported. Results stay on the device until `read`; `free`
 * releases a buffer at once.
 */
export function backendOn(device: Device, fallbackReason: string | null): GpujsBackend {
  const name = `gpujs-${device.mode}`;
  const cache = new Map<string, (args: readonly Buf[]) => Buf>();
  const bySource = new Map<string, (args: readonly Buf[]) => Buf>();
  let compileMs = 0, kernelRuns = 0, uploads = 0, readbacks = 0, liveBuffers = 0, liveBytes = 0, peakBytes = 0;
  let zero: Buf | null = null;
  let destroyed = false;

  const tensorError = (kind: 'DTypeMismatch' | 'InvalidArgument' | 'Disposed', op: string, message: string) => new TensorError({ kind, op, message });
  const checkSize = (op: string, info: TensorInfo) => {
    if (sizeOf(info.shape) > MAX_ELEMENTS) throw tensorError('InvalidArgument', op, `tensor [${info.shape.join(', ')}] has more than 2^23 elements, the most the ${name} backend indexes exactly`);
  };
  const storeOf = (h: DataHandle): Store => heldValue<Store>(h);
  const newStore = (buf: Buf | null, info: TensorInfo, host: Float32Array | null = null): DataHandle => {
    const size = sizeOf(info.shape);
    liveBuffers++; liveBytes += size * 4; peakBytes = Math.max(peakBytes, liveBytes);
    return newHandle<Store>(name, { buf, size, host, dtype: info.dtype });
  };
  const zeroBuf = (): Buf => (zero ??= device.upload(new Float32Array(1)));
  const bufOf = (i: BackendInput): Buf => storeOf(i.handle).buf ?? zeroBuf();

  const compiled = (key: string, make: () => KernelSource, inputs: readonly BackendInput[]): { run: (args: readonly Buf[]) => Buf; src: KernelSource } => {
    const hit = cache.get(key);
    if (hit) return { run: hit, src: (hit as unknown as { src: KernelSource }).src };
    const src = make();
    // gpu.js builds a kernel for the argument sizes of its first call: they are part of its identity
    const sourceKey = `${src.source}|${src.size}|${src.args.map((k) => (k < 0 ? 1 : Math.max(1, sizeOf(inputs[k].info.shape)))).join(',')}`;
    let fn = bySource.get(sourceKey);
    if (!fn) {
      const k = device.compile(src);
      let first = true;
      fn = (args) => {
        if (!first) return k(args);
        const t0 = performance.now();
        const r = k(args);
        compileMs += performance.now() - t0;
        first = false;
        return r;
      };
      bySource.set(sourceKey, fn);
    }
    const entry = Object.assign((args: readonly Buf[]) => fn!(args), { src });
    cache.set(key, entry);
    return { run: entry, src };
  };

  const launch = (key: string, make: () => KernelSource, inputs: readonly BackendInput[], out: TensorInfo): DataHandle => {
    if (destroyed) throw new Error(`${name}: backend was destroyed`);
    checkSize(key.slice(0, key.indexOf('|')), out);
    if (sizeOf(out.shape) === 0) return newStore(null, out);
    const { run, src } = compiled(key, make, inputs);
    const args = src.args.map((k) => (k < 0 ? zeroBuf() : bufOf(inputs[k])));
    kernelRuns++;
    return newStore(run(args), out);
  };

  /** Host values of an int32 tensor (kept from its upload, or read back once and kept: tensors are immutable). */
  const hostValues = (i: BackendInput): Float32Array => {
    const s = storeOf(i.handle);
    if (!s.host) { s.host = s.buf === null ? new Float32Array(0) : device.read(s.buf, s.size).slice(); readbacks++; }
    return s.host;
  };

  const backend: GpujsBackend = {
    name,
    dtypes: DTYPES,
    // a launch costs more than recomputing a cheap shared value in each kernel that reads it
    recompute: true,
    mode: device.mode,
    fallbackReason,
    upload: (data: TypedArray, info: TensorInfo): DataHandle => {
      if (!DTYPES.includes(info.dtype)) throw tensorError('DTypeMismatch', 'upload', `backend ${name} does not support ${info.dtype} (float32, int32 and bool only)`);
      checkSize('upload', info);
      uploads++;
      if (data.length === 0) return newStore(null, info);
      const f32 = data instanceof Float32Array ? data : Float32Array.from(data as ArrayLike<number>);
      const buf = device.upload(f32);
      return newStore(buf, info, info.dtype === 'float32' ? null : (f32 === data ? f32.slice() : f32));
    },
    read: (h: DataHandle, info: TensorInfo): TypedArray => {
      const s = storeOf(h);
      readbacks++;
      const f = s.buf === null ? new Float32Array(0) : s.host ?? device.read(s.buf, s.size);
      switch (info.dtype) {
        case 'float32': return f.slice();
        case 'int32': return Int32Array.from(f);
        case 'bool': return Uint8Array.from(f, (v) => (v !== 0 ? 1 : 0));
        default: throw tensorError('DTypeMismatch', 'read', `backend ${name} does not support ${info.dtype}`);
      }
    },
    runRoutine: <P extends Primitive>(prim: P, inputs: readonly BackendInput[], params: PrimParams[P], out: TensorInfo): DataHandle => {
      if (prim === 'reshape') return shareHandle(inputs[0].handle);
      if (prim === 'scatterAdd') checkIndices('scatterAdd', hostValues(inputs[1]), (params as PrimParams['scatterAdd']).size);
      const key = `${prim}|${JSON.stringify(params)}|${inputs.map((i) => `${i.info.dtype}[${i.info.shape.join(',')}]`).join(';')}|${out.dtype}[${out.shape.join(',')}]`;
      return launch(key, () => movementSource(prim, inputs.map((i) => i.info), params, out, device.dialect), inputs, out);
    },
    runKernel: (kernel: FusedKernel, inputs: readonly BackendInput[]): DataHandle => {
      checkGatherIndices(kernel, (j) => hostValues(inputs[j]));
      return (emptyReduction(kernel) ? runSplitPrologue(backend, kernel, inputs) : null)
        ?? launch(`fused|${kernelKey(kernel)}`, () => fusedSource(kernel, device.dialect), inputs, kernel.out);
    },
    free: (h: DataHandle): void => {
      const s = releaseHandle<Store>(h);
      if (!s) return;
      liveBuffers--; liveBytes -= s.size * 4;
      if (s.buf !== null) device.free(s.buf);
      s.buf = null;
    },
    memory: (): MemoryStats => ({ liveBuffers, liveBytes, peakBytes }),
    stats: (): GpujsStats => ({
      mode: device.mode, fallbackReason, kernelsCompiled: bySource.size, compileMs, cacheKeys: cache.size,
      kernelRuns, uploads, readbacks, liveBuffers, liveBytes,
    }),
    destroy: () => {
      if (destroyed) return;
      destroyed = true;
      cache.clear(); bySource.clear();
      device.destroy();
    },
  };
  return backend;
}
