import type { SampleEncoder } from '@safekey-ts/safekey';
import { formatPrompt } from './chatTemplate.js';
import { encode } from './encode.js';
import { type Tokenizer, specialTokenId } from './tokenizer.js';

/** The method's view of a tokenizer: the prompt in its chat format, a response with offsets, and `<|eos|>`. */
export function sampleEncoder(tok: Tokenizer): SampleEncoder {
  const eos = specialTokenId(tok, '<|eos|>');
  return {
    prompt: (query) => encode(tok, formatPrompt(tok, query)).ids,
    response: (text) => encode(tok, text),
    ...(eos !== undefined ? { eos } : {}),
  };
}
