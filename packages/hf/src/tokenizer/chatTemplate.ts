import * as t from 'io-ts';

/**
 * The chat format as data, so it can be stored with a checkpoint (in `tokenizer_config.json`). `{name}` marks a
 * placeholder: the prompt has `{query}`, the response `{reasoning}` and `{answer}`. A training text is
 * `prompt + response`; the model is asked to continue a prompt.
 */
export interface ChatTemplate {
  readonly prompt: string;
  readonly response: string;
}

export const DEFAULT_CHAT_TEMPLATE: ChatTemplate = {
  prompt: '<|user|>{query}<|end_of_turn|><|assistant|>',
  response: '<think>\n{reasoning}\n</think>\n\n{answer}<|eos|>',
};

const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** The placeholder names a template string uses, in order of first appearance. */
export const placeholdersOf = (template: string): string[] =>
  [...new Set([...template.matchAll(PLACEHOLDER)].map((m) => m[1]!))];

const REQUIRED: Readonly<Record<keyof ChatTemplate, readonly string[]>> = {
  prompt: ['query'],
  response: ['reasoning', 'answer'],
};

/** Why a template is unusable (a placeholder missing or unknown), or null when it is fine. */
export function checkChatTemplate(template: ChatTemplate): string | null {
  for (const field of ['prompt', 'response'] as const) {
    const used = placeholdersOf(template[field]);
    const required = REQUIRED[field];
    const missing = required.filter((p) => !used.includes(p));
    if (missing.length > 0) return `${field}: missing placeholder ${missing.map((p) => `{${p}}`).join(', ')}`;
    const unknown = used.filter((p) => !required.includes(p));
    if (unknown.length > 0) return `${field}: unknown placeholder ${unknown.map((p) => `{${p}}`).join(', ')}`;
  }
  return null;
}

export const ChatTemplateCodec = new t.Type<ChatTemplate, ChatTemplate, unknown>(
  'ChatTemplate',
  (u): u is ChatTemplate => t.type({ prompt: t.string, response: t.string }).is(u) && checkChatTemplate(u) === null,
  (u, c) => {
    const shape = t.type({ prompt: t.string, response: t.string }).validate(u, c);
    if (shape._tag === 'Left') return shape;
    const problem = checkChatTemplate(shape.right);
    return problem === null ? t.success({ prompt: shape.right.prompt, response: shape.right.response }) : t.failure(u, c, problem);
  },
  (a) => ({ prompt: a.prompt, response: a.response }),
);

/**
 * Substitutes `{name}` placeholders in one pass: text inserted for one placeholder is never scanned again, so a
 * query that itself contains `{answer}` stays as written.
 */
export const fillTemplate = (template: string, values: Readonly<Record<string, string>>): string =>
  template.replace(PLACEHOLDER, (whole, name: string) => (Object.hasOwn(values, name) ? values[name]! : whole));

/**
 * `<|user|>{query}<|end_of_turn|><|assistant|>` with the query filled in. Special-token text inside the query is
 * not escaped: it will encode as the special token.
 */
export const formatPrompt = (tok: { readonly chatTemplate: ChatTemplate }, query: string): string =>
  fillTemplate(tok.chatTemplate.prompt, { query });

/** `<think>\n{reasoning}\n</think>\n\n{answer}<|eos|>` with reasoning and answer filled in. */
export const formatResponse = (
  tok: { readonly chatTemplate: ChatTemplate },
  parts: { readonly reasoning: string; readonly answer: string },
): string => fillTemplate(tok.chatTemplate.response, { reasoning: parts.reasoning, answer: parts.answer });
