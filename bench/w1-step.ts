// The W1 training step (Llama-style, vocab 512, d 128, 4 layers, 4 heads, SwiGLU 344, batch 8 x 128; forward,
// backward, AdamW) of @safekey-ts/safekey on a given backend: the workload of the `w1`, `w1-sk` and `rss`
// benchmarks and of bench/profile-w1.ts. `sk` adds SafeKey's extra pass (QMM) and the safety head (DPSH),
// as the peers' `--variant sk` does.
import { type Backend, type Tensor, disposeReplaced, getBackend, random, scalar, setBackend, tidy } from '@safekey-ts/core';
import { type ModelConfig, type SampleSpans, type TrainableParams, batchTensors, initAdamW, initParams, initSafetyHead, makeBatch, makeSteps } from '@safekey-ts/safekey';

export const W1_BATCH = 8, W1_SEQ = 128, W1_TOKENS = W1_BATCH * W1_SEQ;
export const W1: ModelConfig = {
  vocab_size: 512, hidden_size: 128, intermediate_size: 344, num_hidden_layers: 4, num_attention_heads: 4, num_key_value_heads: 4,
  rms_norm_eps: 1e-5, rope_theta: 10000, max_position_embeddings: 256, tie_word_embeddings: true,
};
export type W1Variant = 'w1' | 'sk';

/**
 * Sets up W1 on `backend` and returns one training step (1024 tokens). Each step runs in `tidy`; the replaced
 * parameters and moments are freed, so memory stays flat from step to step.
 */
export function w1Step(backend: Backend, variant: W1Variant): () => void {
  const on = <R>(f: () => R): R => { const prev = getBackend(); setBackend(backend); try { return f(); } finally { setBackend(prev); } };
  return on(() => {
    const u = random.uniformArray(random.key(1), W1_TOKENS);
    const samples: SampleSpans[] = Array.from({ length: W1_BATCH }, (_, i) => ({
      ids: Array.from({ length: W1_SEQ }, (_, j) => Math.floor(u[i * W1_SEQ + j] * W1.vocab_size)), promptEnd: 32, keyStart: 40, keyEnd: 60, harmful: (i % 2) as 0 | 1,
    }));
    const batch = batchTensors(makeBatch(samples));
    let params: TrainableParams = { model: initParams(random.key(2), W1), head: initSafetyHead(random.key(3), W1.hidden_size) };
    let opt = initAdamW<TrainableParams>(params);
    const sk = variant === 'sk';
    const steps = makeSteps(W1, sk ? 'safekey' : 'sft', { qmm: 0.2, dpsh: 0.2 }, { beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1 }, undefined);
    // One tidy around gradients and update: it frees the step's tensors but not the constants a jit
    // replay returns (a zero gradient of a parameter the loss does not use is the same tensor every step).
    return () => on(() => {
      const out = tidy(() => steps.update(params, steps.gradients(params, {}, batch, sk)[1], opt, scalar(1e-3) as Tensor));
      disposeReplaced({ params, opt }, out);
      params = out.params; opt = out.state;
      out.norm.dispose();
    });
  });
}
