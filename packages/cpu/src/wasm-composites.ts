// The composite primitives' kernels on the wasm path (wasm/attention.wat.mjs, wasm/rope.wat.mjs), behind the
// addon's own signatures (native.ts), so backend.ts and attention.ts drive either the same way.
import type { NativeAddon } from './native.js';
import { type WasmRuntime, split, withAddresses } from './wasm.js';

export type CompositeKernels = Pick<NativeAddon, 'attention' | 'rope'>;

const scaleBits = (x: number): number => new Int32Array(Float32Array.of(x).buffer)[0];

export function wasmComposites(rt: WasmRuntime): CompositeKernels {
  return {
    rope(x, c, s, out, shape, cst, sst) {
      const rank = shape.length, D = shape[rank - 1], rows = D > 0 ? x.length / D : 0;
      if (rows === 0) return;
      withAddresses(rt, [x, c, s], out, ([px, pc, ps], po) => {
        const [pShape, pCst, pSst] = rt.tables(shape, cst, sst);
        const threads = x.length >= 1 << 17 ? rt.threads : 1;
        rt.run('rope', [px, pc, ps, po, pShape, pCst, pSst, rank], split(rows, threads));
      });
    },

    attention(scale, q, k, v, mask, g, out, offsets, dims, groups) {
      const entries = offsets.length / 5;
      const [T, S] = dims;
      const Sp = (S + 3) & ~3;
      const ngroups = groups ? groups.length - entries - 1 : 0;
      const jobs = groups ? ngroups : entries;
      const threads = Math.min(rt.threads, jobs);
      const blocks = rt.arena.alloc('float32', threads * 2 * T * Sp);
      try {
        withAddresses(rt, g ? [q, k, v, mask, g] : [q, k, v, mask], out, ([pq, pk, pv, pm, pg = 0], po) => {
          const [pOffs, pGroups] = rt.tables(offsets, groups ?? []);
          const job = [+!!g, scaleBits(scale), pq, pk, pv, pm, pg, po, pOffs, entries, ...dims, q.length, k.length, pGroups, ngroups];
          rt.run('attention', job, split(jobs, threads).map(([w0, w1], w) => [w0, w1, blocks.byteOffset + 4 * w * 2 * T * Sp]));
        });
      } finally { rt.arena.release(blocks); }
    },
  };
}
