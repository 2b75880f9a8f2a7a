import * as E from 'fp-ts/lib/Either.js';
import { fromArray, matmul, tidy } from '@safekey-ts/core';
import { noGrad } from '@safekey-ts/autograd';
import { type SampleEncoder, encodeSample } from '../data/encodeSample.js';
import type { SampleSpans } from '../losses/batch.js';
import type { Linear1, SafetyHead } from '../losses/head.js';
import type { ModelConfig } from '../model/config.js';
import { forward } from '../model/decoder.js';
import type { ModelParams } from '../model/params.js';

/** One response seen through the method: where U and K fall, what the safety heads read, where K looks. */
export interface ResponseInspection {
  /** The prompt and response as the trainer encodes them, with U = [promptEnd, keyStart) and K = [keyStart, keyEnd). */
  readonly spans: SampleSpans;
  /** Each response token's characters in the response text. */
  readonly offsets: readonly (readonly [number, number])[];
  /**
   * The safety heads' probability of "harmful" at each response position t (index t - promptEnd): the context
   * head on the mean final hidden state over [0, t], the understanding head on the mean over [promptEnd, t].
   * At t = keyStart - 1 these are exactly what L_DPSH trains. Null without a head.
   */
  readonly context: readonly number[] | null;
  readonly understanding: readonly number[] | null;
  /** Per layer and head: K's attention mass on the query [0, promptEnd) and on U, mean over K's rows. */
  readonly kToQuery: readonly (readonly number[])[];
  readonly kToU: readonly (readonly number[])[];
  /** Per layer and head: K's mean attention weight on each key in [0, keyStart) (the prompt and U). */
  readonly kAttention: readonly (readonly (readonly number[])[])[];
}

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

/** Probabilities of a linear head over the running means of per-position scores `s` from `start` (positions start..end-1). */
function runningProbabilities(scores: ArrayLike<number>, h: Linear1, from: number, start: number, end: number): number[] {
  const bias = h.bias.dataSync()[0];
  let sum = 0;
  for (let t = from; t < start; t++) sum += scores[t];
  const out: number[] = [];
  for (let t = start; t < end; t++) {
    sum += scores[t];
    out.push(sigmoid(sum / (t - from + 1) + bias));
  }
  return out;
}

/**
 * Encodes `query` and `response` as the trainer does (U is the reasoning's first sentence, K the next) and runs
 * the model once over them. A Left says why U and K cannot be found (too few sentences, an empty span).
 */
export function inspectResponse(params: ModelParams, config: ModelConfig, head: SafetyHead | undefined, enc: SampleEncoder, query: string, response: string): E.Either<string, ResponseInspection> {
  const encoded = encodeSample(enc, { query, response, harmful: 0 }, { maxLength: Number.MAX_SAFE_INTEGER });
  if (E.isLeft(encoded)) return encoded;
  const s = encoded.right;
  const offsets = enc.response(response, query).offsets;
  const n = s.ids.length;
  return E.right(noGrad(() => tidy(() => {
    const r = forward(params, config, fromArray(Int32Array.from(s.ids), [1, n], 'int32'), { attention: true });
    let context: number[] | null = null, understanding: number[] | null = null;
    if (head) {
      // a linear head on a mean is the mean of its per-position scores
      const scores = (h: Linear1) => matmul(r.hidden, h.weight, { transB: true }).dataSync();
      context = runningProbabilities(scores(head.context), head.context, 0, s.promptEnd, n);
      understanding = runningProbabilities(scores(head.understanding), head.understanding, s.promptEnd, s.promptEnd, n);
    }
    const kToQuery: number[][] = [], kToU: number[][] = [], kAttention: number[][][] = [];
    const kRows = s.keyEnd - s.keyStart;
    for (const att of r.attentions!) {
      const heads = att.shape[1];
      const w = att.dataSync(); // [1, H, n, n]
      const q: number[] = [], u: number[] = [], rows: number[][] = [];
      for (let h = 0; h < heads; h++) {
        const row = new Array<number>(s.keyStart).fill(0);
        for (let i = s.keyStart; i < s.keyEnd; i++)
          for (let c = 0; c < s.keyStart; c++) row[c] += w[(h * n + i) * n + c] / kRows;
        rows.push(row);
        q.push(row.slice(0, s.promptEnd).reduce((a, b) => a + b, 0));
        u.push(row.slice(s.promptEnd).reduce((a, b) => a + b, 0));
      }
      kToQuery.push(q); kToU.push(u); kAttention.push(rows);
    }
    return { spans: s, offsets, context, understanding, kToQuery, kToU, kAttention };
  })));
}
