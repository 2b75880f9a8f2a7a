// Path selection and fallback reasons, the thread setting, and determinism for a given setting.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { TypedArray } from '@safekey-ts/core';
import { type CpuBackend, cpuBackend } from '@safekey-ts/cpu';
import { type HostTensor, assertSame, availablePaths, host, ref, runOn } from './helpers.js';

const { paths } = availablePaths();
const pkgRoot = fileURLToPath(new URL('..', import.meta.url));

/** Runs a snippet in a fresh process (the addon and wasm module are loaded once per process). */
function inChild(env: Record<string, string>, code: string): string {
  const r = spawnSync(process.execPath, ['--conditions=development', '--import', 'tsx', '--input-type=module', '-e', code],
    { cwd: pkgRoot, env: { ...process.env, ...env }, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
}

const rand = (n: number, seed: number) => Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898 + seed * 78.233) * 2);
const mat = (shape: number[], seed: number): HostTensor => host(rand(shape.reduce((p, d) => p * d, 1), seed), shape, 'float32');

describe('cpu backend: paths and fallback', () => {
  test('auto picks the best path available and says why it fell back', () => {
    const b = cpuBackend();
    assert.equal(b.path, paths[0]);
    if (b.path === 'native') assert.equal(b.fallbackReason, undefined);
    else assert.match(b.fallbackReason ?? '', /native/);
  });

  test('without the addon, auto falls back to wasm and reports the reason; forcing native throws it', () => {
    const out = inChild({ SAFEKEY_CPU_DISABLE_NATIVE: '1' }, `
      import { cpuBackend } from '@safekey-ts/cpu';
      const b = cpuBackend();
      let forced = '';
      try { cpuBackend({ path: 'native' }); } catch (e) { forced = e.message; }
      console.log(JSON.stringify({ path: b.path, reason: b.fallbackReason, forced }));`);
    const r = JSON.parse(out) as { path: string; reason: string; forced: string };
    assert.equal(r.path, paths.includes('wasm') ? 'wasm' : 'js');
    assert.match(r.reason, /SAFEKEY_CPU_DISABLE_NATIVE/);
    assert.match(r.forced, /native path is unavailable.*SAFEKEY_CPU_DISABLE_NATIVE/);
  });

  test('without addon and wasm, auto runs plain JS and lists both reasons', () => {
    const out = inChild({ SAFEKEY_CPU_DISABLE_NATIVE: '1', SAFEKEY_CPU_DISABLE_WASM: '1' }, `
      import { cpuBackend } from '@safekey-ts/cpu';
      const b = cpuBackend();
      console.log(JSON.stringify({ path: b.path, reason: b.fallbackReason }));`);
    const r = JSON.parse(out) as { path: string; reason: string };
    assert.equal(r.path, 'js');
    assert.match(r.reason, /NATIVE.*WASM/);
  });

  test('threads defaults to the cores and is clamped to at least 1', () => {
    assert.ok(cpuBackend({ path: 'js' }).threads >= 1);
    assert.equal(cpuBackend({ path: 'js', threads: 0 }).threads, 1);
    assert.equal(cpuBackend({ path: 'js', threads: 3 }).threads, 3);
  });
});

for (const path of paths.filter((p) => p !== 'js')) describe(`cpu backend, ${path} path: deterministic for a thread setting`, () => {
  const cases: [number[], number[], boolean, boolean][] = [
    [[300, 257], [257, 190], false, false],     // one product, split across threads
    [[1030, 64], [1030, 130], true, false],     // transposed A (a weight gradient)
    [[32, 128, 32], [32, 128, 32], false, true], // a batch of attention scores
    [[8, 128, 128], [128, 344], false, false],  // batch folded into rows
  ];
  // the kernels that split their work between threads: element-wise (blocks), reduction folds (rows; columns),
  // rope (rows) and attention (entries; gradient: groups of entries sharing k/v), at sizes that do split
  const causal = host(Array.from({ length: 64 * 64 }, (_, i) => +(i % 64 <= Math.floor(i / 64))), [64, 64], 'bool');
  const [q, k, v] = [mat([4, 64, 6, 16], 1), mat([4, 64, 2, 16], 2), mat([4, 64, 2, 16], 3)];
  const kernelCases: [string, (b: CpuBackend) => HostTensor][] = [
    ['exp', (b) => runOn(b, 'exp', [mat([512, 300], 4)], {})],
    ['sum over rows', (b) => runOn(b, 'reduceSum', [runOn(b, 'mul', [mat([1024, 200], 5), mat([1024, 200], 6)], {})], { axes: [1], keepdims: false })],
    ['sum over columns', (b) => runOn(b, 'reduceMax', [mat([1024, 300], 11)], { axes: [0], keepdims: false })],
    ['rope', (b) => runOn(b, 'rope', [mat([4, 64, 8, 128], 7), mat([64, 1, 128], 8), mat([64, 1, 128], 9)], {})],
    ['attention', (b) => runOn(b, 'attention', [q, k, v, causal], { scale: 0.25 })],
    ['attentionGrad', (b) => runOn(b, 'attentionGrad', [q, k, v, causal, mat([4, 64, 6, 16], 10)], { scale: 0.25 })],
  ];
  const results = new Map<number, TypedArray[]>();
  for (const threads of [1, 2, 3]) test(`same inputs, same bits, ${threads} thread(s)`, () => {
    const b: CpuBackend = cpuBackend({ path, threads });
    try {
      const outs: TypedArray[] = cases.map(([sa, sb, transA, transB], i) => {
        const a = mat(sa, i), bb = mat(sb, i + 10);
        const first = runOn(b, 'matmul', [a, bb], { transA, transB }).data as Float32Array;
        for (let r = 0; r < 3; r++) assertSame(runOn(b, 'matmul', [a, bb], { transA, transB }).data, first, `repeat ${r} of case ${i}`);
        return first;
      });
      for (const [name, f] of kernelCases) {
        const first = f(b).data;
        assertSame(f(b).data, first, `repeat of ${name}`);
        outs.push(first);
      }
      results.set(threads, outs);
    } finally { b.close(); }
  });
  if (path === 'wasm') test('the wasm kernels give the same bits for any thread count', () => {
    const [one, two, three] = [results.get(1), results.get(2), results.get(3)];
    assert.ok(one && two && three);
    const names = [...cases.map((_, i) => `matmul case ${i}`), ...kernelCases.map(([n]) => n)];
    one.forEach((r, i) => { assertSame(two[i], r, `${names[i]}, 2 threads`); assertSame(three[i], r, `${names[i]}, 3 threads`); });
  });
});

