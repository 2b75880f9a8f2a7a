import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { readFileText } from '../files/readFileBytes.js';
import { writeFileAtomic } from '../files/writeFileAtomic.js';
import { tokenizerError, type TokenizerError } from './errors.js';
import type { Tokenizer, TokenizerData } from './tokenizer.js';
import { toTokenizerConfigJson } from './tokenizerConfig.js';
import { toTokenizerJson } from './tokenizerJson.js';
import { CHAT_TEMPLATE_FILE, TOKENIZER_CONFIG_FILE, TOKENIZER_FILE, tokenizerFromTexts } from './tokenizerTexts.js';


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

/**
 * A tokenizer from a `tokenizer.json` file, with the `tokenizer_config.json` and `chat_template.jinja` beside it
 * when they are there. Every problem is a Left naming the file and the field (all unsupported parts of
 * `tokenizer.json` at once).
 */
export async function readTokenizerFile(path: string): Promise<E.Either<TokenizerError, Tokenizer>> {
  const dir = dirname(path);
  const text = await readFileText(path);
  if (E.isLeft(text)) return E.left(tokenizerError(text.left.message));
  const configPath = join(dir, TOKENIZER_CONFIG_FILE);
  const config = await readFileText(configPath), template = await readFileText(join(dir, CHAT_TEMPLATE_FILE));
  return tokenizerFromTexts({ tokenizer: text.right, config: E.isRight(config) ? config.right : null, chatTemplate: E.isRight(template) ? template.right : null }, path, configPath);
}

/** The tokenizer of a directory (`tokenizer.json` and what lies beside it). */
export const loadTokenizer = (dir: string) => readTokenizerFile(join(dir, TOKENIZER_FILE));
