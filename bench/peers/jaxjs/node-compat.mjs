// What @jax-js/jax 0.1.25 expects from a browser and Node 20 lacks. Import this module before jax-js itself.
//
// 1. Iterator helpers (ES2025). jax-js chains .map/.filter on the iterator of String#matchAll when it parses
//    an einsum expression (nn.dotProductAttention builds one); Node 22 has them natively, Node 20 does not.
// 2. A Web Worker. Where SharedArrayBuffer and a global `Worker` exist, jax-js's wasm device runs kernels
//    on a pool of `navigator.hardwareConcurrency` workers, each started from a blob: URL of its source;
//    otherwise every kernel runs on the main thread. useWorkerThreads(n) supplies both on worker_threads.
import { resolveObjectURL } from 'node:buffer';
import { Worker as ThreadWorker } from 'node:worker_threads';

const iteratorPrototype = Object.getPrototypeOf(Object.getPrototypeOf([].values()));
const helpers = {
  *map(fn) { let i = 0; for (const item of asIterable(this)) yield fn(item, i++); },
  *filter(fn) { let i = 0; for (const item of asIterable(this)) if (fn(item, i++)) yield item; },
  toArray() { return Array.from(asIterable(this)); },
  forEach(fn) { let i = 0; for (const item of asIterable(this)) fn(item, i++); },
};
function asIterable(iterator) { return { [Symbol.iterator]: () => iterator }; }
for (const [name, fn] of Object.entries(helpers)) {
  if (typeof iteratorPrototype[name] !== 'function') {
    Object.defineProperty(iteratorPrototype, name, { value: fn, writable: true, configurable: true, enumerable: false });
  }
}

// Runs inside each thread: waits for the script's text (the first message), gives it the globals a
// dedicated worker has (self, postMessage, onmessage), runs it, then hands every later message to it.
const BOOTSTRAP = `
const { parentPort } = require('node:worker_threads');
const vm = require('node:vm');
globalThis.self = globalThis;
globalThis.postMessage = (message, transfer) => parentPort.postMessage(message, transfer);
parentPort.once('message', ({ source }) => {
  vm.runInThisContext(source, { filename: 'jax-js-wasm-worker.js' });
  parentPort.on('message', (data) => { if (typeof self.onmessage === 'function') self.onmessage({ data }); });
});
`;

/** A `Worker` with the part of the Web API jax-js uses: onmessage, onerror, postMessage, terminate. */
class BlobScriptWorker {
  onmessage = null;
  onerror = null;
  #thread;
  #pending = [];   // messages posted before the script's text reached the thread
  #started = false;

  constructor(url) {
    const blob = resolveObjectURL(String(url));
    if (!blob) throw new Error(`node-compat: ${url} is not a blob: URL of this thread`);
    this.#thread = new ThreadWorker(BOOTSTRAP, { eval: true });
    this.#thread.unref(); // the pool must not keep Node alive once the script is done
    this.#thread.on('message', (data) => this.onmessage?.({ data }));
    this.#thread.on('error', (error) => this.onerror?.(error));
    // Blob text is only readable asynchronously; what jax-js posts meanwhile waits in #pending, in order.
    blob.text().then((source) => {
      this.#thread.postMessage({ source });
      this.#started = true;
      for (const [message, transfer] of this.#pending) this.#thread.postMessage(message, transfer);
      this.#pending = [];
    }, (error) => this.onerror?.(error));
  }

  postMessage(message, transfer) {
    if (this.#started) this.#thread.postMessage(message, transfer);
    else this.#pending.push([message, transfer]);
  }

  terminate() { return this.#thread.terminate(); }
}

/** Makes jax-js start a pool of `n` worker threads (call before init). n = 0 leaves it on the main thread. */
export function useWorkerThreads(n) {
  if (!(n > 0)) return;
  globalThis.Worker = BlobScriptWorker;
  // jax-js sizes its pool by navigator.hardwareConcurrency (Node 20 has no navigator; Node 21+ has a getter)
  Object.defineProperty(globalThis, 'navigator', { value: { ...globalThis.navigator, hardwareConcurrency: n }, configurable: true, writable: true });
}
