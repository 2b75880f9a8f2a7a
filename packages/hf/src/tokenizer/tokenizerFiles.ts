import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { readFileText } from '../files/readFileBytes.js';
import { writeFileAtomic } from '../files/writeFileAtomic.js';
import { tokenizerError, type TokenizerError } from './errors.js';
import { buildTokenizer, type Tokenizer, type TokenizerData } from './tokenizer.js';
import { EMPTY_TOKENIZER_CONFIG, toTokenizerConfigJson, tokenizerConfigFromJson } from './tokenizerConfig.js';
import { toTokenizerJson, tokenizerSpecFromJson } from './tokenizerJson.js';

export const TOKENIZER_FILE = 'tokenizer.json';
export const TOKENIZER_CONFIG_FILE = 'tokenizer_config.json';
export const CHAT_TEMPLATE_FILE = 'chat_template.jinja';

const exists = async (path: string) => E.isRight(await readFileText(path));

/**
 * Writes `tokenizer.json`, `tokenizer_config.json` and, when the tokenizer has a chat template,
 * `chat_template.jinja` into `dir` (created if needed), each atomically.
 */
export const saveTokenizer = (dir: string, tok: TokenizerData): Promise<E.Either<TokenizerError, void>> =>
  saveTokenizerAs(join(dir, TOKENIZER_FILE), tok);

/** `saveTokenizer` with the tokenizer.json under another name (its config files still go beside it). */
export async function saveTokenizerAs(path: string, tok: TokenizerData): Promise<E.Either<TokenizerError, void>> {
  const dir = dirname(path);
  try { await mkdir(dir, { recursive: true }); } catch (cause) {
    return E.left(tokenizerError(`${dir}: ${cause instanceof Error ? cause.message : String(cause)}`));
  }
  const files: [string, string][] = [
    [path, `${JSON.stringify(toTokenizerJson(tok), null, 2)}\n`],
    [join(dir, TOKENIZER_CONFIG_FILE), `${JSON.stringify(toTokenizerConfigJson(tok.config), null, 2)}\n`],
    ...(tok.config.chatTemplate !== null ? [[join(dir, CHAT_TEMPLATE_FILE), tok.config.chatTemplate] as [string, string]] : []),
  ];
  for (const [file, text] of files) {
    const written = await writeFileAtomic(file, text);
    if (E.isLeft(written)) return E.left(tokenizerError(written.left.message));
  }
  return E.right(undefined);
}

async function readJson(path: string): Promise<E.Either<TokenizerError, unknown>> {
  const text = await readFileText(path);
  if (E.isLeft(text)) return E.left(tokenizerError(text.left.message));
  try { return E.right(JSON.parse(text.right)); } catch (cause) {
    return E.left(tokenizerError(`${path}: not valid JSON: ${cause instanceof Error ? cause.message : String(cause)}`));
  }
}

/**
 * A tokenizer from a `tokenizer.json` file, with the `tokenizer_config.json` and `chat_template.jinja` beside it
 * when they are there. Every problem is a Left naming the file and the field (all unsupported parts of
 * `tokenizer.json` at once).
 */
export async function readTokenizerFile(path: string): Promise<E.Either<TokenizerError, Tokenizer>> {
  const dir = dirname(path);
  const json = await readJson(path);
  if (E.isLeft(json)) return json;
  const spec = tokenizerSpecFromJson(json.right, path);
  if (E.isLeft(spec)) return spec;
  let config = EMPTY_TOKENIZER_CONFIG;
  const configPath = join(dir, TOKENIZER_CONFIG_FILE), templatePath = join(dir, CHAT_TEMPLATE_FILE);
  const template = await readFileText(templatePath);
  if (await exists(configPath) || E.isRight(template)) {
    const configJson = (await exists(configPath)) ? await readJson(configPath) : E.right({});
    if (E.isLeft(configJson)) return configJson;
    const c = tokenizerConfigFromJson(configJson.right, E.isRight(template) ? template.right : null);
    if (E.isLeft(c)) return E.left(tokenizerError(`${configPath}: ${c.left}`));
    config = c.right;
  }
  return buildTokenizer({ ...spec.right, config }, path);
}

/** The tokenizer of a directory (`tokenizer.json` and what lies beside it). */
export const loadTokenizer = (dir: string) => readTokenizerFile(join(dir, TOKENIZER_FILE));
