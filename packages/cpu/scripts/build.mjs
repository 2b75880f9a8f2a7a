#!/usr/bin/env node
// Builds the two compiled parts of @safekey-ts/cpu; run by the root `postinstall` (so `npm ci` builds them).
//   1. wasm/out/kernels.wasm and kernels-relaxed.wasm from wasm/kernels.wat.mjs, assembled with wabt (an npm package).
//   2. native/build/Release/safekey_cpu.node, the N-API addon over oneDNN (Debian's libdnnl-dev), with node-gyp
//      against the Node headers already on the machine (no download).
// Both take the element-wise VM's op codes from src/vm-ops.ts (read through tsx, as the tests read the sources):
// the wasm module as an argument of its generator, the addon as native/vm_ops.h.
// Neither failure fails the install: it prints why, and the backend falls back (native -> wasm -> js) and
// reports the reason in `cpuBackend().fallbackReason`.
// Env: SAFEKEY_CPU_NO_NATIVE=1 skips the addon; SAFEKEY_CPU_NO_WASM=1 skips the wasm module.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..');
const log = (msg) => console.log(`[@safekey-ts/cpu] ${msg}`);
const require = createRequire(join(pkg, 'package.json'));

/** The VM's op table from src/vm-ops.ts: { ops, header }. */
function vmOps() {
  const r = spawnSync(process.execPath, ['--conditions=development', '--import', pathToFileURL(require.resolve('tsx')).href, join(pkg, 'scripts', 'vm-ops.ts')],
    { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`cannot read the VM's op table (src/vm-ops.ts): ${tail(r.stderr, 3)}`);
  return JSON.parse(r.stdout);
}

async function buildWasm(ops) {
  if (process.env.SAFEKEY_CPU_NO_WASM) return log('wasm: skipped (SAFEKEY_CPU_NO_WASM)');
  let wabtInit;
  try { wabtInit = require('wabt'); } catch { return log('wasm: NOT built: the wabt package is not installed (npm ci installs it)'); }
  try {
    const { wat } = await import(pathToFileURL(join(pkg, 'wasm', 'kernels.wat.mjs')).href);
    const wabt = await wabtInit();
    mkdirSync(join(pkg, 'wasm', 'out'), { recursive: true });
    // the baseline SIMD module, and the relaxed-SIMD one (fused multiply-adds) the backend prefers where the
    // engine validates it; this Node may not (Node 20 has it behind --experimental-wasm-relaxed-simd)
    for (const relaxed of [false, true]) {
      const name = relaxed ? 'kernels-relaxed.wasm' : 'kernels.wasm', file = join(pkg, 'wasm', 'out', name);
      const mod = wabt.parseWat(name, wat({ relaxed, ops }), { simd: true, threads: true, bulk_memory: true, relaxed_simd: relaxed });
      const { buffer } = mod.toBinary({});
      mod.destroy();
      writeFileSync(file, buffer);
      // validated by V8 (wabt's validator rejects shared memories): here, or for the relaxed build where this
      // Node needs a flag for it, in a child process with that flag
      const here = WebAssembly.validate(buffer);
      const valid = here || (relaxed && spawnSync(process.execPath, ['--experimental-wasm-relaxed-simd', '-e',
        `new WebAssembly.Module(require('fs').readFileSync(${JSON.stringify(file)}))`], { encoding: 'utf8' }).status === 0);
      if (!valid) {
        rmSync(file, { force: true });
        log(`wasm: ${name} NOT built: it does not validate in this Node${relaxed ? '' : ' (no SIMD or threads support?)'}`);
        continue;
      }
      log(`wasm: built wasm/out/${name} (${buffer.length} bytes${relaxed ? `; ${here ? 'this Node runs it' : 'this Node runs it with --experimental-wasm-relaxed-simd'}` : ''})`);
    }
  } catch (e) {
    log(`wasm: NOT built: ${e.message}`);
  }
}

/** A directory holding include/node/node_api.h and common.gypi (node-gyp's --nodedir), or null. */
function nodeDir() {
  const cands = [join(dirname(process.execPath), '..'), '/usr', '/usr/local'];
  return cands.find((d) => existsSync(join(d, 'include', 'node', 'node_api.h')) && existsSync(join(d, 'include', 'node', 'common.gypi'))) ?? null;
}

function nodeGyp() {
  const cands = [];
  try { cands.push(require.resolve('node-gyp/bin/node-gyp.js')); } catch { /* not a dependency */ }
  if (process.env.npm_execpath) cands.push(join(dirname(process.env.npm_execpath), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  cands.push(join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  return cands.find((p) => existsSync(p)) ?? null;
}

function tail(s, n = 15) { return s.split('\n').filter((l) => l.trim() && !l.startsWith('gyp info')).slice(-n).join('\n    '); }

function checkLoads() {
  const r = spawnSync(process.execPath, ['-e', `const a = require(${JSON.stringify(join(pkg, 'native', 'build', 'Release', 'safekey_cpu.node'))}); console.log(JSON.stringify(a.info()))`], { encoding: 'utf8' });
  if (r.status !== 0) return { ok: false, why: tail(r.stderr, 3) };
  return { ok: true, info: r.stdout.trim() };
}

/** The addon's translation units (native/binding.gyp lists the same). */
const SOURCES = ['addon.cc', 'threads.cc', 'gemm.cc', 'ewise.cc', 'reduce.cc', 'attention.cc', 'rope.cc'];

function buildNative(opHeader) {
  if (process.env.SAFEKEY_CPU_NO_NATIVE) return log('native: skipped (SAFEKEY_CPU_NO_NATIVE); the backend will use wasm');
  writeFileSync(join(pkg, 'native', 'vm_ops.h'), opHeader);
  const header = ['/usr/include/oneapi/dnnl/dnnl.h', '/usr/local/include/oneapi/dnnl/dnnl.h'].find(existsSync);
  if (!header) return log('native: NOT built: oneDNN headers not found (apt-get install libdnnl-dev); the backend will use wasm');
  const nd = nodeDir();
  if (!nd) return log('native: NOT built: Node headers (include/node/node_api.h) not found next to node, in /usr or /usr/local; the backend will use wasm');
  const gyp = nodeGyp();
  const out = join(pkg, 'native', 'build', 'Release', 'safekey_cpu.node');
  let how;
  if (gyp) {
    const r = spawnSync(process.execPath, [gyp, 'rebuild', `--nodedir=${nd}`], { cwd: join(pkg, 'native'), encoding: 'utf8', timeout: 300_000 });
    if (r.status === 0 && existsSync(out)) how = 'node-gyp';
    else log(`native: node-gyp failed (${r.error?.message ?? `exit ${r.status}`}):\n    ${tail(r.stdout + r.stderr)}`);
  }
  if (!how) {
    // without node-gyp (or when it failed): the same flags by hand
    rmSync(join(pkg, 'native', 'build'), { recursive: true, force: true });
    mkdirSync(dirname(out), { recursive: true });
    const r = spawnSync('g++', ['-O3', '-ffp-contract=off', '-std=c++17', '-shared', '-fPIC', '-fopenmp', `-I${join(nd, 'include', 'node')}`,
      ...SOURCES.map((f) => join(pkg, 'native', f)), '-o', out, '-ldnnl', '-lgomp'], { encoding: 'utf8', timeout: 300_000 });
    if (r.status === 0 && existsSync(out)) how = 'g++';
    else return log(`native: NOT built (g++ ${r.error?.message ?? `exit ${r.status}`}):\n    ${tail(r.stdout + r.stderr)}\n  the backend will use wasm`);
  }
  const c = checkLoads();
  if (!c.ok) {
    rmSync(out, { force: true });
    return log(`native: built with ${how} but does not load (${c.why}); removed; the backend will use wasm`);
  }
  log(`native: built native/build/Release/safekey_cpu.node with ${how} ${c.info}`);
}

// never fail the install: whatever goes wrong is reported and the backend falls back
let table;
try { table = vmOps(); } catch (e) { log(`wasm and native: NOT built: ${e?.message ?? e}; the backend will use js`); }
if (table) {
  try { await buildWasm(table.ops); } catch (e) { log(`wasm: NOT built: ${e?.message ?? e}`); }
  try { buildNative(table.header); } catch (e) { log(`native: NOT built: ${e?.message ?? e}; the backend will use wasm`); }
}
