// The cpu backend's two WebAssembly builds: one runs in this process, the other in a child process, where it must
// be the one chosen and pass the cpu kernel suite and the conformance suite.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadWasm, wasmRelaxedPath } from '@safekey-ts/cpu';

const root = fileURLToPath(new URL('..', import.meta.url));

describe('cpu backend, wasm path: the other build', () => {
  const w = loadWasm();
  const here = 'variant' in w ? w.variant : null;
  const other = here === 'simd' ? { build: 'relaxed-simd', node: ['--experimental-wasm-relaxed-simd'], env: {} }
    : { build: 'simd', node: [], env: { SAFEKEY_CPU_WASM_NO_RELAXED: '1' } };
  const skip = !here ? 'no wasm path here' : here === 'simd' && !existsSync(wasmRelaxedPath) ? 'the relaxed-SIMD build was not built' : false;
  test(`the ${other.build} build is chosen where it should be, and passes the cpu kernel suite and the conformance suite`, { skip }, () => {
    const env: Record<string, string | undefined> = { ...process.env, ...other.env, SAFEKEY_CPU_TEST_PATHS: 'wasm', SAFEKEY_TEST_BACKENDS: 'cpu (wasm path)' };
    delete env.NODE_TEST_CONTEXT; // set for this file by the test runner: a child `--test` would report to it instead of running
    const args = [...other.node, '--conditions=development', '--import', 'tsx'];
    const v = spawnSync(process.execPath, [...args, '--input-type=module', '-e',
      "import { cpuBackend } from '@safekey-ts/cpu'; const b = cpuBackend({ path: 'wasm' }); console.log(b.wasmVariant); b.close();"],
      { cwd: root, env, encoding: 'utf8' });
    assert.equal(v.stdout.trim(), other.build, v.stderr);
    const r = spawnSync(process.execPath, [...args, '--test', '--test-reporter=spec', 'packages/cpu/test/kernels.test.ts', 'test/conformance.test.ts'],
      { cwd: root, env, encoding: 'utf8' });
    assert.equal(r.status, 0, `${r.stdout.slice(-3000)}${r.stderr.slice(-2000)}`);
    const passed = Number(/ℹ pass (\d+)/.exec(r.stdout)?.[1] ?? 0);
    assert.ok(passed > 100 && /ℹ fail 0/.test(r.stdout), r.stdout.slice(-1000));
  });
});
