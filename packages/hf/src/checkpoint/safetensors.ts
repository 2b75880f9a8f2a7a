import * as E from 'fp-ts/lib/Either.js';
import { DTYPE_SIZE, isKnownDType, isReadableDType, type ReadableDType, type WritableDType } from './dtypes.js';
import { checkpointError, fmtDims, type CheckpointError } from './errors.js';
import { bf16Bits, bf16Value, toBfloat16 } from '@safekey-ts/core';
import { f16Table32, numberToF16Bits } from './halfFloat.js';
import { decodeHeader, type HeaderEntry } from './safetensorsHeader.js';
import { shapeSize, type LoadedTensor, type TensorToWrite } from './tensorData.js';

export interface Safetensors {
  readonly tensors: Map<string, LoadedTensor>;
  readonly metadata: Readonly<Record<string, string>>;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/** The bytes as 16-bit words, copied to an aligned buffer when they are not aligned (little-endian hosts). */
const words16 = (bytes: Uint8Array, count: number): Uint16Array =>
  bytes.byteOffset % 2 === 0 ? new Uint16Array(bytes.buffer, bytes.byteOffset, count) : new Uint16Array(bytes.slice(0, 2 * count).buffer);

/**
 * Values of one tensor's bytes, converted per dtype (little-endian, any alignment). On little-endian hosts the
 * float dtypes convert through typed-array views (a model of half a billion values loads in seconds).
 */
export function convert(dtype: ReadableDType, bytes: Uint8Array, count: number): Float32Array | Float64Array | Int32Array | { bad: number; value: bigint } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (LITTLE_ENDIAN && dtype === 'F32') return new Float32Array(bytes.slice(0, 4 * count).buffer);
  if (LITTLE_ENDIAN && dtype === 'BF16') {
    const src = words16(bytes, count), out = new Uint32Array(count);
    for (let i = 0; i < count; i++) out[i] = src[i]! << 16; // BF16 is the top half of a float32
    return new Float32Array(out.buffer);
  }
  if (LITTLE_ENDIAN && dtype === 'F16') {
    const src = words16(bytes, count), table = f16Table32(), out = new Float32Array(count);
    for (let i = 0; i < count; i++) out[i] = table[src[i]!]!;
    return out;
  }
  switch (dtype) {
    case 'F32': {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(4 * i, true);
      return out;
    }
    case 'F64': {
      const out = new Float64Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(8 * i, true);
      return out;
    }
    case 'F16': {
      const table = f16Table32();
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = table[view.getUint16(2 * i, true)]!;
      return out;
    }
    case 'BF16': {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = bf16Value(view.getUint16(2 * i, true));
      return out;
    }
    case 'I64': {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) {
        const v = view.getBigInt64(8 * i, true);
        if (v < -2147483648n || v > 2147483647n) return { bad: i, value: v };
        out[i] = Number(v);
      }
      return out;
    }
    case 'I32': {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt32(4 * i, true);
      return out;
    }
    case 'I16': return Int32Array.from({ length: count }, (_, i) => view.getInt16(2 * i, true));
    case 'U16': return Int32Array.from({ length: count }, (_, i) => view.getUint16(2 * i, true));
    case 'I8': return Int32Array.from({ length: count }, (_, i) => view.getInt8(i));
    case 'U8':
    case 'BOOL': return Int32Array.from(bytes.subarray(0, count));
  }
}

/** Checks one entry's dtype, offsets and size against its shape; returns its (readable) dtype. */
function checkEntry(name: string, e: HeaderEntry, dataLength: number, file: string): E.Either<CheckpointError, ReadableDType> {
  const [begin, end] = e.data_offsets;
  const at = `data_offsets [${begin}, ${end}]`;
  if (!isKnownDType(e.dtype)) return E.left(checkpointError('UnknownDType', file, `unknown dtype '${e.dtype}'`, name));
  if (!isReadableDType(e.dtype)) return E.left(checkpointError('UnsupportedDType', file, `dtype ${e.dtype} is not supported (readable: F64, F32, F16, BF16, I64, I32, I16, I8, U16, U8, BOOL)`, name));
  if (end < begin) return E.left(checkpointError('BadOffsets', file, `${at} end before they begin`, name));
  if (end > dataLength) return E.left(checkpointError('Truncated', file, `${at} run past the end of the data (${dataLength} bytes)`, name));
  const size = DTYPE_SIZE[e.dtype];
  const bytes = end - begin;
  const needed = shapeSize(e.shape);
  if (bytes % size !== 0) return E.left(checkpointError('SizeMismatch', file, `${at} hold ${bytes} bytes, not a whole number of ${e.dtype} values (${size} bytes each); shape ${fmtDims(e.shape)} needs ${needed}`, name));
  if (bytes / size !== needed) return E.left(checkpointError('SizeMismatch', file, `${at} hold ${bytes / size} values but shape ${fmtDims(e.shape)} needs ${needed}`, name));
  return E.right(e.dtype);
}

