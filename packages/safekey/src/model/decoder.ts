import {
  type Shape, type Tensor, add, applyRope, arange, attentionWeights, concat, dotProductAttention, embedding, ge, logicalAnd, logicalNot, matmul, mul,
  reshape, rmsNorm, silu,
} from '@safekey-ts/core';
import { checkpoint } from '@safekey-ts/autograd';
import { type ModelConfig, attentionSpan, dimsOf } from './config.js';
import { adaptedLinear } from './lora.js';
import type { LoraLayer } from './loraAdapter.js';
import type { LayerParams, ModelParams } from './params.js';
import { ropeTablesFor } from './rope.js';

type Bool = Tensor<Shape, 'bool'>;

/** Keys and values of earlier positions, per layer: `[B, T_past, kvHeads, headDim]`. */
export interface KvCache { readonly k: readonly Tensor[]; readonly v: readonly Tensor[]; readonly length: number }

export interface ForwardOptions {
  /** `[B, T_total]`, true for real tokens; padded keys are never attended to. */
  readonly padding?: Bool;
  /** `[B, T_total]`, true for positions no query may attend to (Query-Mask Modeling hides the prompt). */
  readonly keyMask?: Bool;
  /** Position ids, `[T]` or `[B, T]` (default: past length + 0..T-1). */
  readonly positions?: Tensor<Shape, 'int32'>;
  /** Return each layer's attention weights `[B, heads, T, T_total]`. */
  readonly attention?: boolean;
  /** Earlier keys and values (generation); the result carries the extended cache. */
  readonly cache?: KvCache;
  /**
   * Rematerialise each decoder layer (`checkpoint`): a gradient keeps only the layers' inputs and recomputes each
   * layer in the backward pass. For training: the result then carries no cache and no attention weights.
   */
  readonly remat?: boolean;
  /** Sees each stage's output as it is made (`embedding`, `layer 0 attention`, `layer 0 mlp`, ..., `final norm`, `lm_head`): for diagnosis. */
  readonly inspect?: (stage: string, value: Tensor) => void;
}

export interface ForwardResult {
  /** `[B, T, vocab]` */
  readonly logits: Tensor;
  /** Final normed hidden states, the LM head's input: `[B, T, D]`. */
  readonly hidden: Tensor;
  readonly attentions?: Tensor[];
  readonly cache: KvCache;
}

/** `x W^T (+ b)`, weights stored as Hugging Face does, `[out, in]`. */
const linear = (x: Tensor, w: Tensor, b?: Tensor) => (b ? add(matmul(x, w, { transB: true }), b) : matmul(x, w, { transB: true }));

/**
 * `[B or 1, 1, T, T_total]` bool (one mask for every head): query i (at absolute position past + i) may see key j
 * when j <= past + i, the key is a real token and it is not hidden by the key mask.
 */
function allowedKeys(t: number, past: number, opts: ForwardOptions): Bool {
  const total = past + t;
  let allowed = ge(reshape(add(arange(t), past), [t, 1]), reshape(arange(total), [1, total])) as Bool;
  let visible: Bool | undefined = opts.padding;
  if (opts.keyMask) visible = visible ? logicalAnd(visible, logicalNot(opts.keyMask)) : logicalNot(opts.keyMask);
  if (visible) allowed = logicalAnd(allowed, reshape(visible, [visible.shape[0], 1, total]) as Bool);
  return reshape(allowed, [allowed.rank === 3 ? allowed.shape[0] : 1, 1, t, total]) as Bool;
}

/** The largest position of this pass plus one (only `dynamic` RoPE scaling reads it, so only it reads the ids). */
function sequenceLength(config: ModelConfig, past: number, t: number, positions: Tensor<Shape, 'int32'> | undefined): number {
  if (positions === undefined || config.rope_scaling?.rope_type !== 'dynamic') return past + t;
  return positions.dataSync().reduce((m, p) => Math.max(m, p), -1) + 1;
}

/**
 * The decoder (Llama, Qwen2, Mistral) as a pure function of its parameters: token embedding, blocks of (RMSNorm,
 * attention with rotate-half RoPE, grouped KV heads and the family's biases, residual, RMSNorm, SwiGLU MLP,
 * residual), final RMSNorm, LM head; LoRA adapters (`params.adapter`) add `scale * B A x` to their projections. A query row with nothing to attend to (a prompt row under the key mask)
 * gets uniform weights, finite numbers, never NaN. A sequence longer than the config's sliding window is refused
 * (that attention pattern is not implemented).
 */
