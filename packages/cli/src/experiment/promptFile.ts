import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { describeField, readTextFileSync } from '@safekey-ts/hf';
import type { EvalItem } from './corpus.js';

/** A user's evaluation prompt: the text as the user would send it, whether it is harmful, an optional family. */
export const PromptCodec = t.intersection([
  t.type({ prompt: t.string, harmful: t.union([t.literal(0), t.literal(1), t.boolean]) }),
  t.partial({ family: t.string, split: t.union([t.literal('train'), t.literal('test')]) }),
], 'Prompt');

/** Reads a JSONL prompt file into evaluation items; a bad line is reported as `file:line: field ...`. */
export function readPromptFile(file: string): E.Either<string, EvalItem[]> {
  const read = readTextFileSync(file);
  if (E.isLeft(read)) return read;
  const text = read.right;
  const items: EvalItem[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].trim() === '') continue;
    let json: unknown;
    try { json = JSON.parse(lines[i]); } catch (e) { return E.left(`${file}:${i + 1}: not JSON (${(e as Error).message})`); }
    const r = PromptCodec.decode(json);
    if (E.isLeft(r)) return E.left(`${file}:${i + 1}: ${describeField(r.left)}`);
    const p = r.right;
    const harmful = p.harmful === true || p.harmful === 1 ? 1 : 0;
    items.push({ prompt: p.prompt, harmful, kind: harmful ? 'harmful' : 'benign', family: p.family ?? 'custom', split: p.split ?? 'test', request: p.prompt });
  }
  return items.length > 0 ? E.right(items) : E.left(`${file}: the file has no prompts`);
}
