import * as E from 'fp-ts/lib/Either.js';
import type { SampleEncoder } from '@safekey-ts/safekey';
import { openedByPrompt, promptText } from './chatTemplate.js';
import { encode } from './encode.js';
import { type Tokenizer, tokenId } from './tokenizer.js';

/**
 * The method's view of a tokenizer: the prompt is the chat template's rendering of the query with the
 * generation prompt; a response is encoded after the part of it the prompt already opens (a generation prompt
 * ending in `<think>\n` keeps the response from repeating it), its offsets still counted from the response's
 * start; the end-of-sequence token is `tokenizer_config.json`'s `eos_token`. A Left when the tokenizer has no
 * usable chat template.
 */
export function sampleEncoder(tok: Tokenizer): E.Either<string, SampleEncoder> {
  const probe = promptText(tok, 'x');
  if (E.isLeft(probe)) return probe;
  const prompts = new Map<string, string>();
  const promptOf = (query: string): string => {
    let p = prompts.get(query);
    if (p === undefined) {
      const r = promptText(tok, query);
      if (E.isLeft(r)) throw new Error(r.left);
      p = r.right;
      if (prompts.size > 1024) prompts.clear();
      prompts.set(query, p);
    }
    return p;
  };
  const eos = tok.config.eosToken === null ? undefined : tokenId(tok, tok.config.eosToken);
  return E.right({
    prompt: (query) => encode(tok, promptOf(query)).ids,
    response: (text, query) => {
      const skip = query === undefined ? 0 : openedByPrompt(promptOf(query), text).length;
      const e = encode(tok, text.slice(skip));
      return { ids: e.ids, offsets: e.offsets.map(([a, b]) => [a + skip, b + skip] as const) };
    },
    ...(eos !== undefined ? { eos } : {}),
  });
}
