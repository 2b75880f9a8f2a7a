// One opened checkpoint and what a prompt does to it: generate greedily (as `safekey generate`), then look at the
// response through the method (U, K, the safety heads, K's attention) and the experiment's judge.
import * as E from 'fp-ts/lib/Either.js';
import { type LoadedCheckpoint, type Tokenizer, checkpointFromFiles, decode, encode, promptText, sampleEncoder } from '@safekey-ts/hf/browser';
import { type ResponseInspection, type SampleEncoder, type Verdict, generateTokens, inspectResponse, judge, sequenceProblem } from '@safekey-ts/safekey';
import type { NamedFiles } from './checkpointFiles.js';

export interface OpenModel { readonly name: string; readonly checkpoint: LoadedCheckpoint; readonly encoder: SampleEncoder }

export function openModel(named: NamedFiles): E.Either<string, OpenModel> {
  const c = checkpointFromFiles(named.files, named.name);
  if (E.isLeft(c)) return E.left(c.left.message);
  const enc = sampleEncoder(c.right.tokenizer);
  if (E.isLeft(enc)) return E.left(`${named.name}: ${enc.left}`);
  return E.right({ name: named.name, checkpoint: c.right, encoder: enc.right });
}

export interface Answer {
  readonly promptIds: readonly number[];
  /** Generated ids, the stop token included (as `safekey generate --json` gives them). */
  readonly ids: readonly number[];
  readonly text: string;
  readonly finishReason: 'stop' | 'length';
  readonly tokensPerSecond: number;
  readonly verdict: Verdict;
  readonly inspection: ResponseInspection | { readonly error: string };
}

const nextFrame = () => new Promise<void>((r) => setTimeout(r, 0));

/** The text so far of a generation: the answer without a final stop token. */
export const answerText = (tok: Tokenizer, ids: readonly number[], stops: ReadonlySet<number>) =>
  decode(tok, ids.length > 0 && stops.has(ids.at(-1)!) ? ids.slice(0, -1) : ids);

/**
 * Greedy generation of up to `maxNewTokens` after the chat-templated `prompt`, stopping at the checkpoint's eos
 * ids; `onToken` sees the text after each token (the page repaints between tokens).
 */
export async function ask(m: OpenModel, prompt: string, harmful: boolean, maxNewTokens: number, onToken: (text: string, count: number) => void): Promise<E.Either<string, Answer>> {
  const { config, params, tokenizer: tok, tokenIds, head } = m.checkpoint;
  const rendered = promptText(tok, prompt);
  if (E.isLeft(rendered)) return E.left(`${m.name}: ${rendered.left}`);
  const promptIds = encode(tok, rendered.right).ids;
  const longest = promptIds.length + maxNewTokens;
  const tooLong = sequenceProblem(config, longest);
  if (tooLong !== null) return E.left(`${m.name}: ${longest} positions (a prompt of ${promptIds.length} tokens and ${maxNewTokens} new ones) ${tooLong}`);
  const stops = new Set(tokenIds.eos);
  const steps = generateTokens(params, config, promptIds, { maxNewTokens, stopTokens: [...stops] });
  const ids: number[] = [];
  const t0 = performance.now();
  let r = steps.next();
  while (!r.done) {
    ids.push(r.value);
    onToken(answerText(tok, ids, stops), ids.length);
    await nextFrame();
    r = steps.next();
  }
  const seconds = (performance.now() - t0) / 1000;
  const text = answerText(tok, ids, stops);
  const inspection = inspectResponse(params, config, head, m.encoder, prompt, text);
  return E.right({
    promptIds, ids, text, finishReason: r.value.finishReason, tokensPerSecond: ids.length / seconds,
    verdict: judge(text, harmful), inspection: E.isLeft(inspection) ? { error: inspection.left } : inspection.right,
  });
}
