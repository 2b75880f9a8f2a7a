// Lets @tensorflow/tfjs-backend-wasm 4.22 run its threaded SIMD build under Node, where the package turns
// threads off (its WASM_HAS_MULTITHREAD_SUPPORT flag answers false whenever IS_NODE; tfjs issue 3830).
// Call wasmThreads(n) before tf.setBackend('wasm').
//
// The threaded build is an Emscripten module that starts its pthreads as workers. tfjs hands Emscripten
// two blobs, which Node's worker_threads cannot load:
//   - the worker script, as a blob: URL from URL.createObjectURL. Here that call returns the path of a temp
//     file holding the same script (the package exports its text as `wasmWorkerContents`);
//   - the module's own script (mainScriptUrlOrBlob), which each worker loads with importScripts after
//     turning the blob into a URL. The temp worker file starts by making that turn yield the path of the
//     package's standalone copy of the module, wasm-out/tfjs-backend-wasm-threaded-simd.js, which the
//     worker's Node-aware importScripts then reads from disk.
// Emscripten's worker understands Node (it takes self/postMessage/importScripts from worker_threads and fs).
//
// One more thing: the native side sizes XNNPACK's pool at no more than half the logical cores it sees (it
// assumes two hyper-threads a core), and under Node it counts them with os.cpus(). On a 2-core machine that
// is 1 thread whatever setThreadsCount asks, so os.cpus() is made to list 2n entries.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setThreadsCount } from '@tensorflow/tfjs-backend-wasm';

const require = createRequire(import.meta.url);

export function wasmThreads(n) {
  const moduleScript = require.resolve('@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js');
  const { wasmWorkerContents } = require('@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.worker.js');
  // the text comes from a template literal, so its string escapes are real newlines now: escape them again
  // (tfjs does the same before it makes the blob)
  const workerSource = wasmWorkerContents.replace(/\n/g, '\\n');
  const strict = '"use strict";';
  if (!workerSource.startsWith(strict) || !workerSource.includes('URL.createObjectURL(e.data.urlOrBlob)')) {
    throw new Error('node-threads: the tfjs-backend-wasm worker script is not the one this shim knows (4.22.0)');
  }
  const redirect = `URL.createObjectURL=()=>${JSON.stringify(moduleScript)};URL.revokeObjectURL=()=>{};`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfjs-wasm-threads-'));
  const workerFile = path.join(dir, 'pthread-worker.js');
  fs.writeFileSync(workerFile, strict + redirect + workerSource.slice(strict.length));
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));

  const createObjectURL = URL.createObjectURL;
  URL.createObjectURL = (blob) => (blob?.type === 'application/javascript' ? workerFile : createObjectURL.call(URL, blob));

  const cpus = os.cpus();
  os.cpus = () => Array.from({ length: 2 * n }, (_, i) => cpus[i % cpus.length]);
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  setThreadsCount(n);
}
