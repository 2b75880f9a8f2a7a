import { random } from '@safekey-ts/core';
import { argmaxOf, drawFrom, limitVocab, nucleus, probabilities, repetitionPenalty } from './logitsProcessors.js';

export interface DecodingRule {
  readonly temperature: number;
  readonly topP: number;
  readonly repetitionPenalty: number;
  readonly vocabLimit: number;
}

/**
 * The next token from the last position's logits, the whole sequence so far (`context`, for the repetition
 * penalty) and the step's key: vocab limit, repetition penalty, then argmax (temperature 0) or temperature,
 * top-p and one uniform draw from `key`.
 */
export function nextToken(logits: ArrayLike<number>, context: readonly number[], rule: DecodingRule, key: random.Key | undefined): number {
  const scores = repetitionPenalty(limitVocab(Float64Array.from(logits), rule.vocabLimit), context, rule.repetitionPenalty);
  if (rule.temperature === 0) return argmaxOf(scores);
  const probs = probabilities(scores, rule.temperature);
  return drawFrom(nucleus(probs, rule.topP), probs, random.uniformArray(key!, 1)[0]!);
}
