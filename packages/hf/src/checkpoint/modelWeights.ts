import { access } from 'node:fs/promises';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { type Shape, type Tensor, fromArray, toBfloat16, widenBfloat16 } from '@safekey-ts/core';
import type { BaseDtype } from '@safekey-ts/safekey';
import { readFileText } from '../files/readFileBytes.js';
import { writeFileAtomic } from '../files/writeFileAtomic.js';
import { type CheckpointDirError, dirError } from './dirErrors.js';
import type { WritableDType } from './dtypes.js';
import { fmtDims } from './errors.js';
import type { ExpectedTensor } from './namedTensors.js';
import { MODEL_FILE, MODEL_INDEX_FILE, parseShardIndex, shardFiles } from './shardIndex.js';
import { type SafetensorsReader, type TensorToStream, openSafetensors, storedBytes, writeSafetensorsStream } from './safetensorsStream.js';


const FLOAT_DTYPES = new Set(['F32', 'F16', 'BF16', 'F64']);

/** The model's safetensors files, opened: `model.safetensors`, or the shards `model.safetensors.index.json` lists. */
async function openModelFiles(dir: string): Promise<E.Either<CheckpointDirError, { readers: SafetensorsReader[]; where: Map<string, SafetensorsReader> }>> {
  const indexPath = join(dir, MODEL_INDEX_FILE);
  const indexText = await readFileText(indexPath);
  let files: string[];
  let weightMap: Record<string, string> | undefined;
  if (E.isRight(indexText)) {
    const index = parseShardIndex(indexText.right, indexPath);
    if (E.isLeft(index)) return index;
    weightMap = index.right;
    files = shardFiles(weightMap);
  } else {
    if (await access(join(dir, MODEL_FILE)).then(() => false, () => true))
      return E.left(dirError('FileError', join(dir, MODEL_FILE), `missing: the checkpoint has neither ${MODEL_FILE} nor ${MODEL_INDEX_FILE}`));
    files = [MODEL_FILE];
  }
  const readers: SafetensorsReader[] = [];
  const where = new Map<string, SafetensorsReader>();
  for (const f of files) {
    const r = await openSafetensors(join(dir, f));
    if (E.isLeft(r)) { await Promise.all(readers.map((x) => x.close())); return r; }
    readers.push(r.right);
    for (const name of r.right.entries.keys()) where.set(name, r.right);
  }
  if (weightMap) {
    for (const [name, file] of Object.entries(weightMap)) {
      if (where.get(name)?.path !== join(dir, file)) {
        await Promise.all(readers.map((x) => x.close()));
        return E.left(dirError('MissingTensor', join(dir, file), `listed in ${MODEL_INDEX_FILE} but not in this file`, name));
      }
    }
  }
  return E.right({ readers, where });
}

/**
 * The model's float32 tensors by name from a checkpoint directory, single-file or sharded: each expected
 * tensor present with its exact shape, a float dtype (F16, BF16 and F64 converted) and finite values; any other
 * tensor is refused unless `ignore` accepts it. Tensors are read one at a time from their file, so the file
 * bytes and the float32 model are never held together. With `matrixDtype` bfloat16 the matrices (every 2-D
 * tensor: the embedding, the projections, lm_head) are stored as bfloat16 as each is read (rounded as `cast`
 * rounds; a BF16 file's values come back bit for bit), so the float32 model is never held either. Every Left
 * names the file and the tensor.
 */
export async function readModelTensors(dir: string, expected: readonly ExpectedTensor[], ignore: (name: string) => boolean,
  matrixDtype: BaseDtype = 'float32'): Promise<E.Either<CheckpointDirError, Map<string, Tensor>>> {
  const opened = await openModelFiles(dir);
  if (E.isLeft(opened)) return opened;
  const { readers, where } = opened.right;
  try {
    const known = new Set(expected.map((e) => e.name));
    const extra = [...where.keys()].filter((n) => !known.has(n) && !ignore(n)).sort();
    if (extra.length > 0)
      return E.left(dirError('UnexpectedTensor', where.get(extra[0]!)!.path, `not a tensor of this model${extra.length > 1 ? ` (nor ${extra.length - 1} more: ${extra.slice(1, 4).join(', ')}${extra.length > 4 ? ', ...' : ''})` : ''}`, extra[0]));
    const out = new Map<string, Tensor>();
    for (const { name, shape } of expected) {
      const reader = where.get(name);
      if (!reader) return E.left(dirError('MissingTensor', readers.length === 1 ? readers[0]!.path : join(dir, MODEL_INDEX_FILE), 'missing', name));
      const entry = reader.entries.get(name)!;
      if (entry.shape.length !== shape.length || entry.shape.some((d, i) => d !== shape[i]))
        return E.left(dirError('ShapeMismatch', reader.path, `shape ${fmtDims(entry.shape)}, expected ${fmtDims(shape)}`, name));
      if (!FLOAT_DTYPES.has(entry.dtype)) return E.left(dirError('UnsupportedDType', reader.path, `dtype ${entry.dtype}, expected a float dtype (F32, F16, BF16 or F64)`, name));
      const loaded = await reader.read(name);
      if (E.isLeft(loaded)) return loaded;
      const data = loaded.right.data instanceof Float32Array ? loaded.right.data : Float32Array.from(loaded.right.data);
      const bad = firstNonFinite(data);
      if (bad >= 0) return E.left(dirError('ValueOutOfRange', reader.path, `value ${data[bad]} at index ${bad} is not finite`, name));
      out.set(name, matrixDtype === 'bfloat16' && shape.length === 2
        ? fromArray(toBfloat16(data, new Uint16Array(data.length)), [...shape] as Shape, 'bfloat16')
        : fromArray(data, [...shape] as Shape, 'float32'));
    }
    return E.right(out);
  } finally {
    await Promise.all(readers.map((r) => r.close()));
  }
}

