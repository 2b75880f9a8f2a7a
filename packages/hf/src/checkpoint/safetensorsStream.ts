import { open } from 'node:fs/promises';
import * as E from 'fp-ts/lib/Either.js';
import { writeFileAtomicWith } from '../files/writeFileAtomic.js';
import { DTYPE_SIZE, type ReadableDType, type WritableDType } from './dtypes.js';
import { checkpointError, type CheckpointError } from './errors.js';
import { convert, encodeValues, headerBytes, validateEntries } from './safetensors.js';
import { decodeHeader } from './safetensorsHeader.js';
import { type LoadedTensor, shapeSize } from './tensorData.js';

/** A safetensors file opened for reading tensor by tensor: the header is checked, no tensor is read yet. */
export interface SafetensorsReader {
  readonly path: string;
  readonly entries: ReadonlyMap<string, { readonly dtype: ReadableDType; readonly shape: readonly number[] }>;
  readonly metadata: Readonly<Record<string, string>>;
  /** One tensor's values (F16 and BF16 as float32); only its bytes are read, and dropped once converted. */
  read(name: string): Promise<E.Either<CheckpointError, LoadedTensor>>;
  close(): Promise<void>;
}

const message = (cause: unknown) => (cause instanceof Error ? cause.message : String(cause));

/**
 * Opens a safetensors file and checks its header as `parseSafetensors` does (length within the file, JSON,
 * known dtypes, offsets tiling the data region, sizes matching shapes), without reading the data, so a model
 * is never held as bytes and as floats at once.
 */
export async function openSafetensors(path: string): Promise<E.Either<CheckpointError, SafetensorsReader>> {
  let handle;
  try { handle = await open(path, 'r'); } catch (cause) { return E.left({ kind: 'FileError', file: path, message: `${path}: ${message(cause)}` }); }
  const h = handle;
  const fail = async (e: CheckpointError) => { await h.close(); return E.left(e); };
  try {
    const size = (await h.stat()).size;
    if (size < 8) return fail(checkpointError('Truncated', path, `file is ${size} bytes, too short for the 8-byte header length`));
    const lengthBytes = new Uint8Array(8);
    await h.read(lengthBytes, 0, 8, 0);
    const headerLength = new DataView(lengthBytes.buffer).getBigUint64(0, true);
    if (headerLength > BigInt(size - 8)) return fail(checkpointError('Truncated', path, `header length ${headerLength} runs past the end of the file (${size} bytes)`));
    const headerText = new Uint8Array(Number(headerLength));
    await h.read(headerText, 0, headerText.length, 8);
    let json: unknown;
    try { json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(headerText)); } catch (cause) {
      return fail(checkpointError('MalformedHeader', path, `header is not valid UTF-8 JSON: ${message(cause)}`));
    }
    const header = decodeHeader(json, path);
    if (E.isLeft(header)) return fail(header.left);
    const dataStart = 8 + headerText.length;
    const dtypes = validateEntries(header.right.entries, size - dataStart, path);
    if (E.isLeft(dtypes)) return fail(dtypes.left);
    const entries = new Map([...header.right.entries].map(([name, e]) => [name, { dtype: dtypes.right.get(name)!, shape: e.shape, begin: e.data_offsets[0], end: e.data_offsets[1] }]));
    return E.right({
      path, entries, metadata: header.right.metadata,
      read: async (name) => {
        const e = entries.get(name);
        if (!e) return E.left(checkpointError('MissingTensor', path, 'missing', name));
        const bytes = new Uint8Array(e.end - e.begin);
        try { await h.read(bytes, 0, bytes.length, dataStart + e.begin); } catch (cause) { return E.left({ kind: 'FileError', file: path, message: `${path}: ${message(cause)}` }); }
        const values = convert(e.dtype, bytes, shapeSize(e.shape));
        if ('bad' in values) return E.left(checkpointError('ValueOutOfRange', path, `I64 value ${values.value} at index ${values.bad} does not fit in 32 bits`, name));
        return E.right({ dtype: e.dtype, shape: [...e.shape], data: values });
      },
      close: () => h.close(),
    });
  } catch (cause) {
    return fail({ kind: 'FileError', file: path, message: `${path}: ${message(cause)}` });
  }
}

/** A tensor to write whose values are asked for only when it is written. */
export interface TensorToStream {
  readonly name: string;
  readonly dtype: WritableDType;
  readonly shape: readonly number[];
  readonly values: () => ArrayLike<number>;
}

/** Bytes a tensor takes in a file. */
export const storedBytes = (t: { readonly dtype: WritableDType; readonly shape: readonly number[] }): number => shapeSize(t.shape) * DTYPE_SIZE[t.dtype];

/**
 * Writes a safetensors file atomically, tensor by tensor (sorted by name, packed, the header padded to 8 bytes,
 * as `serializeSafetensors`), so only one tensor's bytes are held at a time.
 */
export async function writeSafetensorsStream(path: string, tensors: readonly TensorToStream[], metadata?: Readonly<Record<string, string>>): Promise<E.Either<CheckpointError, void>> {
  const sorted = [...tensors].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const header: Record<string, unknown> = Object.create(null);
  if (metadata !== undefined) header['__metadata__'] = { ...metadata };
  let offset = 0;
  for (const t of sorted) {
    const n = storedBytes(t);
    header[t.name] = { dtype: t.dtype, shape: [...t.shape], data_offsets: [offset, offset + n] };
    offset += n;
  }
  const written = await writeFileAtomicWith(path, async (h) => {
    await h.write(headerBytes(header));
    for (const t of sorted) {
      const values = t.values();
      if (values.length !== shapeSize(t.shape)) throw new RangeError(`tensor '${t.name}': ${values.length} values but shape [${t.shape.join(', ')}] needs ${shapeSize(t.shape)}`);
      await h.write(encodeValues(t.name, { dtype: t.dtype, shape: t.shape, data: values }));
    }
  });
  return E.isLeft(written) ? E.left({ kind: 'FileError', file: path, message: written.left.message }) : E.right(undefined);
}
