import { readFileSync } from 'node:fs';
import * as E from 'fp-ts/lib/Either.js';
import { textOfFile } from '../data/utf8Text.js';
import { describeIoError } from './ioCause.js';

/**
 * A UTF-8 text file (a BOM is dropped; invalid UTF-8 is an error naming the line), for the CLI's small inputs:
 * configs, prompt files. A Left is one line starting with the path.
 */
export function readTextFileSync(file: string): E.Either<string, string> {
  let bytes: Uint8Array;
  try { bytes = readFileSync(file); } catch (e) { return E.left(`${describeIoError(file, e)}`); }
  return textOfFile(file, bytes);
}
