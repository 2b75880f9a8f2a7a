import { fromArray, narrow, tidy, type Tensor } from '@safekey-ts/core';
import { noGrad } from '@safekey-ts/autograd';
import { type ModelConfig, dimsOf } from '../model/config.js';
import { type KvCache, forward } from '../model/decoder.js';
import type { ModelParams } from '../model/params.js';
import type { Generation } from './options.js';
import { type DecodingRule, nextToken } from './nextToken.js';
import { allFinite, nonFiniteModelError } from '../model/nonFinite.js';

export interface BatchGenerateOptions {
  readonly maxNewTokens: number;
  readonly repetitionPenalty?: number;
  readonly stopTokens?: readonly number[];
  /** A forced start of each answer (prefilling), one per prompt. */
  readonly prefixes?: readonly (readonly number[])[];
  readonly vocabLimit?: number;
}

/**
 * Greedy decoding of many prompts at once (evaluation). Prompts are left-padded so that every row's last
 * token sits at the same column; padded keys are masked and each row keeps its own position ids, so each
 * row decodes exactly as it would alone. Rows that stopped are carried along and trimmed at the end.
 */
export function generateBatch(params: ModelParams, config: ModelConfig, prompts: readonly (readonly number[])[], opts: BatchGenerateOptions): Generation[] {
  const vocab = dimsOf(config).vocab;
  const rule: DecodingRule = { temperature: 0, topP: 1, repetitionPenalty: opts.repetitionPenalty ?? 1, vocabLimit: opts.vocabLimit ?? vocab };
  const stops = new Set(opts.stopTokens ?? []);
  const B = prompts.length;
  const prefixes = prompts.map((_, b) => [...(opts.prefixes?.[b] ?? [])]);
  const seqs = prompts.map((p, b) => [...p, ...prefixes[b]]);
  for (const s of seqs) if (s.length === 0) throw new RangeError('generateBatch: an empty prompt has nothing to continue');
  const T = Math.max(...seqs.map((s) => s.length));
  const pad = seqs.map((s) => T - s.length);
  const generated: number[][] = prompts.map(() => []);
  const done = new Array<boolean>(B).fill(false);
  if (opts.maxNewTokens === 0 || B === 0) return prompts.map((_, b) => ({ ids: prefixes[b], generated: [], finishReason: 'length' }));

  const ints = (rows: number[][], w: number) => fromArray(Int32Array.from(rows.flat()), [B, w], 'int32');
  const mask = (w: number) => fromArray(Uint8Array.from({ length: B * w }, (_, i) => +(i % w >= pad[Math.floor(i / w)])), [B, w], 'bool');

  return noGrad(() => {
    let cache: KvCache | undefined;
    let last: Tensor | undefined;
    const step = (ids: Tensor, positions: Tensor<readonly number[], 'int32'>, width: number) => {
      const r = tidy(() => {
        const out = forward(params, config, ids as Tensor<readonly number[], 'int32'>, { padding: mask(width), positions, ...(cache ? { cache } : {}) });
        return { logits: narrow(out.logits, 1, out.logits.shape[1] - 1, 1), cache: out.cache };
      });
      cache?.k.forEach((t) => t.dispose()); cache?.v.forEach((t) => t.dispose()); last?.dispose();
      cache = r.cache; last = r.logits;
    };
    step(ints(seqs.map((s, b) => [...Array(pad[b]).fill(0), ...s]), T),
      ints(seqs.map((s, b) => Array.from({ length: T }, (_, j) => Math.max(0, j - pad[b]))), T), T);
    for (let n = 0; ; n++) {
      const logits = last!.dataSync();
      const next = seqs.map((s, b) => {
        if (done[b]) return 0;
        const row = logits.subarray(b * vocab, (b + 1) * vocab);
        if (!allFinite(row)) throw nonFiniteModelError('generate', `the logits of prompt ${b} for token ${generated[b].length + 1}`, params, config, s);
        const token = nextToken(row, s, rule, undefined);
        generated[b].push(token); s.push(token);
        if (stops.has(token) || generated[b].length === opts.maxNewTokens) done[b] = true;
        return token;
      });
      if (done.every(Boolean)) break;
      const width = T + n + 1;
      step(ints(next.map((t) => [t]), 1), ints(seqs.map((s) => [s.length - 1]), 1), width);
    }
    cache?.k.forEach((t) => t.dispose()); cache?.v.forEach((t) => t.dispose()); last?.dispose();
    return generated.map((g, b) => ({
      ids: [...prefixes[b], ...g], generated: g, finishReason: stops.has(g[g.length - 1]) ? 'stop' as const : 'length' as const,
    }));
  });
}
