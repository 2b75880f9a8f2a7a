import * as E from 'fp-ts/lib/Either.js';
import { Template } from '@huggingface/jinja';
import { CHAT_SPECIAL_TOKENS } from './specialTokens.js';
import type { TokenizerData } from './tokenizer.js';

/**
 * The project's own chat format as a Jinja chat template: `<|user|>{query}<|end_of_turn|><|assistant|>` for a
 * prompt, an assistant turn ending in `<|eos|>`. Hugging Face's `apply_chat_template` renders it as this package does.
 */
export const DEFAULT_CHAT_TEMPLATE = [
  "{%- for message in messages %}",
  "{%- if message['role'] == 'user' %}{{ '<|user|>' + message['content'] + '<|end_of_turn|>' }}",
  "{%- elif message['role'] == 'assistant' %}{{ '<|assistant|>' + message['content'] + '<|eos|>' }}",
  "{%- else %}{{ raise_exception('Only user and assistant roles are supported') }}",
  "{%- endif %}{%- endfor %}",
  "{%- if add_generation_prompt %}{{ '<|assistant|>' }}{% endif %}",
].join('');

/** The special tokens the default template writes; a tokenizer without them cannot use it. */
const DEFAULT_MARKERS = [CHAT_SPECIAL_TOKENS.user, CHAT_SPECIAL_TOKENS.endOfTurn, CHAT_SPECIAL_TOKENS.assistant];

export interface ChatMessage { readonly role: string; readonly content: string }

const hasToken = (tok: TokenizerData, s: string) => tok.addedTokens.some((a) => a.content === s);

/**
 * The chat template a tokenizer is used with: its own (from `tokenizer_config.json` or `chat_template.jinja`), or,
 * when it has none, the project's default if the tokenizer has that format's special tokens. Otherwise a Left
 * saying so: a prompt is never wrapped in markers the tokenizer would encode as plain text.
 */
export function chatTemplateOf(tok: TokenizerData): E.Either<string, string> {
  if (tok.config.chatTemplate !== null) return E.right(tok.config.chatTemplate);
  const missing = DEFAULT_MARKERS.filter((m) => !hasToken(tok, m));
  if (missing.length === 0) return E.right(DEFAULT_CHAT_TEMPLATE);
  return E.left(`the tokenizer has no chat template (no chat_template in tokenizer_config.json, no chat_template.jinja) and lacks the default format's tokens ${missing.join(' ')}`);
}

const compiled = new Map<string, Template>();
const templateOf = (source: string): Template => {
  let t = compiled.get(source);
  if (!t) { t = new Template(source); compiled.set(source, t); }
  return t;
};

/**
 * Renders a conversation with the tokenizer's chat template (`@huggingface/jinja`), as transformers'
 * `apply_chat_template(messages, add_generation_prompt=..., tokenize=False)`: the template sees `messages`,
 * `add_generation_prompt` and the special token names of `tokenizer_config.json`. A template that cannot be
 * parsed or raises is a Left with its message.
 */
export function renderChat(tok: TokenizerData, messages: readonly ChatMessage[], opts: { readonly addGenerationPrompt: boolean }): E.Either<string, string> {
  const source = chatTemplateOf(tok);
  if (E.isLeft(source)) return source;
  const names = { bos_token: tok.config.bosToken, eos_token: tok.config.eosToken, pad_token: tok.config.padToken, unk_token: tok.config.unkToken };
  const context: Record<string, unknown> = { messages: messages.map((m) => ({ ...m })), add_generation_prompt: opts.addGenerationPrompt };
  for (const [k, v] of Object.entries(names)) if (v !== null) context[k] = v;
  try {
    return E.right(templateOf(source.right).render(context));
  } catch (e) {
    return E.left(`chat template: ${(e as Error).message}`);
  }
}

/** The prompt of a one-turn conversation, ready for the model's answer (`add_generation_prompt=True`). */
export const promptText = (tok: TokenizerData, query: string): E.Either<string, string> =>
  renderChat(tok, [{ role: 'user', content: query }], { addGenerationPrompt: true });

/** The opening of a response that a prompt already ends with, when it holds the reasoning tag (`<think>\n`), else ''. */
export function openedByPrompt(prompt: string, response: string): string {
  for (let n = Math.min(prompt.length, response.length); n > 0; n--) {
    const head = response.slice(0, n);
    if (head.includes(CHAT_SPECIAL_TOKENS.thinkStart) && prompt.endsWith(head)) return head;
  }
  return '';
}
