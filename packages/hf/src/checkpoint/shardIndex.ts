import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { describeErrors } from '../codec/describeErrors.js';
import { parseJsonText } from './configFile.js';
import { type CheckpointDirError, dirError } from './dirErrors.js';

export const MODEL_FILE = 'model.safetensors';
export const MODEL_INDEX_FILE = 'model.safetensors.index.json';

const IndexCodec = t.intersection([t.type({ weight_map: t.record(t.string, t.string) }), t.partial({ metadata: t.UnknownRecord })], MODEL_INDEX_FILE);

/** The weight map (tensor name to shard file) of a `model.safetensors.index.json`'s text; every shard a plain `.safetensors` name. */
export function parseShardIndex(text: string, file: string): E.Either<CheckpointDirError, Record<string, string>> {
  const json = parseJsonText(text, file);
  if (E.isLeft(json)) return json;
  const index = IndexCodec.decode(json.right);
  if (E.isLeft(index)) return E.left(dirError('InvalidConfig', file, describeErrors(index.left)));
  const bad = shardFiles(index.right.weight_map).find((f) => f.includes('/') || f.includes('\\') || f === '..' || !f.endsWith('.safetensors'));
  if (bad !== undefined) return E.left(dirError('InvalidConfig', file, `weight_map names ${JSON.stringify(bad)}, not a .safetensors file in the directory`));
  return E.right(index.right.weight_map);
}

/** The shard files a weight map names, sorted. */
export const shardFiles = (weightMap: Readonly<Record<string, string>>): string[] => [...new Set(Object.values(weightMap))].sort();
