import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { readFileText } from '../files/readFileBytes.js';
import { writeFileAtomic } from '../files/writeFileAtomic.js';
import { tokenizerError, type TokenizerError } from './errors.js';
import type { Tokenizer, TokenizerData } from './tokenizer.js';
import { toTokenizerConfig, toTokenizerJson, tokenizerFromJson } from './tokenizerJson.js';

export const TOKENIZER_FILE = 'tokenizer.json';
export const TOKENIZER_CONFIG_FILE = 'tokenizer_config.json';

/** Writes `tokenizer.json` and `tokenizer_config.json` into `dir` (created if needed), each atomically. */
export async function saveTokenizer(dir: string, tok: TokenizerData): Promise<E.Either<TokenizerError, void>> {
  try {
    await mkdir(dir, { recursive: true });
  } catch (cause) {
    return E.left(tokenizerError(`${dir}: ${cause instanceof Error ? cause.message : String(cause)}`));
  }
  const files: [string, unknown][] = [
    [TOKENIZER_FILE, toTokenizerJson(tok)],
    [TOKENIZER_CONFIG_FILE, toTokenizerConfig(tok)],
  ];
  for (const [name, json] of files) {
    const written = await writeFileAtomic(join(dir, name), `${JSON.stringify(json, null, 2)}\n`);
    if (E.isLeft(written)) return E.left(tokenizerError(written.left.message));
  }
  return E.right(undefined);
}

const readJson = async (path: string): Promise<E.Either<TokenizerError, unknown>> => {
  const text = await readFileText(path);
  if (E.isLeft(text)) return E.left(tokenizerError(text.left.message));
  try {
    return E.right(JSON.parse(text.right));
  } catch (cause) {
    return E.left(tokenizerError(`${path}: not valid JSON: ${cause instanceof Error ? cause.message : String(cause)}`));
  }
};

/** Reads and validates `tokenizer.json` and `tokenizer_config.json` from `dir`. */
export async function loadTokenizer(dir: string): Promise<E.Either<TokenizerError, Tokenizer>> {
  const tokenizerPath = join(dir, TOKENIZER_FILE);
  const configPath = join(dir, TOKENIZER_CONFIG_FILE);
  const json = await readJson(tokenizerPath);
  if (E.isLeft(json)) return json;
  const config = await readJson(configPath);
  if (E.isLeft(config)) return config;
  return tokenizerFromJson(json.right, config.right, { tokenizer: tokenizerPath, config: configPath });
}
