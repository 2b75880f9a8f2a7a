// The W2 / W3 workloads of issue 18: one SafeKey step (SFT + QMM + DPSH, AdamW) on random weights of real
// model shapes, a batch of one sequence, rematerialised decoder layers. `bench/w2-proc.ts` runs them on this
// project's cpu backend; `bench/peers/torch/w2.py` runs the same in PyTorch + PEFT.
import { type Backend, type Tensor, bf16Bits, disposeReplaced, fromArray, getBackend, ones, random, scalar, setBackend, tidy } from '@safekey-ts/core';
import {
  type BaseDtype, type LoraSpec, type ModelConfig, type ModelParams, type SampleSpans, type TrainableParams, LORA_TARGETS, batchTensors, fromHfNames, hfLayout,
  initAdamW, initSafetyHead, lora, makeBatch, makeSteps, splitParams,
} from '@safekey-ts/safekey';

/** SmolLM2-135M's shape. */
export const SMOL_135M: ModelConfig = {
  model_type: 'llama', vocab_size: 49152, hidden_size: 576, intermediate_size: 1536, num_hidden_layers: 30, num_attention_heads: 9, num_key_value_heads: 3,
  rms_norm_eps: 1e-5, rope_theta: 100000, max_position_embeddings: 2048, tie_word_embeddings: true,
};
/** Qwen2.5-0.5B's shape (q/k/v biases). */
export const QWEN25_05B: ModelConfig = {
  model_type: 'qwen2', vocab_size: 151936, hidden_size: 896, intermediate_size: 4864, num_hidden_layers: 24, num_attention_heads: 14, num_key_value_heads: 2,
  rms_norm_eps: 1e-6, rope_theta: 1000000, max_position_embeddings: 32768, tie_word_embeddings: true,
};
const RANK16: LoraSpec = { rank: 16, alpha: 32, dropout: 0, targets: LORA_TARGETS };

export interface Workload { readonly config: ModelConfig; readonly lora?: LoraSpec; readonly tokens: number }
export const WORKLOADS = {
  'w2-lora': { config: SMOL_135M, lora: RANK16, tokens: 1024 },
  'w2-full': { config: SMOL_135M, tokens: 512 },
  'w3-lora': { config: QWEN25_05B, lora: RANK16, tokens: 512 },
} as const satisfies Record<string, Workload>;
export type WorkloadName = keyof typeof WORKLOADS;

/** One sequence of `tokens` ids with its spans: prompt an eighth, U to a quarter, K 32 tokens. */
export function w2Sample(w: Workload): SampleSpans {
  const u = random.uniformArray(random.key(1), w.tokens);
  const p = w.tokens / 8, k0 = w.tokens / 4;
  return { ids: Array.from(u, (x) => Math.floor(x * w.config.vocab_size)), promptEnd: p, keyStart: k0, keyEnd: k0 + 32, harmful: 1 };
}

/**
 * Random weights without the cost of Threefry over 0.5B values (minutes in JS): uniform with standard deviation
 * 0.02 from a hash of the index (lowbias32), norms at one. What matters here is the shape, not the draw. With a
 * bfloat16 base the matrices are made in bfloat16 (as a loader reading a BF16 checkpoint does: no float32 copy).
 */
function hashedParams(config: ModelConfig, baseDtype: BaseDtype): ModelParams {
  let seed = 1;
  const half = 0.02 * Math.sqrt(3);
  return fromHfNames(config, (name) => {
    const shape = hfLayout(config).find((l) => l.name === name)!.shape;
    if (shape.length === 1) return ones(shape);
    const n = shape.reduce((a, b) => a * b, 1), bf16 = baseDtype === 'bfloat16', off = Math.imul(seed++, 0x9e3779b9);
    const a = bf16 ? new Uint16Array(n) : new Float32Array(n);
    for (let i = 0; i < n; i++) {
      let h = (i + off) >>> 0;
      h ^= h >>> 16; h = Math.imul(h, 0x7feb352d); h ^= h >>> 15; h = Math.imul(h, 0x846ca68b); h ^= h >>> 16;
      const v = ((h >>> 0) / 2 ** 32 * 2 - 1) * half;
      a[i] = bf16 ? bf16Bits(v) : v;
    }
    return bf16 ? fromArray(a as Uint16Array, shape, 'bfloat16') : fromArray(a as Float32Array, shape, 'float32');
  });
}

/** Sets the workload up on `backend` and returns one training step (its weights random, std 0.02; a LoRA base in `baseDtype`). */
export function w2Step(backend: Backend, w: Workload, baseDtype: BaseDtype = 'float32'): () => void {
  const on = <R>(f: () => R): R => { const prev = getBackend(); setBackend(backend); try { return f(); } finally { setBackend(prev); } };
  return on(() => {
    const batch = batchTensors(makeBatch([w2Sample(w)]));
    const model = hashedParams(w.config, w.lora ? baseDtype : 'float32');
    const all = { model: w.lora ? lora(model, w.config, w.lora, random.key(4)) : model, head: initSafetyHead(random.key(3), w.config.hidden_size) };
    const { trainable, frozen } = splitParams(all);
    let params: TrainableParams = trainable;
    let opt = initAdamW<TrainableParams>(params);
    const steps = makeSteps(w.config, 'safekey', { qmm: 0.2, dpsh: 0.2 }, { beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1 }, 1, true);
    return () => on(() => {
      // as the trainer: the gradients' own tidy frees the pass's activations before the update allocates
      const grads = tidy(() => steps.gradients(params, frozen, batch, true)[1]);
      const out = tidy(() => steps.update(params, grads, opt, scalar(1e-4) as Tensor));
      disposeReplaced(grads, out);
      disposeReplaced({ params, opt }, out);
      params = out.params; opt = out.state;
      out.norm.dispose(); out.weightsCheck.dispose();
    });
  });
}
