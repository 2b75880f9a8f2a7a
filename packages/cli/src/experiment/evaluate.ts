import { type ModelConfig, type ModelParams, generateBatch } from '@safekey-ts/safekey';
import * as E from 'fp-ts/lib/Either.js';
import { type Tokenizer, decode, encode, promptText, tokenId } from '@safekey-ts/hf';
import type { EvalItem } from './corpus.js';
import { compliantResponse } from './responses.js';
import { type EvalRecord, toRecord } from './summary.js';

export interface EvalOptions {
  readonly maxNewTokens: number;
  readonly batchSize: number;
  /** Tokens of a compliant reply forced at the start of the answer for the prefilling attack (0: none). */
  readonly prefillTokens: number;
  readonly repetitionPenalty: number;
  /** Attack every harmful prompt with prefilling (a user's prompt file), not only the plain built-in ones. */
  readonly prefillAll?: boolean;
  readonly onProgress?: (done: number, total: number) => void;
  /** Decoding stops at these (default: the tokenizer config's eos token); they are left out of the response. */
  readonly stopTokens?: readonly number[];
}

interface Job { readonly item: EvalItem; readonly prompt: number[]; readonly prefix: number[]; readonly prefilled: boolean }

/**
 * Generates a greedy response to every prompt (and, for plain harmful requests, again under a prefilling
 * attack) and judges it. The response text is the decoded answer, the forced prefix included.
 */
export function evaluate(params: ModelParams, config: ModelConfig, tok: Tokenizer, items: readonly EvalItem[], opts: EvalOptions): EvalRecord[] {
  const eos = tok.config.eosToken === null ? undefined : tokenId(tok, tok.config.eosToken);
  const stops = new Set(opts.stopTokens ?? (eos !== undefined ? [eos] : []));
  const promptIds = (q: string) => {
    const p = promptText(tok, q);
    if (E.isLeft(p)) throw new Error(p.left);
    return encode(tok, p.right).ids;
  };
  const jobs: Job[] = items.map((item) => ({ item, prompt: promptIds(item.prompt), prefix: [], prefilled: false }));
  if (opts.prefillTokens > 0) for (const item of items.filter((i) => i.kind === 'harmful' && (opts.prefillAll || i.family === 'plain'))) {
    jobs.push({
      item, prompt: promptIds(item.prompt),
      prefix: encode(tok, compliantResponse(item.request).text).ids.slice(0, opts.prefillTokens), prefilled: true,
    });
  }
  const records: EvalRecord[] = [];
  for (let i = 0; i < jobs.length; i += opts.batchSize) {
    const part = jobs.slice(i, i + opts.batchSize);
    const out = generateBatch(params, config, part.map((j) => j.prompt), {
      maxNewTokens: opts.maxNewTokens, repetitionPenalty: opts.repetitionPenalty, prefixes: part.map((j) => j.prefix),
      stopTokens: [...stops],
    });
    part.forEach((j, k) => {
      const ids = out[k].ids.filter((id) => !stops.has(id));
      records.push(toRecord(j.item, decode(tok, ids), j.prefilled));
    });
    opts.onProgress?.(Math.min(i + opts.batchSize, jobs.length), jobs.length);
  }
  return records;
}
