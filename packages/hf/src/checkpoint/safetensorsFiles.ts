import * as E from 'fp-ts/lib/Either.js';
import { readFileBytes } from '../files/readFileBytes.js';
import { writeFileAtomic } from '../files/writeFileAtomic.js';
import type { CheckpointError } from './errors.js';
import { parseSafetensors, serializeSafetensors, type Safetensors } from './safetensors.js';
import type { TensorToWrite } from './tensorData.js';

/** Reads and parses a safetensors file (tensors and metadata); errors name the path. */
export async function readSafetensorsFile(path: string): Promise<E.Either<CheckpointError, Safetensors>> {
  const bytes = await readFileBytes(path);
  if (E.isLeft(bytes)) return E.left({ kind: 'FileError', file: path, message: bytes.left.message });
  return parseSafetensors(bytes.right, path);
}

/** Serialises tensors and writes them to `path` atomically (temp file in the same directory, then rename). */
export async function writeSafetensorsFile(
  path: string,
  tensors: Readonly<Record<string, TensorToWrite>>,
  metadata?: Readonly<Record<string, string>>,
): Promise<E.Either<CheckpointError, void>> {
  const written = await writeFileAtomic(path, serializeSafetensors(tensors, metadata));
  return E.isLeft(written) ? E.left({ kind: 'FileError', file: path, message: written.left.message }) : written;
}
