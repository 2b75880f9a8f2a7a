// The wasm path's element-wise VM (wasm/ewise.wat.mjs): runs the register programs of native-ewise.ts, the
// ones the addon's VM runs, when every node is float32 or bool ("float mode"); `ewise` returns false for the
// rest, which runElementwise then runs in its JS loops.
import type { TypedArray } from '@safekey-ts/core';
import type { VmKernels } from './elementwise.js';
import { OP } from './vm-ops.js';
import { JOB_BYTES, type WasmRuntime, split, withAddresses } from './wasm.js';

const INSN = 6;

export class WasmVM implements VmKernels {
  readonly #block: number;
  constructor(readonly rt: WasmRuntime) { this.#block = rt.exports.ewiseBlock(); }

  ewise(prog: Int32Array, consts: Float64Array, nregs: number, result: number, shape: Int32Array, out: TypedArray, outOff: number,
    outSt: Int32Array, inputs: readonly TypedArray[], inOffs: Int32Array, inSt: Int32Array, floatMode: boolean, sink: 0 | 1 | 2 = 0): boolean {
    if (!floatMode) return false;
    const outSize = out.BYTES_PER_ELEMENT;
    if (sink ? !(out instanceof Float64Array) : !(out instanceof Float32Array || out instanceof Uint8Array)) return false;
    if (!inputs.every((x) => x instanceof Float32Array || x instanceof Uint8Array)) return false;
    const rank = shape.length, nin = inputs.length;
    const words = prog.length + consts.length + 2 * rank + nin * (3 + rank);
    if (nin > 64 || words > JOB_BYTES >> 2) return false;
    const rt = this.rt;
    withAddresses(rt, inputs, out, (inPtrs, outPtr) => {
      const [pProg, pConsts, pShape, pOutSt, pInPtr, pInSize, pInOff, pInSt] = rt.tables(prog, consts, shape, outSt,
        inPtrs, inputs.map((x) => x.BYTES_PER_ELEMENT), inOffs, inSt);
      let rows = 1;
      for (let d = 0; d < rank - 1; d++) rows *= shape[d];
      const job = [pProg, prog.length / INSN, nregs, result, pConsts, rank, pShape, pOutSt, nin, pInPtr, pInSize, pInOff, pInSt,
        sink, outPtr, outSize, outOff];
      const ranges = this.#split(prog, rows, shape[rank - 1], sink, outSt);
      rt.run('ewise', job, ranges);
    });
    return true;
  }

  /**
   * Each thread's [item0, item1, col0, col1]. One thread below ~2^15 elements for transcendental kernels, ~2^17
   * for cheap ones (their operands fit one core's cache; waking a worker costs more). A store splits its
   * blocks; a reduction splits whole rows where each row folds into outputs of its own (the inner dim reduced,
   * every outer dim kept), or the columns (in multiples of 16) where the inner dim is kept, so that every output
   * is folded by one thread in order.
   */
  #split(prog: Int32Array, rows: number, n: number, sink: number, outSt: Int32Array): number[][] {
    const threads = this.rt.threads, blocks = (c0: number, c1: number) => Math.ceil((c1 - c0) / this.#block);
    const one = [[0, rows * blocks(0, n), 0, n]];
    let costly = false;
    for (let k = 0; k < prog.length; k += INSN) costly ||= COSTLY.has(prog[k]);
    if (threads === 1 || rows * n < (costly ? 1 << 15 : 1 << 17)) return one;
    if (!sink) return split(rows * blocks(0, n), threads).map(([i0, i1]) => [i0, i1, 0, n]);
    const rank = outSt.length;
    if (outSt[rank - 1] !== 0) {
      if (n < 64) return one;
      return split(Math.ceil(n / 16), threads).map(([u0, u1]) => {
        const c0 = Math.min(n, u0 * 16), c1 = Math.min(n, u1 * 16);
        return [0, rows * blocks(c0, c1), c0, c1];
      });
    }
    for (let d = 0; d < rank - 1; d++) if (outSt[d] === 0) return one;
    if (rows < 2) return one;
    return split(rows, threads).map(([r0, r1]) => [r0 * blocks(0, n), r1 * blocks(0, n), 0, n]);
  }
}

const COSTLY = new Set(['exp', 'sigmoid', 'log', 'sin', 'cos', 'tanh', 'pow'].map((op) => OP[op]));
