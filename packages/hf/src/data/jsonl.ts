import { readFileSync } from 'node:fs';
import * as E from 'fp-ts/lib/Either.js';
import type { RawSample } from '@safekey-ts/safekey';
import { ioCause } from '../files/ioCause.js';
import { codePointLength, codePointToUnit } from './codePoints.js';
import { decodeSample } from './sampleCodec.js';
import { decodeUtf8Text } from './utf8Text.js';

/** A problem in a data file, located by file and line (0: the file as a whole). */
export interface DataError { readonly file: string; readonly line: number; readonly message: string }
export const formatDataError = (e: DataError): string => (e.line > 0 ? `${e.file}:${e.line}: ${e.message}` : `${e.file}: ${e.message}`);

/**
 * Parses JSONL text; the first bad line is reported with its number and field. Blank lines are skipped; a file
 * with no sample is an error. Span offsets count Unicode code points of the response (as Python and the public
 * SafeKey data do) and must satisfy uEnd < kEnd <= its length; each sample comes back with them in UTF-16
 * units (the strings' own) and with `source` naming its file and line.
 */
export function parseSamples(text: string, file: string): E.Either<DataError, RawSample[]> {
  const out: RawSample[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    const at = (message: string): E.Either<DataError, never> => E.left({ file, line: i + 1, message });
    let json: unknown;
    try { json = JSON.parse(line); } catch (e) { return at(`not JSON (${(e as Error).message})`); }
    const s = decodeSample(json);
    if (E.isLeft(s)) return at(s.left);
    let sample: RawSample = { ...s.right, source: `${file}:${i + 1}` };
    if (sample.uEnd !== undefined && sample.kEnd !== undefined) {
      const n = codePointLength(sample.response);
      if (!(sample.uEnd < sample.kEnd && sample.kEnd <= n))
        return at(`offsets must satisfy uEnd < kEnd <= response length (${n} code points), got uEnd ${sample.uEnd}, kEnd ${sample.kEnd}`);
      sample = { ...sample, uEnd: codePointToUnit(sample.response, sample.uEnd)!, kEnd: codePointToUnit(sample.response, sample.kEnd)! };
    }
    out.push(sample);
  }
  if (out.length === 0) return E.left({ file, line: 0, message: text.trim() === '' ? 'the file is empty: no samples' : 'no samples' });
  return E.right(out);
}

/** Reads a JSONL data file: UTF-8 (a BOM is skipped; an invalid byte is an error naming its line), then `parseSamples`. */
export function readSamples(file: string): E.Either<DataError, RawSample[]> {
  let bytes: Uint8Array;
  try { bytes = readFileSync(file); } catch (e) { return E.left({ file, line: 0, message: `cannot read: ${ioCause(e)}` }); }
  const text = decodeUtf8Text(bytes);
  if (E.isLeft(text)) return E.left({ file, ...text.left });
  return parseSamples(text.right, file);
}
