import { readFileSync } from 'node:fs';
import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { describeField } from '../codec/describeErrors.js';

const Topic = t.type({ category: t.string, request: t.string, split: t.union([t.literal('train'), t.literal('test')]) });
export const TopicsCodec = t.type({ harmful: t.array(Topic), benign: t.array(Topic), lookalike: t.array(Topic) }, 'SafetyTopics');
export type Topics = t.TypeOf<typeof TopicsCodec>;
export type RequestKind = 'harmful' | 'benign' | 'lookalike';

/** Reads `safety-topics.json` (request phrases completing "How do I ...?"). */
export function loadTopics(file: string): E.Either<string, Topics> {
  let json: unknown;
  try { json = JSON.parse(readFileSync(file, 'utf8')); } catch (e) { return E.left(`${file}: ${(e as Error).message}`); }
  const r = TopicsCodec.decode(json);
  return E.isLeft(r) ? E.left(`${file}: ${describeField(r.left)}`) : E.right(r.right);
}

/** Where the shared folder sits: `../shared` beside the repository. */
export const defaultTopicsFile = (): string => new URL('../../../../../shared/data/safety-topics.json', import.meta.url).pathname;
