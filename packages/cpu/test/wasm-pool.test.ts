// The wasm path's worker pool: a worker's share that it has not claimed when the calling thread is done with
// its own runs on the calling thread, with the same bits as when the worker runs it.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { WasmGemm, WasmRuntime, loadWasm } from '../src/wasm.js';
import { assertSame } from './helpers.js';

const w = loadWasm();
const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

describe('wasm worker pool', { skip: 'module' in w ? false : `wasm: ${'error' in w ? w.error : ''}` }, () => {
  test('shares the workers have not claimed run on the calling thread, with the same bits', () => {
    if (!('module' in w)) return;
    const [m, n, k] = [300, 190, 257];
    const product = (rt: WasmRuntime): Float32Array => {
      const A = rt.arena.alloc('float32', m * k) as Float32Array, B = rt.arena.alloc('float32', k * n) as Float32Array;
      A.forEach((_, i) => { A[i] = Math.sin(i * 0.37); });
      B.forEach((_, i) => { B[i] = Math.cos(i * 0.11); });
      const C = rt.arena.alloc('float32', m * n) as Float32Array, z = new Int32Array(1);
      new WasmGemm(rt).sgemm(false, false, m, n, k, A, B, C, z, z);
      return C.slice();
    };
    const one = new WasmRuntime(w.module, 1), three = new WasmRuntime(w.module, 3);
    try {
      const want = product(one);
      // the first call starts the workers, which take milliseconds to boot: the calling thread runs their shares
      assertSame(product(three), want, 'workers not started');
      assert.ok(three.sharesRunHere >= 1, `shares run here: ${three.sharesRunHere}`);
      sleep(300);
      const before = three.sharesRunHere;
      for (let i = 0; i < 5; i++) assertSame(product(three), want, `call ${i} with the workers up`);
      assert.ok(three.sharesRunHere < before + 10, 'with the workers up, they run (most of) their shares');
    } finally { one.close(); three.close(); }
  });
});
