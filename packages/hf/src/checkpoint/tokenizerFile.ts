import { access } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { ChatTemplateCodec, DEFAULT_CHAT_TEMPLATE } from '../tokenizer/chatTemplate.js';
import { DEFAULT_SPECIAL_TOKENS } from '../tokenizer/specialTokens.js';
import { type Tokenizer, buildTokenizer } from '../tokenizer/tokenizer.js';
import { TOKENIZER_CONFIG_FILE, TOKENIZER_FILE } from '../tokenizer/tokenizerFiles.js';
import { tokenizerDataFromJson } from '../tokenizer/tokenizerJson.js';
import { trainBpe } from '../tokenizer/train.js';
import type { CheckpointDirError } from './dirErrors.js';
import { readJsonFile } from './jsonFile.js';

export const pathExists = (path: string): Promise<boolean> => access(path).then(() => true, () => false);

/** The part of a `tokenizer_config.json` read here: the chat template, when it has one (other tools' files do not). */
const OptionalTemplateCodec = t.partial({ safekey_chat_template: ChatTemplateCodec }, 'tokenizer_config.json');

/**
 * A tokenizer from a `tokenizer.json` file. Its chat template comes from the `tokenizer_config.json` beside it
 * when that file has one (as `saveTokenizer` writes), else it is the default template. Errors name the file and field.
 */
export async function readTokenizerFile(path: string): Promise<E.Either<CheckpointDirError, Tokenizer>> {
  const configPath = join(dirname(path), TOKENIZER_CONFIG_FILE);
  let template = DEFAULT_CHAT_TEMPLATE;
  if (await pathExists(configPath)) {
    const config = await readJsonFile(configPath, OptionalTemplateCodec, 'InvalidTokenizer');
    if (E.isLeft(config)) return config;
    template = config.right.safekey_chat_template ?? template;
  }
  const json = await readJsonFile(path, t.unknown, 'InvalidTokenizer');
  if (E.isLeft(json)) return json;
  const data = tokenizerDataFromJson(json.right, template, path);
  const built = E.isLeft(data) ? data : buildTokenizer(data.right, path);
  return E.isLeft(built) ? E.left({ kind: 'InvalidTokenizer', file: path, message: built.left.message }) : built;
}

/** The tokenizer of a checkpoint directory (`tokenizer.json`, and `tokenizer_config.json` when present). */
export const readCheckpointTokenizer = (dir: string) => readTokenizerFile(join(dir, TOKENIZER_FILE));

/** A byte-level tokenizer without merges: the 256 byte tokens, then the default special tokens (263 in all). */
export function byteLevelTokenizer(): Tokenizer {
  const r = trainBpe([], { vocabSize: 256 + DEFAULT_SPECIAL_TOKENS.length });
  if (E.isLeft(r)) throw new Error(`byteLevelTokenizer: ${r.left.message}`);
  return r.right;
}