/** The tensors' byte ranges must tile the data region exactly: no gap, no overlap, nothing left over. */
function checkCoverage(entries: ReadonlyMap<string, HeaderEntry>, dataLength: number, file: string): E.Either<CheckpointError, void> {
  const ranges = [...entries].map(([name, e]) => ({ name, begin: e.data_offsets[0], end: e.data_offsets[1] }));
  ranges.sort((a, b) => a.begin - b.begin || a.end - b.end || (a.name < b.name ? -1 : 1));
  let covered = 0;
  let lastName: string | null = null;
  for (const r of ranges) {
    if (r.begin < covered)
      return E.left(checkpointError('BadOffsets', file, `data_offsets [${r.begin}, ${r.end}] overlap those of tensor '${lastName}' (which end at ${covered})`, r.name));
    if (r.begin > covered)
      return E.left(checkpointError('BadOffsets', file, `data_offsets [${r.begin}, ${r.end}] leave bytes ${covered}..${r.begin} of the data region unused`, r.name));
    covered = r.end;
    lastName = r.name;
  }
  if (covered !== dataLength)
    return E.left(checkpointError('BadOffsets', file, `the tensors cover ${covered} bytes but the data region has ${dataLength}`));
  return E.right(undefined);
}

/** Checks every entry of a header against a data region of `dataLength` bytes; returns the readable dtypes. */
export function validateEntries(entries: ReadonlyMap<string, HeaderEntry>, dataLength: number, file: string): E.Either<CheckpointError, Map<string, ReadableDType>> {
  const dtypes = new Map<string, ReadableDType>();
  for (const [name, entry] of entries) {
    const checked = checkEntry(name, entry, dataLength, file);
    if (E.isLeft(checked)) return checked;
    dtypes.set(name, checked.right);
  }
  const coverage = checkCoverage(entries, dataLength, file);
  return E.isLeft(coverage) ? coverage : E.right(dtypes);
}

/**
 * Parses a safetensors file into its tensors (a Map by name) and its `__metadata__`. The file: an 8-byte little-endian header length N, N bytes of JSON header, then the data.
 * Everything is checked (header length within the file, JSON and entry shapes via io-ts, known dtypes, offsets
 * tiling the data region, sizes matching shapes, I64 values fitting in 32 bits); each failure is a Left whose
 * message names `fileName` and, where one tensor is at fault, the tensor. F16 and BF16 convert exactly to
 * Float32Array; F64 stays Float64Array; integer dtypes become Int32Array.
 */
