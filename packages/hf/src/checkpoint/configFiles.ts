import * as E from 'fp-ts/lib/Either.js';
import { readFileText } from '../files/readFileBytes.js';
import { type ConfigFile, type ModelTokenIds, configFromText, generationConfigFromText } from './configFile.js';
import type { CheckpointDirError } from './dirErrors.js';

const readWith = async <A>(path: string, parse: (text: string, file: string) => E.Either<CheckpointDirError, A>): Promise<E.Either<CheckpointDirError, A>> => {
  const text = await readFileText(path);
  return E.isLeft(text) ? E.left({ kind: 'FileError', file: path, message: text.left.message }) : parse(text.right, path);
};

/** Reads and checks a `config.json`; a Left names the file and the key. */
export const readConfigFile = (path: string): Promise<E.Either<CheckpointDirError, ConfigFile>> => readWith(path, configFromText);

/** The token ids of a `generation_config.json` (other keys are ignored). */
export const readGenerationConfig = (path: string): Promise<E.Either<CheckpointDirError, ModelTokenIds>> => readWith(path, generationConfigFromText);
