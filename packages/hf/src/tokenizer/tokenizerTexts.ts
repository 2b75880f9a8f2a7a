import * as E from 'fp-ts/lib/Either.js';
import { tokenizerError, type TokenizerError } from './errors.js';
import { buildTokenizer, type Tokenizer } from './tokenizer.js';
import { EMPTY_TOKENIZER_CONFIG, tokenizerConfigFromJson } from './tokenizerConfig.js';
import { tokenizerSpecFromJson } from './tokenizerJson.js';

export const TOKENIZER_FILE = 'tokenizer.json';
export const TOKENIZER_CONFIG_FILE = 'tokenizer_config.json';
export const CHAT_TEMPLATE_FILE = 'chat_template.jinja';

/** The texts of a tokenizer's files: `tokenizer.json`, and `tokenizer_config.json` and `chat_template.jinja` when present. */
export interface TokenizerTexts { readonly tokenizer: string; readonly config: string | null; readonly chatTemplate: string | null }

const parseJson = (text: string, path: string): E.Either<TokenizerError, unknown> => {
  try { return E.right(JSON.parse(text)); } catch (cause) {
    return E.left(tokenizerError(`${path}: not valid JSON: ${cause instanceof Error ? cause.message : String(cause)}`));
  }
};

/**
 * A tokenizer from its files' texts (`path` and `configPath` name them in messages). Every problem is a Left naming
 * the file and the field (all unsupported parts of `tokenizer.json` at once).
 */
export function tokenizerFromTexts(texts: TokenizerTexts, path: string, configPath: string): E.Either<TokenizerError, Tokenizer> {
  const json = parseJson(texts.tokenizer, path);
  if (E.isLeft(json)) return json;
  const spec = tokenizerSpecFromJson(json.right, path);
  if (E.isLeft(spec)) return spec;
  let config = EMPTY_TOKENIZER_CONFIG;
  if (texts.config !== null || texts.chatTemplate !== null) {
    const configJson = texts.config !== null ? parseJson(texts.config, configPath) : E.right({});
    if (E.isLeft(configJson)) return configJson;
    const c = tokenizerConfigFromJson(configJson.right, texts.chatTemplate);
    if (E.isLeft(c)) return E.left(tokenizerError(`${configPath}: ${c.left}`));
    config = c.right;
  }
  return buildTokenizer({ ...spec.right, config }, path);
}