export function forward(params: ModelParams, config: ModelConfig, ids: Tensor<Shape, 'int32'>, opts: ForwardOptions = {}): ForwardResult {
  const m = dimsOf(config);
  const [b, t] = ids.shape;
  const past = opts.cache?.length ?? 0;
  if (opts.remat && (opts.attention || opts.cache))
    throw new Error('forward: remat is for training; it returns no attention weights and takes no cache');
  if (past + t > attentionSpan(config))
    throw new RangeError(`forward: ${past + t} positions exceed the config's sliding_window ${config.sliding_window} (sliding-window attention is not supported)`);
  const positions = opts.positions ?? add(arange(t), past);
  const tables = ropeTablesFor(config, positions, sequenceLength(config, past, t, opts.positions));
  // Heads stay side by side in each row, [B, T, heads, hd] (the attention primitive's layout): the tables
  // broadcast over the heads axis.
  const rope = positions.rank === 2
    ? { cos: reshape(tables.cos, [b, t, 1, m.headDim]), sin: reshape(tables.sin, [b, t, 1, m.headDim]) }
    : { cos: reshape(tables.cos, [t, 1, m.headDim]), sin: reshape(tables.sin, [t, 1, m.headDim]) };
  const allowed = allowedKeys(t, past, opts);
  const scale = 1 / Math.sqrt(m.headDim);
  const attentions: Tensor[] = [];
  const cacheK: Tensor[] = [], cacheV: Tensor[] = [];

  const seen = opts.inspect ?? (() => undefined);
  const scaleOf = params.adapter?.scale;
  const attend = (x: Tensor, l: LayerParams, a: LoraLayer, i: number): Tensor => {
    const q = applyRope(reshape(adaptedLinear(x, l.q, l.qBias, a.q, scaleOf), [b, t, m.heads, m.headDim]), rope);
    let k = applyRope(reshape(adaptedLinear(x, l.k, l.kBias, a.k, scaleOf), [b, t, m.kvHeads, m.headDim]), rope);
    let v = reshape(adaptedLinear(x, l.v, l.vBias, a.v, scaleOf), [b, t, m.kvHeads, m.headDim]);
    if (opts.cache) { k = concat([opts.cache.k[i], k], 1); v = concat([opts.cache.v[i], v], 1); }
    if (!opts.remat) { cacheK.push(k); cacheV.push(v); }
    // the weights themselves only when asked for: the attention primitive never stores them
    if (opts.attention) attentions.push(attentionWeights(q, k, allowed, scale));
    return adaptedLinear(reshape(dotProductAttention(q, k, v, allowed, scale), [b, t, m.heads * m.headDim]), l.o, l.oBias, a.o, scaleOf);
  };
  const block = (x: Tensor, l: LayerParams, a: LoraLayer, i: number): Tensor => {
    const y = add(x, attend(rmsNorm(x, l.inputNorm, config.rms_norm_eps), l, a, i));
    seen(`layer ${i} attention`, y);
    const h = rmsNorm(y, l.postNorm, config.rms_norm_eps);
    const mlp = mul(silu(adaptedLinear(h, l.gate, undefined, a.gate, scaleOf)), adaptedLinear(h, l.up, undefined, a.up, scaleOf));
    const out = add(y, adaptedLinear(mlp, l.down, undefined, a.down, scaleOf));
    seen(`layer ${i} mlp`, out);
    return out;
  };
  const layerFns = params.layers.map((_, i) => {
    const f = (x: Tensor, l: LayerParams, a: LoraLayer) => block(x, l, a, i);
    return opts.remat ? checkpoint(f) : f;
  });

  let x = embedding(params.embed, ids);
  seen('embedding', x);
  params.layers.forEach((l, i) => { x = layerFns[i]!(x, l, params.adapter?.layers[i] ?? {}); });
  const hidden = rmsNorm(x, params.norm, config.rms_norm_eps);
  seen('final norm', hidden);
  const logits = linear(hidden, params.lmHead ?? params.embed);
  seen('lm_head', logits);
  return { logits, hidden, ...(opts.attention ? { attentions } : {}), cache: { k: cacheK, v: cacheV, length: past + t } };
}
