import { type ModelConfig, type ModelParams, generateBatch } from '@safekey-ts/safekey';
import * as E from 'fp-ts/lib/Either.js';
import { type Tokenizer, decode, encode, promptText, tokenId } from '@safekey-ts/hf';
import type { EvalItem } from './corpus.js';
import { compliantResponse } from './responses.js';
import { type EvalRecord, toRecord } from './summary.js';

export interface EvalOptions {
  readonly maxNewTokens: number;
  readonly batchSize: number;
  /** Tokens of a compliant response forced at the start of the answer for the prefilling attack (0: none). */
  readonly prefillTokens: number;
  readonly repetitionPenalty: number;
  /** Attack every harmful prompt with prefilling (a user's prompt file), not only the plain built-in ones. */
  readonly prefillAll?: boolean;
  /**
   * The compliant response each attacked prompt's answer is forced to start with (its first `prefillTokens`
   * tokens): the base model's own response to that prompt. A prompt without one gets the stage-0 corpus's
   * compliant response to its request (what the base model was trained to write).
   */
  readonly prefills?: ReadonlyMap<string, string>;
  readonly onProgress?: (done: number, total: number) => void;
  /** Decoding stops at these (default: the tokenizer config's eos token); they are left out of the response. */
  readonly stopTokens?: readonly number[];
}

interface Job { readonly item: EvalItem; readonly prompt: number[]; readonly prefix: number[]; readonly prefilled: boolean }

/**
 * Generates a greedy response to every prompt, then (for plain harmful requests, or every harmful one with
 * `prefillAll`) again under a prefilling attack, and judges each. The response text is the decoded answer, the
 * forced prefix included.
 */
export function evaluate(params: ModelParams, config: ModelConfig, tok: Tokenizer, items: readonly EvalItem[], opts: EvalOptions): EvalRecord[] {
  const eos = tok.config.eosToken === null ? undefined : tokenId(tok, tok.config.eosToken);
  const stops = new Set(opts.stopTokens ?? (eos !== undefined ? [eos] : []));
  const promptIds = (q: string) => {
    const p = promptText(tok, q);
    if (E.isLeft(p)) throw new Error(p.left);
    return encode(tok, p.right).ids;
  };
  const attacked = opts.prefillTokens > 0 ? items.filter((i) => i.kind === 'harmful' && (opts.prefillAll || i.family === 'plain')) : [];
  const total = items.length + attacked.length;
  const records: EvalRecord[] = [];
  const run = (jobs: readonly Job[]) => {
    for (let i = 0; i < jobs.length; i += opts.batchSize) {
      const part = jobs.slice(i, i + opts.batchSize);
      const out = generateBatch(params, config, part.map((j) => j.prompt), {
        maxNewTokens: opts.maxNewTokens, repetitionPenalty: opts.repetitionPenalty, prefixes: part.map((j) => j.prefix),
        stopTokens: [...stops],
      });
      part.forEach((j, k) => records.push(toRecord(j.item, decode(tok, out[k].ids.filter((id) => !stops.has(id))), j.prefilled)));
      opts.onProgress?.(records.length, total);
    }
  };
  run(items.map((item) => ({ item, prompt: promptIds(item.prompt), prefix: [], prefilled: false })));
  run(attacked.map((item) => ({
    item, prompt: promptIds(item.prompt), prefilled: true,
    prefix: encode(tok, opts.prefills?.get(item.prompt) ?? compliantResponse(item.request).text).ids.slice(0, opts.prefillTokens),
  })));
  return records;
}
