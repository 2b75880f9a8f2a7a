// The W1 workload of the benchmark's peers (bench/peers: PyTorch, jax-js, TensorFlow.js), built from the same integer hash:
// this project's model, loss and AdamW must give the peers' losses (step 0: 6.26332, step 19: 4.08097).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Tensor, crossEntropy, fromArray, narrow, ones, scalar, setBackend, getBackend, tidy } from '@safekey-ts/core';
import { valueAndGrad } from '@safekey-ts/autograd';
import { type CpuPath, cpuBackend, loadNative, loadWasm } from '@safekey-ts/cpu';
import { type ModelConfig, type ModelParams, adamwUpdate, forward, initAdamW } from '@safekey-ts/safekey';

const [V, D, L, FF, B, T] = [512, 128, 4, 344, 8, 128];
const config: ModelConfig = {
  vocab_size: V, hidden_size: D, intermediate_size: FF, num_hidden_layers: L, num_attention_heads: 4, num_key_value_heads: 4,
  rms_norm_eps: 1e-5, rope_theta: 10000, max_position_embeddings: T, tie_word_embeddings: true,
};

/** The peers' lowbias32 hash of `i + seed * 0x9E3779B9`. */
function mix32(seed: number, n: number): Uint32Array {
  const base = Math.imul(seed, 0x9e3779b9) >>> 0;
  return Uint32Array.from({ length: n }, (_, i) => {
    let x = (i + base) >>> 0;
    x ^= x >>> 16; x = Math.imul(x, 0x7feb352d) >>> 0; x ^= x >>> 15; x = Math.imul(x, 0x846ca68b) >>> 0; x ^= x >>> 16;
    return x >>> 0;
  });
}
const uniform = (seed: number, shape: number[]): Tensor => {
  const n = shape.reduce((a, b) => a * b, 1);
  const u = mix32(seed, n);
  return fromArray(Float32Array.from(u, (v) => (2 * (v / 2 ** 32) - 1) * 0.02 * Math.sqrt(3)), shape, 'float32');
};

// the cpu backend's native and wasm paths (the js path's products are too slow for 20 steps in a test)
const paths: CpuPath[] = [...('addon' in loadNative() ? ['native' as const] : []), ...('module' in loadWasm() ? ['wasm' as const] : [])];
for (const path of paths) test(`W1 on the cpu backend's ${path} path: step-0 and step-19 losses equal the PyTorch / jax-js / TensorFlow.js peers to 1e-4`, () => {
  const previous = getBackend();
  const backend = cpuBackend({ path });
  setBackend(backend);
  try {
    let params: ModelParams = {
      embed: uniform(1, [V, D]), norm: ones([D]),
      layers: Array.from({ length: L }, (_, l) => {
        const s = 10 + 10 * l;
        return { q: uniform(s, [D, D]), k: uniform(s + 1, [D, D]), v: uniform(s + 2, [D, D]), o: uniform(s + 3, [D, D]),
          gate: uniform(s + 4, [FF, D]), up: uniform(s + 5, [FF, D]), down: uniform(s + 6, [D, FF]), inputNorm: ones([D]), postNorm: ones([D]) };
      }),
    };
    const ids = fromArray(Int32Array.from(mix32(100, B * T), (v) => v % V), [B, T], 'int32');
    const targets = narrow(ids, 1, 1, T - 1) as Tensor<readonly number[], 'int32'>;
    const step = valueAndGrad((p: ModelParams) => crossEntropy(narrow(forward(p, config, ids).logits, 1, 0, T - 1), targets));
    let opt = initAdamW(params);
    const losses: number[] = [];
    for (let i = 0; i < 20; i++) {
      const next = tidy(() => {
        const [loss, g] = step(params);
        losses.push(loss.item());
        return adamwUpdate(params, g, opt, scalar(1e-3), { beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1, decays: () => true });
      });
      params = next.params; opt = next.state;
    }
    assert.ok(Math.abs(losses[0] - 6.26332) < 1e-4, `step 0: ${losses[0]}`);
    assert.ok(Math.abs(losses[19] - 4.08097) < 1e-4, `step 19: ${losses[19]}`);
  } finally { setBackend(previous); backend.close(); }
});