export function parseSafetensors(bytes: Uint8Array, fileName: string): E.Either<CheckpointError, Safetensors> {
  const fail = (kind: Parameters<typeof checkpointError>[0], detail: string, tensor?: string) =>
    E.left(checkpointError(kind, fileName, detail, tensor));
  if (bytes.length < 8) return fail('Truncated', `file is ${bytes.length} bytes, too short for the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getBigUint64(0, true);
  if (headerLength > BigInt(bytes.length - 8))
    return fail('Truncated', `header length ${headerLength} runs past the end of the file (${bytes.length} bytes)`);
  const headerEnd = 8 + Number(headerLength);

  let json: unknown;
  try {
    json = JSON.parse(utf8.decode(bytes.subarray(8, headerEnd)));
  } catch (cause) {
    return fail('MalformedHeader', `header is not valid UTF-8 JSON: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
  const header = decodeHeader(json, fileName);
  if (E.isLeft(header)) return header;

  const data = bytes.subarray(headerEnd);
  const validated = validateEntries(header.right.entries, data.length, fileName);
  if (E.isLeft(validated)) return validated;
  const dtypes = validated.right;

  const tensors = new Map<string, LoadedTensor>();
  for (const [name, entry] of header.right.entries) {
    const dtype = dtypes.get(name)!;
    const [begin, end] = entry.data_offsets;
    const values = convert(dtype, data.subarray(begin, end), shapeSize(entry.shape));
    if ('bad' in values)
      return fail('ValueOutOfRange', `I64 value ${values.value} at index ${values.bad} does not fit in 32 bits`, name);
    tensors.set(name, { dtype, shape: [...entry.shape], data: values });
  }
  return E.right({ tensors, metadata: header.right.metadata });
}

/** Writes one value per element as `dtype`, little-endian. Integer dtypes require integers in range. */
export function encodeValues(name: string, t: TensorToWrite): Uint8Array {
  const n = t.data.length;
  const size = DTYPE_SIZE[t.dtype];
  const out = new Uint8Array(n * size);
  if (LITTLE_ENDIAN && (t.dtype === 'F32' || t.dtype === 'BF16') && t.data instanceof Float32Array) {
    if (t.dtype === 'F32') { out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, 4 * n)); return out; }
    toBfloat16(t.data, new Uint16Array(out.buffer));
    return out;
  }
  const view = new DataView(out.buffer);
  const intCheck = (v: number, i: number, lo: number, hi: number): number => {
    if (!Number.isInteger(v) || v < lo || v > hi)
      throw new RangeError(`serializeSafetensors: tensor '${name}': value ${v} at index ${i} is not a ${t.dtype} integer`);
    return v;
  };
  const put: Record<WritableDType, (v: number, i: number) => void> = {
    F64: (v, i) => view.setFloat64(8 * i, v, true),
    F32: (v, i) => view.setFloat32(4 * i, v, true),
    F16: (v, i) => view.setUint16(2 * i, numberToF16Bits(v), true),
    BF16: (v, i) => view.setUint16(2 * i, bf16Bits(v), true),
    I32: (v, i) => view.setInt32(4 * i, intCheck(v, i, -2147483648, 2147483647), true),
    I64: (v, i) => view.setBigInt64(8 * i, BigInt(intCheck(v, i, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER)), true),
  };
  const write = put[t.dtype];
  for (let i = 0; i < n; i++) write(t.data[i]!, i);
  return out;
}

/**
 * The bytes of a safetensors file: tensors in sorted-name order, packed without gaps, header JSON padded with
 * spaces to a multiple of 8 bytes (so the data starts 8-byte aligned). F16 and BF16 round to nearest even from
 * the float32 value. A tensor whose data length differs from its shape's size, an unknown dtype, or an integer
 * dtype given a non-integer is a programmer error: it throws a RangeError naming the tensor.
 */
export function serializeSafetensors(
  tensors: Readonly<Record<string, TensorToWrite>>,
  metadata?: Readonly<Record<string, string>>,
): Uint8Array {
  const names = Object.keys(tensors).sort();
  const header: Record<string, unknown> = Object.create(null);
  if (metadata !== undefined) header['__metadata__'] = { ...metadata };
  const blobs: Uint8Array[] = [];
  let offset = 0;
  for (const name of names) {
    if (name === '__metadata__') throw new RangeError(`serializeSafetensors: '__metadata__' is reserved and cannot name a tensor`);
    const t = tensors[name]!;
    if (!Object.hasOwn(DTYPE_SIZE, t.dtype) || t.dtype === undefined)
      throw new RangeError(`serializeSafetensors: tensor '${name}': cannot write dtype '${String(t.dtype)}'`);
    if (!t.shape.every((d) => Number.isSafeInteger(d) && d >= 0))
      throw new RangeError(`serializeSafetensors: tensor '${name}': shape ${fmtDims(t.shape)} is not a list of non-negative integers`);
    if (t.data.length !== shapeSize(t.shape))
      throw new RangeError(`serializeSafetensors: tensor '${name}': ${t.data.length} values but shape ${fmtDims(t.shape)} needs ${shapeSize(t.shape)}`);
    const blob = encodeValues(name, t);
    header[name] = { dtype: t.dtype, shape: [...t.shape], data_offsets: [offset, offset + blob.length] };
    blobs.push(blob);
    offset += blob.length;
  }
  const prefix = headerBytes(header);
  const out = new Uint8Array(prefix.length + offset);
  out.set(prefix);
  let at = prefix.length;
  for (const blob of blobs) { out.set(blob, at); at += blob.length; }
  return out;
}

/** The 8-byte length and the header JSON, padded with spaces to a multiple of 8 bytes. */
export function headerBytes(header: Record<string, unknown>): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + padded);
  new DataView(out.buffer).setBigUint64(0, BigInt(padded), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length);
  return out;
}
