import { fileURLToPath } from 'node:url';
import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { describeField, readTextFileSync } from '@safekey-ts/hf';

const Topic = t.type({ category: t.string, request: t.string, split: t.union([t.literal('train'), t.literal('test')]) });
export const TopicsCodec = t.type({ harmful: t.array(Topic), benign: t.array(Topic), lookalike: t.array(Topic) }, 'SafetyTopics');
export type Topics = t.TypeOf<typeof TopicsCodec>;
export type RequestKind = 'harmful' | 'benign' | 'lookalike';

/** Reads `safety-topics.json` (request phrases completing "How do I ...?"). */
export function loadTopics(file: string): E.Either<string, Topics> {
  let json: unknown;
  const text = readTextFileSync(file);
  if (E.isLeft(text)) return text;
  try { json = JSON.parse(text.right); } catch (e) { return E.left(`${file}: not valid JSON: ${(e as Error).message}`); }
  const r = TopicsCodec.decode(json);
  return E.isLeft(r) ? E.left(`${file}: ${describeField(r.left)}`) : E.right(r.right);
}

/** The request phrases the experiment ships with (`packages/cli/data/safety-topics.json`). */
export const defaultTopicsFile = (): string => fileURLToPath(new URL('../../data/safety-topics.json', import.meta.url));
