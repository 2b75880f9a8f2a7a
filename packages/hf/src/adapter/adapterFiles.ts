import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ioCause } from '../files/ioCause.js';
import * as E from 'fp-ts/lib/Either.js';
import { scalar } from '@safekey-ts/core';
import type { LoraAdapter, LoraSpec, ModelConfig } from '@safekey-ts/safekey';
import { type CheckpointDirError, dirError } from '../checkpoint/dirErrors.js';
import { readJsonFile } from '../checkpoint/jsonFile.js';
import { fromF32Tensors, toF32Tensors } from '../checkpoint/namedTensors.js';
import { pathExists } from '../checkpoint/pathExists.js';
import { readSafetensorsFile, writeSafetensorsFile } from '../checkpoint/safetensorsFiles.js';
import { writeFileAtomic } from '../files/writeFileAtomic.js';
import { ADAPTER_FILES, AdapterConfigCodec, adapterConfigJson, loraSpecOf } from './adapterConfig.js';
import { adapterFromNames, adapterLayout } from './adapterLayout.js';

type Result<A> = Promise<E.Either<CheckpointDirError, A>>;

/** A LoRA adapter with the spec PEFT's config records (dropout is not in the tensors). */
export interface LoadedAdapter { readonly spec: LoraSpec; readonly adapter: LoraAdapter }

/**
 * Writes PEFT's `adapter_config.json` and `adapter_model.safetensors` (F32, PEFT's names) into `dir`, which
 * `PeftModel.from_pretrained(base, dir)` loads (`dir` is created if need be). An adapter that does not fit the config and spec is a Left naming
 * the tensor, before anything is written.
 */
export async function writeAdapterFiles(dir: string, config: ModelConfig, spec: LoraSpec, adapter: LoraAdapter, baseModel: string | null = null): Result<void> {
  const weightsFile = join(dir, ADAPTER_FILES.weights), configFile = join(dir, ADAPTER_FILES.config);
  if (adapter.layers.length !== config.num_hidden_layers)
    return E.left(dirError('ShapeMismatch', weightsFile, `the adapter has ${adapter.layers.length} layers, the model ${config.num_hidden_layers}`));
  const missing = adapter.layers.findIndex((l) => spec.targets.some((tg) => l[tg] === undefined));
  if (missing >= 0) return E.left(dirError('MissingTensor', weightsFile, `layer ${missing} lacks one of the targets ${spec.targets.join(', ')}`));
  const tensors = toF32Tensors(adapterLayout(config, spec).map((l) => ({ ...l, tensor: l.get(adapter.layers) })), weightsFile);
  if (E.isLeft(tensors)) return tensors;
  try { await mkdir(dir, { recursive: true }); } catch (e) { return E.left(dirError('FileError', dir, ioCause(e))); }
  const written = await writeSafetensorsFile(weightsFile, tensors.right, { format: 'pt' });
  if (E.isLeft(written)) return written;
  const json = await writeFileAtomic(configFile, `${JSON.stringify(adapterConfigJson(spec, baseModel), null, 2)}\n`);
  return E.isLeft(json) ? E.left({ kind: 'FileError', file: configFile, message: json.left.message }) : E.right(undefined);
}

/**
 * The adapter of `dir` (PEFT's files, the project's or PEFT's own), or undefined when it has none. Every tensor
 * of the spec must be there with its shape and nothing else; every Left names the file and the field or tensor.
 */
export async function readAdapterFiles(dir: string, config: ModelConfig): Result<LoadedAdapter | undefined> {
  const configFile = join(dir, ADAPTER_FILES.config), weightsFile = join(dir, ADAPTER_FILES.weights);
  if (!(await pathExists(configFile))) return E.right(undefined);
  const json = await readJsonFile(configFile, AdapterConfigCodec, 'InvalidConfig');
  if (E.isLeft(json)) return json;
  const spec = loraSpecOf(json.right);
  if (E.isLeft(spec)) return E.left(dirError('InvalidConfig', configFile, spec.left));
  const file = await readSafetensorsFile(weightsFile);
  if (E.isLeft(file)) return file;
  const tensors = fromF32Tensors(file.right.tensors, adapterLayout(config, spec.right), weightsFile);
  if (E.isLeft(tensors)) return tensors;
  const layers = adapterFromNames(config, spec.right, (n) => tensors.right.get(n)!);
  return E.right({ spec: spec.right, adapter: { scale: scalar(spec.right.alpha / spec.right.rank, 'float32'), layers } });
}
