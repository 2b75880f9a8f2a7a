import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { describeErrors } from '../codec/describeErrors.js';

/**
 * What this package reads of a `tokenizer_config.json` (and `chat_template.jinja` beside it): the chat template
 * (Jinja source) and the names of the special tokens the template and generation use. Other keys are ignored.
 */
export interface TokenizerConfig {
  readonly chatTemplate: string | null;
  readonly bosToken: string | null;
  readonly eosToken: string | null;
  readonly padToken: string | null;
  readonly unkToken: string | null;
}

export const EMPTY_TOKENIZER_CONFIG: TokenizerConfig = { chatTemplate: null, bosToken: null, eosToken: null, padToken: null, unkToken: null };

/** A special token as transformers writes it: its text, or an AddedToken object, or null. */
const TokenName = t.union([t.string, t.type({ content: t.string }), t.null], 'token (a string, {"content": ...} or null)');
const NamedTemplates = t.array(t.type({ name: t.string, template: t.string }), 'named chat templates');

export const TokenizerConfigCodec = t.partial({
  chat_template: t.union([t.string, NamedTemplates, t.null], 'chat_template (a string or a list of {name, template})'),
  bos_token: TokenName, eos_token: TokenName, pad_token: TokenName, unk_token: TokenName,
}, 'tokenizer_config.json');

const nameOf = (u: t.TypeOf<typeof TokenName> | undefined): string | null => (u === undefined || u === null ? null : typeof u === 'string' ? u : u.content);

/**
 * Reads a decoded `tokenizer_config.json`. The template comes from `chatTemplateFile` (the text of
 * `chat_template.jinja`) when given, else from `chat_template`: a string, or a list from which the one named
 * "default" is taken (transformers' rule). A Left names the field.
 */
export function tokenizerConfigFromJson(json: unknown, chatTemplateFile: string | null): E.Either<string, TokenizerConfig> {
  const r = TokenizerConfigCodec.decode(json ?? {});
  if (E.isLeft(r)) return E.left(describeErrors(r.left));
  const c = r.right;
  let chatTemplate = chatTemplateFile;
  if (chatTemplate === null && typeof c.chat_template === 'string') chatTemplate = c.chat_template;
  if (chatTemplate === null && Array.isArray(c.chat_template)) {
    const d = c.chat_template.find((x) => x.name === 'default');
    if (!d) return E.left(`chat_template: a list of templates without one named "default" (has ${c.chat_template.map((x) => JSON.stringify(x.name)).join(', ')})`);
    chatTemplate = d.template;
  }
  return E.right({ chatTemplate, bosToken: nameOf(c.bos_token), eosToken: nameOf(c.eos_token), padToken: nameOf(c.pad_token), unkToken: nameOf(c.unk_token) });
}

/**
 * The `tokenizer_config.json` this package writes (the template goes to `chat_template.jinja`, as transformers 5
 * writes it). `PreTrainedTokenizerFast` makes transformers run `tokenizer.json` as written.
 */
export function toTokenizerConfigJson(c: TokenizerConfig): Record<string, unknown> {
  return {
    tokenizer_class: 'PreTrainedTokenizerFast',
    clean_up_tokenization_spaces: false,
    bos_token: c.bosToken, eos_token: c.eosToken, pad_token: c.padToken, unk_token: c.unkToken,
  };
}