describe('cpu backend: recycled buffers', () => {
  for (const path of paths) test(`kernels that do not write every element start from clean buffers (${path})`, () => {
    const b = cpuBackend({ path });
    try {
      // fill the pool with NaN-filled arrays of the sizes used below, then run kernels that rely on zeros
      const poison = (n: number, dtype: 'float32' | 'float64') => {
        for (let i = 0; i < 4; i++) b.free(b.upload(dtype === 'float32' ? new Float32Array(n).fill(NaN) : new Float64Array(n).fill(NaN), { shape: [n], dtype }));
      };
      const cases: [string, () => void][] = [
        ['pad', () => {
          poison(40 * 40, 'float32');
          const x = host(rand(38 * 38, 1), [38, 38], 'float32');
          assertSame(runOn(b, 'pad', [x], { before: [1, 1], after: [1, 1], value: 0 }).data, runOn(ref, 'pad', [x], { before: [1, 1], after: [1, 1], value: 0 }).data, 'pad');
        }],
        ['matmul with k = 0', () => {
          poison(64 * 32, 'float32');
          assertSame(runOn(b, 'matmul', [host([], [64, 0], 'float32'), host([], [0, 32], 'float32')], { transA: false, transB: false }).data, new Float32Array(64 * 32), 'matmul');
        }],
        ['scatterAdd', () => {
          poison(2000, 'float64'); poison(2000, 'float32');
          const upd = host(rand(1500, 3), [1500], 'float32'), idx = host(Array.from({ length: 1500 }, (_, i) => (i * 7) % 2000), [1500], 'int32');
          const p = { axis: 0, batchDims: 0, size: 2000 };
          assertSame(runOn(b, 'scatterAdd', [upd, idx], p).data, runOn(ref, 'scatterAdd', [upd, idx], p).data, 'scatterAdd');
        }],
        ['reduceSum', () => {
          poison(1200, 'float64');
          const x = host(rand(1200 * 3, 4), [1200, 3], 'float32');
          assertSame(runOn(b, 'reduceSum', [x], { axes: [1], keepdims: false }).data, runOn(ref, 'reduceSum', [x], { axes: [1], keepdims: false }).data, 'sum');
        }],
      ];
      for (const [, run] of cases) run();
    } finally { b.close(); }
  });
});

describe('cpu backend: signals', () => {
  // oneDNN's AVX-512 kernels corrupt memory when a signal is handled mid-product; the addon holds signals back
  // during products (native/cpu.cc, SignalsHeld). Node's CPU profiler signals the main thread every 50 us here.
  test('products under a sampling profiler (a signal every 50 us) run to the end', { skip: paths.includes('native') ? false : 'no native path' }, () => {
    const code = `import { cpuBackend } from '@safekey-ts/cpu';
      import { fromArray, matmul, setBackend } from '@safekey-ts/core';
      setBackend(cpuBackend({ path: 'native' }));
      const a = fromArray(new Float32Array(1024 * 128).fill(0.5), [8, 128, 128], 'float32');
      const w = fromArray(new Float32Array(128 * 344).fill(0.25), [128, 344], 'float32');
      let s = 0;
      for (const t0 = performance.now(); performance.now() - t0 < 1500;) { const y = matmul(a, w); s += y.dataSync()[7]; y.dispose(); }
      console.log(s > 0 ? 'ok' : 'bad');`;
    const r = spawnSync(process.execPath, ['--cpu-prof', '--cpu-prof-interval', '50', '--cpu-prof-dir', mkdtempSync(join(tmpdir(), 'sk-prof-')),
      '--conditions=development', '--import', 'tsx', '--input-type=module', '-e', code], { cwd: pkgRoot, encoding: 'utf8' });
    assert.equal(r.status, 0, `exit ${r.status} ${r.signal ?? ''}: ${r.stderr.slice(-500)}`);
    assert.equal(r.stdout.trim(), 'ok');
  });
});
