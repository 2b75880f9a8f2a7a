import { type Tensor, fromArray, narrow, random, tidy } from '@safekey-ts/core';
import { noGrad } from '@safekey-ts/autograd';
import { type ModelConfig, dimsOf } from '../model/config.js';
import { type KvCache, forward } from '../model/decoder.js';
import type { ModelParams } from '../model/params.js';
import { type GenerateOptions, type Generation, checkGenerateOptions } from './options.js';
import { type DecodingRule, nextToken } from './nextToken.js';
import { allFinite, nonFiniteModelError } from '../model/nonFinite.js';

interface Step { readonly logits: Tensor; readonly cache?: KvCache }

const idsTensor = (ids: readonly number[]) => fromArray(Int32Array.from(ids), [1, ids.length], 'int32');

/** The last position's logits `[1, 1, V]` of a forward pass over `ids` (after `cache`, when given), and the new cache. */
function run(params: ModelParams, config: ModelConfig, ids: readonly number[], cache: KvCache | undefined, keepCache: boolean): Step {
  return tidy(() => {
    const r = forward(params, config, idsTensor(ids), cache ? { cache } : {});
    const logits = narrow(r.logits, 1, ids.length - 1, 1);
    return keepCache ? { logits, cache: r.cache } : { logits };
  });
}

const release = (s: Step) => { s.logits.dispose(); s.cache?.k.forEach((t) => t.dispose()); s.cache?.v.forEach((t) => t.dispose()); };

/**
 * Continues `promptIds` (one sequence) with the model, under `noGrad`. The forced `prefix` is appended to the
 * prompt; the prompt and prefix are prefilled in one forward pass, then each new token takes one pass over that
 * token alone with the KV cache (or, with `useCache: false`, a pass over the whole sequence: the same tokens,
 * slower). Stops after a stop token or `maxNewTokens` sampled tokens. Invalid options or ids are a programmer
 * error: a RangeError says which (`checkGenerateOptions` reports the same as a value).
 */
export function generate(params: ModelParams, config: ModelConfig, promptIds: readonly number[], opts: GenerateOptions): Generation {
  const steps = generateTokens(params, config, promptIds, opts);
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

/**
 * `generate`, one token at a time: yields each sampled token as soon as it is chosen and returns the whole
 * generation (a streaming caller, such as a page that paints between tokens). The KV cache is released when the
 * generator finishes or is closed (`return()`).
 */
export function* generateTokens(params: ModelParams, config: ModelConfig, promptIds: readonly number[], opts: GenerateOptions): Generator<number, Generation, void> {
  const vocab = dimsOf(config).vocab;
  const problem = checkGenerateOptions(promptIds, opts, vocab);
  if (problem !== null) throw new RangeError(`generate: ${problem}`);
  const rule: DecodingRule = {
    temperature: opts.temperature ?? 0, topP: opts.topP ?? 1, repetitionPenalty: opts.repetitionPenalty ?? 1, vocabLimit: opts.vocabLimit ?? vocab,
  };
  const useCache = opts.useCache ?? true;
  const stops = new Set(opts.stopTokens ?? []);
  const prefix = [...(opts.prefix ?? [])];
  const sequence = [...promptIds, ...prefix];
  const generated: number[] = [];
  if (opts.maxNewTokens === 0) return { ids: prefix, generated, finishReason: 'length' };

  const pass = (ids: readonly number[], cache: KvCache | undefined, keep: boolean) => noGrad(() => run(params, config, ids, cache, keep));
  let step = pass(sequence, undefined, useCache);
  try {
    for (;;) {
      const key = rule.temperature > 0 ? random.foldIn(opts.key!, generated.length) : undefined;
      const logits = step.logits.dataSync();
      if (!allFinite(logits)) throw nonFiniteModelError('generate', `the logits for token ${generated.length + 1}`, params, config, sequence);
      const token = nextToken(logits, sequence, rule, key);
      generated.push(token);
      sequence.push(token);
      yield token;
      if (stops.has(token)) return { ids: [...prefix, ...generated], generated, finishReason: 'stop' as const };
      if (generated.length === opts.maxNewTokens) return { ids: [...prefix, ...generated], generated, finishReason: 'length' as const };
      const next = useCache ? pass([token], step.cache, true) : pass(sequence, undefined, false);
      release(step);
      step = next;
    }
  } finally {
    release(step);
  }
}
