import type { random } from '@safekey-ts/core';

/** How to decode. Defaults: greedy, no top-p, no repetition penalty, no stop tokens, no prefix, KV cache on. */
export interface GenerateOptions {
  /** Tokens to sample after the prompt and prefix (the forced prefix does not count). */
  readonly maxNewTokens: number;
  /** 0 (default) is greedy decoding; above 0 the logits are divided by it and a token is sampled (needs `key`). */
  readonly temperature?: number;
  /** Nucleus sampling: sample from the smallest set of most likely tokens whose probability reaches `topP` (default 1: all). */
  readonly topP?: number;
  /** As Hugging Face: each token already in the sequence has a positive logit divided by this, a negative one multiplied (default 1: off). */
  readonly repetitionPenalty?: number;
  /** Decoding stops after sampling one of these (it is kept at the end of the result). */
  readonly stopTokens?: readonly number[];
  /** A forced start of the answer (prefilling): appended to the prompt before decoding and returned as part of the answer. */
  readonly prefix?: readonly number[];
  /** The randomness of sampling: step i draws from `random.foldIn(key, i)`. */
  readonly key?: random.Key;
  /** Only ids below this are ever produced (a tokenizer smaller than the embedding table). Default: the vocab size. */
  readonly vocabLimit?: number;
  /** Reuse keys and values of earlier positions (default true); false recomputes the whole sequence every step. */
  readonly useCache?: boolean;
}

export interface Generation {
  /** The answer: the prefix, then the sampled tokens (ending with the stop token when one stopped it). */
  readonly ids: number[];
  /** The sampled tokens alone. */
  readonly generated: number[];
  /** `stop`: a stop token was sampled; `length`: `maxNewTokens` were sampled. */
  readonly finishReason: 'stop' | 'length';
}

const isId = (id: number, vocab: number) => Number.isInteger(id) && id >= 0 && id < vocab;

/** Why these options cannot be used with a model of `vocab` tokens, or null. */
export function checkGenerateOptions(promptIds: readonly number[], opts: GenerateOptions, vocab: number): string | null {
  const { maxNewTokens, temperature = 0, topP = 1, repetitionPenalty = 1, vocabLimit = vocab } = opts;
  if (!Number.isInteger(maxNewTokens) || maxNewTokens < 0) return `maxNewTokens must be an integer >= 0, got ${maxNewTokens}`;
  if (!(Number.isFinite(temperature) && temperature >= 0)) return `temperature must be a finite number >= 0, got ${temperature}`;
  if (!(topP > 0 && topP <= 1)) return `topP must be in (0, 1], got ${topP}`;
  if (!(Number.isFinite(repetitionPenalty) && repetitionPenalty > 0)) return `repetitionPenalty must be a finite number > 0, got ${repetitionPenalty}`;
  if (temperature > 0 && opts.key === undefined) return 'sampling (temperature > 0) needs a random key';
  if (!Number.isInteger(vocabLimit) || vocabLimit < 1 || vocabLimit > vocab) return `vocabLimit must be an integer in 1..${vocab}, got ${vocabLimit}`;
  const context = [...promptIds, ...(opts.prefix ?? [])];
  if (context.length === 0) return 'the prompt and prefix are both empty: there is nothing to continue';
  const bad = (ids: readonly number[], what: string) => {
    const i = ids.findIndex((id) => !isId(id, vocab));
    return i < 0 ? null : `${what}[${i}] = ${ids[i]} is not a token id (vocab size ${vocab})`;
  };
  return bad(promptIds, 'prompt') ?? bad(opts.prefix ?? [], 'prefix') ?? bad(opts.stopTokens ?? [], 'stopTokens');
}
