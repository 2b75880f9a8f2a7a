// The wasm path's arena (every array of the backend in the wasm memory) and the copy-in of arrays from elsewhere.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { TensorError } from '@safekey-ts/core';
import { classBytes } from '../src/wasm-arena.js';
import { WasmRuntime, loadWasm, withAddresses } from '../src/wasm.js';

const w = loadWasm();

describe('wasm arena', { skip: 'module' in w ? false : `wasm: ${'error' in w ? w.error : ''}` }, () => {
  const rt = () => { if (!('module' in w)) throw new Error('no wasm'); return new WasmRuntime(w.module, 1); };

  test('size classes: at least the request, 64-byte multiples, at most 25% over', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 1 << 28 }), (n) => {
      const c = classBytes(n);
      assert.ok(c >= n && c % 64 === 0, `${n} -> ${c}`);
      assert.ok(c <= Math.max(64, n * 1.25 + 64), `${n} -> ${c}`);
      assert.equal(classBytes(c), c); // a class is its own class
    }));
  });

  test('freed blocks are reused for the same class; live arrays never overlap', () => {
    const r = rt();
    const a = r.arena.alloc('float32', 1000), b = r.arena.alloc('float64', 1000);
    assert.ok(a.byteOffset + a.byteLength <= b.byteOffset || b.byteOffset + b.byteLength <= a.byteOffset);
    const at = a.byteOffset;
    r.arena.release(a);
    assert.equal(r.arena.alloc('int32', 999).byteOffset, at); // 3996 bytes: the same class as 4000
    assert.equal(r.arena.alloc('bool', 5).length, 5);
    assert.ok(r.arena.alloc('float32', 7, true).every((x) => x === 0));
    r.close();
  });

  test('growing the memory keeps earlier arrays valid', () => {
    const r = rt();
    const a = r.arena.alloc('float32', 16);
    a.set([1, 2, 3]);
    const big = r.arena.alloc('float32', 32 << 20); // 128 MiB: the memory grows
    big[big.length - 1] = 5;
    assert.deepEqual(Array.from(a.subarray(0, 3)), [1, 2, 3]);
    assert.ok(r.arena.owns(a) && r.arena.owns(big));
    assert.equal(big[big.length - 1], 5);
    r.close();
  });

  test('past the 4 GiB a wasm memory can hold, a clear error and nothing lost', () => {
    const r = rt();
    const a = r.arena.alloc('float32', 4);
    assert.throws(() => r.arena.alloc('float32', 2 ** 30 + 1), (e: unknown) => e instanceof TensorError && e.kind === 'OutOfMemory'
      && /cpu backend \(wasm\): the wasm memory cannot grow to \d+ MiB .*4096 MiB at most/.test(e.message));
    assert.equal(r.arena.alloc('float32', 4).length, 4); // still usable
    assert.ok(r.arena.owns(a));
    r.close();
  });

  test('an array dropped without release goes back to the free list when collected', { skip: typeof gc === 'function' ? false : 'needs --expose-gc' }, async () => {
    const r = rt();
    const before = r.arena.bytes;
    (() => { r.arena.alloc('float32', 4096); })();
    for (let i = 0; i < 10 && r.arena.bytes === before; i++) { gc!(); await new Promise((res) => setTimeout(res, 10)); }
    assert.equal(r.arena.bytes - before, classBytes(4096 * 4));
    r.close();
  });

  test('withAddresses copies arrays from elsewhere in, and the output back out', () => {
    const r = rt();
    const inside = r.arena.alloc('float32', 4);
    inside.set([1, 2, 3, 4]);
    const outside = Float32Array.of(5, 6, 7, 8), out = new Float32Array(4);
    withAddresses(r, [inside, outside], out, ([pa, pb], po) => {
      assert.equal(pa, inside.byteOffset);
      assert.notEqual(pb, -1);
      const m = new Float32Array(r.memory.buffer);
      for (let i = 0; i < 4; i++) m[po / 4 + i] = m[pa / 4 + i] + m[pb / 4 + i];
    });
    assert.deepEqual(Array.from(out), [6, 8, 10, 12]);
    r.close();
  });
});
