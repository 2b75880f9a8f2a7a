// WebGPU mode. gpu.js's WebGPU kernels return Promises (readback is mapAsync) while the Backend interface is
// synchronous, so the device lives in a worker thread: the main thread sends each request (upload, compile,
// run, read, free) and blocks on Atomics.wait until the worker answers. Kernel sources are generated on the
// main thread (the same code as every other mode); buffers stay on the GPU between ops (pipeline buffers),
// and `read` copies one back through a SharedArrayBuffer.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Buf, Device } from './device.js';
import type { KernelSource } from './codegen.js';

export type WebGPUProbe = { readonly ok: true; readonly device: Device } | { readonly ok: false; readonly reason: string };

const require = createRequire(import.meta.url);

// The worker: plain CommonJS, given absolute paths of gpu.js and webgpu.
const WORKER = String.raw`
const { parentPort, workerData } = require('node:worker_threads');
const { gpujsPath, webgpuPath, dawnFlags, adapterOptions } = workerData;
let GPU, gpu;
const bufs = new Map(), kernels = new Map(), copies = new Map();
const KOPTS = (src) => ({ output: [src.size], precision: 'single', pipeline: true, immutable: true, loopMaxIterations: src.loopMax + 1 });
async function init() {
  let wg;
  try { wg = await import(webgpuPath); } catch (e) { return { ok: false, reason: 'the webgpu package did not load (' + String(e.message).split('\n')[0] + ')' }; }
  Object.assign(globalThis, wg.globals);
  const g = wg.create(dawnFlags);
  const request = g.requestAdapter.bind(g);
  g.requestAdapter = (o) => request(Object.assign({}, adapterOptions, o || {}));
  globalThis.navigator = { gpu: g };
  // Dawn over a software Vulkan driver has answered null once in a while under load (1 CI run of 2 here):
  // ask up to three times before concluding there is no adapter
  let adapter = null;
  for (let i = 0; i < 3 && !adapter; i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, 200));
    adapter = await g.requestAdapter();
  }
  if (!adapter) return { ok: false, reason: 'no adapter: navigator.gpu.requestAdapter() gave null (no Vulkan/Metal/D3D driver the Dawn binding can use)' };
  ({ GPU } = require(gpujsPath));
  gpu = new GPU({ mode: 'webgpu' });
  const info = adapter.info || {};
  return { ok: true, adapter: [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' ') };
}
async function handle(m) {
  switch (m.op) {
    case 'init': return init();
    case 'upload': {
      let k = copies.get(m.data.length);
      if (!k) { k = gpu.createKernel('function (a0) {\nreturn a0[this.thread.x];\n}', KOPTS({ size: m.data.length, loopMax: 1 })); copies.set(m.data.length, k); }
      bufs.set(m.id, await k(m.data)); return {};
    }
    case 'compile': kernels.set(m.kid, gpu.createKernel(m.src.source, KOPTS(m.src))); return {};
    case 'run': {
      const k = kernels.get(m.kid);
      const r = await k(...m.args.map((id) => bufs.get(id)));
      if (k.kernel.constructor.name !== 'WebGPUKernel') throw new Error('gpu.js ran a webgpu kernel as ' + k.kernel.constructor.name);
      bufs.set(m.id, r); return {};
    }
    case 'read': { const v = await bufs.get(m.id).toArray(); new Float32Array(m.out).set(v); return {}; }
    case 'free': { const b = bufs.get(m.id); bufs.delete(m.id); if (b && b.delete) b.delete(); return {}; }
    case 'destroy': gpu && gpu.destroy(); return {};
  }
  throw new Error('unknown request ' + m.op);
}
parentPort.on('message', (m) => {
  const state = new Int32Array(m.sync, 0, 1);
  const reply = (code, payload) => {
    const bytes = new TextEncoder().encode(JSON.stringify(payload));
    const box = new Uint8Array(m.sync, 8);
    new Int32Array(m.sync, 4, 1)[0] = Math.min(bytes.length, box.length);
    box.set(bytes.subarray(0, box.length));
    Atomics.store(state, 0, code); Atomics.notify(state, 0);
  };
  handle(m).then((r) => reply(1, r), (e) => reply(2, { error: String(e && e.stack || e) }));
});
`;

let probe: WebGPUProbe | undefined;

/** Starts the WebGPU worker once; `ok: false` says why WebGPU cannot run here. */
export function webgpuDevice(): WebGPUProbe {
  if (probe) return probe;
  let webgpuPath: string, gpujsPath: string;
  try { webgpuPath = require.resolve('webgpu'); } catch { return probe = { ok: false, reason: 'no webgpu package: the optional dependency `webgpu` (Dawn for Node) is not installed' }; }
  gpujsPath = require.resolve('gpu.js');
  const worker = new Worker(WORKER, {
    eval: true,
    workerData: {
      gpujsPath, webgpuPath: `file://${webgpuPath}`,
      dawnFlags: (process.env.GPUJS_DAWN_FLAGS ?? '').split(' ').filter(Boolean),
      adapterOptions: JSON.parse(process.env.GPUJS_WEBGPU_ADAPTER ?? '{}') as object,
    },
  });
  worker.unref();
  const sync = new SharedArrayBuffer(8 + 64 * 1024);
  const state = new Int32Array(sync, 0, 1);
  const call = (msg: object, transfer: ArrayBuffer[] = []): Record<string, unknown> => {
    Atomics.store(state, 0, 0);
    worker.postMessage({ ...msg, sync }, transfer);
    while (Atomics.load(state, 0) === 0) Atomics.wait(state, 0, 0, 60_000);
    const n = new Int32Array(sync, 4, 1)[0];
    const payload = JSON.parse(new TextDecoder().decode(new Uint8Array(sync, 8, n).slice())) as Record<string, unknown>;
    if (Atomics.load(state, 0) === 2) throw new Error(`gpujs webgpu worker: ${String(payload.error)}`);
    return payload;
  };
  const init = call({ op: 'init' });
  if (!init.ok) { void worker.terminate(); return probe = { ok: false, reason: String(init.reason) }; }
  let nextId = 1;
  const device: Device & { adapter: string } = {
    mode: 'webgpu', dialect: 'f32', adapter: String(init.adapter ?? ''),
    upload: (data) => { const id = nextId++; call({ op: 'upload', id, data }); return id; },
    read: (buf, size) => {
      const out = new SharedArrayBuffer(size * 4);
      call({ op: 'read', id: buf, out });
      return new Float32Array(out).slice();
    },
    free: (buf) => { call({ op: 'free', id: buf }); },
    compile: (src: KernelSource) => {
      const kid = nextId++;
      call({ op: 'compile', kid, src });
      return (args: readonly Buf[]) => { const id = nextId++; call({ op: 'run', kid, args, id }); return id; };
    },
    destroy: () => { call({ op: 'destroy' }); void worker.terminate(); probe = undefined; },
  };
  return probe = { ok: true, device };
}
