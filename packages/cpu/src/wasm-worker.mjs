// A worker of the wasm path's pool (src/wasm.ts starts one per thread past the first). Plain JS, so that it runs
// as it is from the sources and from the build alike. It instantiates the kernels over the shared memory, then
// waits for jobs: when the generation in the control block changes, it claims its share with one
// compare-and-swap (the main thread may have run it already: then it skips it), runs it, and says it is done.
import { workerData } from 'node:worker_threads';

const { module, memory, ctrlBuf, id, spin, layout, kernelNames, mathNames } = workerData;
const { GEN, STOP, ERR, KIND, NJOB, NRANGE, JOB, PER, SLOT, SCRATCH, CLAIM, DONE } = layout;
const ctrl = new Int32Array(ctrlBuf);
const exports = new WebAssembly.Instance(module, { env: { memory }, math: Object.fromEntries(mathNames.map((f) => [f, Math[f]])) }).exports;
const kernels = kernelNames.map((k) => exports[k]);
const w = PER + SLOT * id;
let seen = 0;
for (;;) {
  let n = 0;
  while (Atomics.load(ctrl, GEN) === seen) {
    if (++n > spin) { Atomics.wait(ctrl, GEN, seen); n = 0; }
  }
  const gen = Atomics.load(ctrl, GEN);
  seen = gen;
  if (Atomics.load(ctrl, STOP)) break;
  const claimed = Atomics.load(ctrl, w + CLAIM);
  if (claimed === gen || Atomics.compareExchange(ctrl, w + CLAIM, claimed, gen) !== claimed) continue; // the main thread ran it
  const nRange = ctrl[NRANGE];
  try {
    if (ctrl[w] < ctrl[w + 1] && (nRange < 4 || ctrl[w + 2] < ctrl[w + 3]))
      kernels[ctrl[KIND]](...ctrl.subarray(JOB, JOB + ctrl[NJOB]), ...ctrl.subarray(w, w + nRange), ctrl[w + SCRATCH]);
  } catch {
    Atomics.store(ctrl, ERR, 1);
  }
  Atomics.store(ctrl, w + DONE, gen);
  Atomics.notify(ctrl, w + DONE);
}
