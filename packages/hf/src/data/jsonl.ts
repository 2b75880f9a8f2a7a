import { readFileSync } from 'node:fs';
import * as E from 'fp-ts/lib/Either.js';
import type { RawSample } from '@safekey-ts/safekey';
import { decodeSample } from './sampleCodec.js';

/** A problem in a data file, located by file and line. */
export interface DataError { readonly file: string; readonly line: number; readonly message: string }
export const formatDataError = (e: DataError): string => `${e.file}:${e.line}: ${e.message}`;

/** Parses JSONL text; the first bad line is reported with its number and field. Blank lines are skipped. */
export function parseSamples(text: string, file: string): E.Either<DataError, RawSample[]> {
  const out: RawSample[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '') continue;
    let json: unknown;
    try { json = JSON.parse(line); } catch (e) { return E.left({ file, line: i + 1, message: `not JSON (${(e as Error).message})` }); }
    const s = decodeSample(json);
    if (E.isLeft(s)) return E.left({ file, line: i + 1, message: s.left });
    if (s.right.uEnd !== undefined && s.right.kEnd !== undefined && !(s.right.uEnd < s.right.kEnd && s.right.kEnd <= s.right.response.length))
      return E.left({ file, line: i + 1, message: `offsets must satisfy uEnd < kEnd <= response length (${s.right.response.length}), got uEnd ${s.right.uEnd}, kEnd ${s.right.kEnd}` });
    out.push(s.right);
  }
  return E.right(out);
}

export function readSamples(file: string): E.Either<DataError, RawSample[]> {
  let text: string;
  try { text = readFileSync(file, 'utf8'); } catch (e) { return E.left({ file, line: 0, message: `cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})` }); }
  return parseSamples(text, file);
}
