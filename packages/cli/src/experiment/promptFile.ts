import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { describeField, readTextFileSync } from '@safekey-ts/hf';
import type { EvalItem } from './corpus.js';

/**
 * A user's evaluation prompt: the text as the user would send it, whether it is harmful, an optional family and
 * kind (`harmful`, `benign`, `lookalike`: a benign request that reads like a harmful one), and the request phrase the
 * prompt wraps (for U faithfulness; default the prompt). Other fields are kept
 * as they are and come back in `responses.jsonl`.
 */
export const PromptCodec = t.intersection([
  t.type({ prompt: t.string, harmful: t.union([t.literal(0), t.literal(1), t.boolean]) }),
  t.partial({ request: t.string, family: t.string, split: t.union([t.literal('train'), t.literal('test')]), kind: t.keyof({ harmful: null, benign: null, lookalike: null }, "'harmful', 'benign' or 'lookalike'") }),
], 'Prompt');

/** Each non-blank line of a JSONL file, parsed and decoded; the first bad line is a Left `file:line: why`. */
export function readJsonlLines<A>(file: string, decode: (json: unknown) => E.Either<string, A>): E.Either<string, A[]> {
  const read = readTextFileSync(file);
  if (E.isLeft(read)) return read;
  const out: A[] = [];
  const lines = read.right.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].trim() === '') continue;
    let json: unknown;
    try { json = JSON.parse(lines[i]); } catch (e) { return E.left(`${file}:${i + 1}: not JSON (${(e as Error).message})`); }
    const r = decode(json);
    if (E.isLeft(r)) return E.left(`${file}:${i + 1}: ${r.left}`);
    out.push(r.right);
  }
  return E.right(out);
}

function promptItem(json: unknown): E.Either<string, EvalItem> {
  const r = PromptCodec.decode(json);
  if (E.isLeft(r)) return E.left(describeField(r.left));
  const p = r.right;
  const harmful = p.harmful === true || p.harmful === 1 ? 1 : 0;
  if (p.kind !== undefined && (p.kind === 'harmful') !== (harmful === 1))
    return E.left(`field 'kind': '${p.kind}' contradicts harmful ${harmful} (a harmful request has kind 'harmful'; benign and lookalike ones harmful 0)`);
  const { prompt: _p, harmful: _h, family: _f, split: _s, kind: _k, request: _r, ...extra } = json as Record<string, unknown>;
  return E.right({
    prompt: p.prompt, harmful, kind: p.kind ?? (harmful ? 'harmful' : 'benign'), family: p.family ?? 'custom', split: p.split ?? 'test', request: p.request ?? p.prompt,
    ...(Object.keys(extra).length > 0 ? { extra } : {}),
  });
}

/** Reads a JSONL prompt file into evaluation items; a bad line is reported as `file:line: field ...`. */
export function readPromptFile(file: string): E.Either<string, EvalItem[]> {
  const items = readJsonlLines(file, promptItem);
  if (E.isLeft(items)) return items;
  return items.right.length > 0 ? items : E.left(`${file}: the file has no prompts`);
}