/** The index of the first NaN or infinity (all exponent bits set), or -1. */
function firstNonFinite(data: Float32Array): number {
  const bits = new Uint32Array(data.buffer, data.byteOffset, data.length);
  for (let i = 0; i < bits.length; i++) if ((bits[i]! & 0x7f800000) === 0x7f800000) return i;
  return -1;
}

/** The torch dtype name of a written float dtype. */
export const TORCH_DTYPE: Readonly<Record<'F32' | 'BF16' | 'F16', string>> = { F32: 'float32', BF16: 'bfloat16', F16: 'float16' };

/** How a model's weights are written: the dtype, and the largest shard (bytes) before the weights are split. */
export interface WeightsFormat { readonly dtype: 'F32' | 'BF16' | 'F16'; readonly maxShardBytes: number }

/** transformers 5's `save_pretrained` default shard limit (50 GB: one file for models of this size). */
export const DEFAULT_WEIGHTS_FORMAT: WeightsFormat = { dtype: 'F32', maxShardBytes: 50e9 };

/**
 * Groups tensors into shards as `huggingface_hub`'s `split_state_dict_into_shards` does: in order, a new shard
 * when the next tensor would take the current one over the limit; a tensor above the limit alone.
 */
export function planShards<T extends { readonly dtype: WritableDType; readonly shape: readonly number[] }>(tensors: readonly T[], maxShardBytes: number): T[][] {
  const shards: T[][] = [];
  let current: T[] = [];
  let size = 0;
  for (const x of tensors) {
    const n = storedBytes(x);
    if (n > maxShardBytes) { shards.push([x]); continue; }
    if (size + n > maxShardBytes && current.length > 0) { shards.push(current); current = []; size = 0; }
    current.push(x);
    size += n;
  }
  if (current.length > 0) shards.push(current);
  return shards;
}

const shardName = (i: number, n: number) => `model-${String(i + 1).padStart(5, '0')}-of-${String(n).padStart(5, '0')}.safetensors`;

/**
 * Writes the model's tensors into `dir` as `save_pretrained` does: `model.safetensors`, or shards
 * `model-0000i-of-0000n.safetensors` with `model.safetensors.index.json` (`metadata.total_size`,
 * `metadata.total_parameters`, `weight_map`) when they exceed `maxShardBytes`; each file has `{"format": "pt"}`
 * metadata. Values are converted to the dtype (round to nearest even) as each tensor is written.
 */
export async function writeModelTensors(dir: string, tensors: readonly { readonly name: string; readonly tensor: Tensor }[], format: WeightsFormat): Promise<E.Either<CheckpointDirError, void>> {
  const streams: TensorToStream[] = tensors.map(({ name, tensor }) => ({
    name, dtype: format.dtype, shape: tensor.shape,
    values: () => widenBfloat16(tensor.dataSync()) as Float32Array,
  }));
  const shards = planShards(streams, format.maxShardBytes);
  const metadata = { format: 'pt' };
  if (shards.length <= 1) return writeSafetensorsStream(join(dir, MODEL_FILE), shards[0] ?? [], metadata);
  const weightMap: Record<string, string> = {};
  for (const [i, shard] of shards.entries()) {
    const name = shardName(i, shards.length);
    const written = await writeSafetensorsStream(join(dir, name), shard, metadata);
    if (E.isLeft(written)) return written;
    for (const x of shard) weightMap[x.name] = name;
  }
  const totalSize = streams.reduce((s, x) => s + storedBytes(x), 0);
  const totalParameters = streams.reduce((s, x) => s + x.shape.reduce((a, b) => a * b, 1), 0);
  const index = { metadata: { total_parameters: totalParameters, total_size: totalSize }, weight_map: Object.fromEntries(Object.entries(weightMap).sort()) };
  const written = await writeFileAtomic(join(dir, MODEL_INDEX_FILE), `${JSON.stringify(index, null, 2)}\n`);
  return E.isLeft(written) ? E.left({ kind: 'FileError', file: join(dir, MODEL_INDEX_FILE), message: written.left.message }) : E.right(undefined);
}

/** `"50GB"`, `"500MB"`, `"24KB"`, `"2GiB"` or a number of bytes (huggingface_hub's units: KB = 1000 bytes). */
export function parseSize(s: string | number): number | undefined {
  if (typeof s === 'number') return Number.isFinite(s) && s > 0 ? s : undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)?\s*$/i.exec(s);
  if (!m) return undefined;
  const unit = (m[2] ?? 'B').toUpperCase();
  const mult: Record<string, number> = { B: 1, KB: 1e3, MB: 1e6, GB: 1e9, TB: 1e12, KIB: 2 ** 10, MIB: 2 ** 20, GIB: 2 ** 30, TIB: 2 ** 40 };
  return Math.floor(Number(m[1]) * mult[unit]!);
}
