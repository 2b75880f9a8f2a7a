import { type Tensor, add, cast, matmul, mul, random, scalar, zeros } from '@safekey-ts/core';
import { type ModelConfig, dimsOf } from './config.js';
import type { LayerParams, ModelParams } from './params.js';
import { LORA_TARGETS, type LoraLayer, type LoraPair, type LoraSpec, type LoraTarget } from './loraAdapter.js';

/** `[out, in]` of each target projection of a config. */
export function projectionShapes(config: ModelConfig): { readonly [K in LoraTarget]: readonly [number, number] } {
  const m = dimsOf(config);
  const qOut = m.heads * m.headDim, kvOut = m.kvHeads * m.headDim;
  return { q: [qOut, m.d], k: [kvOut, m.d], v: [kvOut, m.d], o: [m.d, qOut], gate: [m.ff, m.d], up: [m.ff, m.d], down: [m.d, m.ff] };
}

/** A spec that cannot be an adapter (rank, alpha, dropout, an unknown or repeated target) is one line naming the field. */
export function checkLoraSpec(spec: LoraSpec): string | undefined {
  if (!Number.isInteger(spec.rank) || spec.rank <= 0) return `lora.rank: ${spec.rank} is not a positive integer`;
  if (!(spec.alpha > 0)) return `lora.alpha: ${spec.alpha} is not a positive number`;
  if (!(spec.dropout >= 0 && spec.dropout < 1)) return `lora.dropout: ${spec.dropout} is not in [0, 1)`;
  if (spec.targets.length === 0) return 'lora.targets: empty (name some of q, k, v, o, gate, up, down)';
  const bad = spec.targets.find((t) => !LORA_TARGETS.includes(t));
  if (bad !== undefined) return `lora.targets: '${bad}' is not one of ${LORA_TARGETS.join(', ')}`;
  if (new Set(spec.targets).size !== spec.targets.length) return 'lora.targets: a target is named twice';
  return undefined;
}

/**
 * LoRA as a transform of the parameter tree: the same tree with `adapter` added, `A` as PEFT initialises it
 * (Kaiming-uniform with a = sqrt(5): uniform in +-1/sqrt(in)), `B` zero, so the model computes what it did.
 * Training then updates the adapter (and the safety head) only: see `splitParams`.
 */
export function lora(params: ModelParams, config: ModelConfig, spec: LoraSpec, key: random.Key): ModelParams {
  const problem = checkLoraSpec(spec);
  if (problem !== undefined) throw new Error(`lora: ${problem}`);
  if (params.adapter) throw new Error('lora: the parameters already have an adapter (merge it first: mergeLora)');
  const shapes = projectionShapes(config);
  const keys = random.split(key, params.layers.length * spec.targets.length);
  let next = 0;
  const layers = params.layers.map(() => Object.fromEntries(spec.targets.map((t) => {
    const [out, inn] = shapes[t];
    const bound = 1 / Math.sqrt(inn);
    return [t, { a: random.uniform(keys[next++]!, [spec.rank, inn], { low: -bound, high: bound }), b: zeros([out, spec.rank]) }];
  })) as LoraLayer);
  return { ...params, adapter: { scale: scalar(spec.alpha / spec.rank, 'float32'), layers } };
}

/** `x W^T (+ bias) + scale (x A^T) B^T`: a projection with its adapter, weights `[out, in]`. */
export function adaptedLinear(x: Tensor, w: Tensor, bias: Tensor | undefined, pair: LoraPair | undefined, scale: Tensor | undefined): Tensor {
  const y = matmul(x, w, { transB: true });
  const base = bias ? add(y, bias) : y;
  if (!pair) return base;
  return add(base, mul(matmul(matmul(x, pair.a, { transB: true }), pair.b, { transB: true }), scale!));
}

/** Which dtype the frozen base's matrices are stored in: float32, or bfloat16 (half the memory, products still in float32). */
export type BaseDtype = 'float32' | 'bfloat16';

/**
 * The base's matrices (embedding, output head, the seven projections of each block) stored in `dtype`; norms,
 * biases and the adapter stay float32. For a frozen base under an adapter: bfloat16 halves the memory they take,
 * and every product with them still multiplies and sums in float32 (the weights' values rounded to bfloat16).
 * Storing bfloat16 needs a backend that holds it (`backend.dtypes`; the cpu backend's native and js paths). To load
 * a checkpoint's base this way without holding it in float32 first: `loadCheckpoint(dir, { matrixDtype })`.
 */
export function storeBase(params: ModelParams, dtype: BaseDtype): ModelParams {
  const to = (w: Tensor) => cast(w, dtype);
  const layers = params.layers.map((l) => ({
    ...l, q: to(l.q), k: to(l.k), v: to(l.v), o: to(l.o), gate: to(l.gate), up: to(l.up), down: to(l.down),
  }));
  return { ...params, embed: to(params.embed), ...(params.lmHead ? { lmHead: to(params.lmHead) } : {}), layers };
}

/** The plain model with each adapter folded into its weight: `W + scale * B A` (what `merge_and_unload` does). */
export function mergeLora(params: ModelParams): ModelParams {
  const { adapter, ...base } = params;
  if (!adapter) return params;
  const layers = base.layers.map((l, i) => {
    const pairs = adapter.layers[i] ?? {};
    const merged: Partial<Record<LoraTarget, Tensor>> = {};
    for (const t of LORA_TARGETS) {
      const p = pairs[t];
      if (p) merged[t] = add(cast(l[t], 'float32'), mul(matmul(p.b, p.a), adapter.scale));
    }
    return { ...l, ...merged } as LayerParams;
  });
  return { ...base, layers };
}
