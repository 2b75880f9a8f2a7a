import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { type Tensor, fromArray, random } from '@safekey-ts/core';
import { NonNegativeInt } from '../codec/numbers.js';
import type { AdamWState, LoraSpec, ModelConfig } from '@safekey-ts/safekey';
import { type CheckpointDirError, dirError } from './dirErrors.js';
import { fmtDims } from './errors.js';
import { fromF32Tensors, toF32Tensors } from './namedTensors.js';
import type { LoadedTensor, TensorToWrite } from './tensorData.js';
import { type TrainableParams, trainableFromNames, trainableLayout } from './trainableLayout.js';

const Uint32 = t.refinement(t.number, (n) => Number.isInteger(n) && n >= 0 && n <= 0xffffffff, 'uint32');

/** A `random.Key` as its two uint32 words, `[high, low]`. */
export const RngKeyCodec = new t.Type<random.Key, readonly [number, number], unknown>(
  'RNG key [uint32, uint32]',
  (u): u is random.Key => t.tuple([Uint32, Uint32]).is(u),
  (u, c) => {
    const r = t.tuple([Uint32, Uint32]).validate(u, c);
    return E.isLeft(r) ? r : t.success(r.right as unknown as random.Key);
  },
  (k) => [k[0], k[1]],
);

/**
 * `trainer_state.json`: where training stands. An open record: the trainer may add any JSON fields (pass a
 * codec that extends this one to `loadCheckpoint` to have them validated too). `step`: optimizer updates done;
 * `epoch` and `position`: the next micro-batch; `rngKey`: the state of a trainer-held random key, if any.
 */
export const TrainerStateCodec = t.intersection([
  t.type({ step: NonNegativeInt, epoch: NonNegativeInt, position: NonNegativeInt }),
  t.partial({ rngKey: RngKeyCodec, seed: NonNegativeInt }),
  t.UnknownRecord,
], 'trainer_state.json');
export type TrainerState = t.TypeOf<typeof TrainerStateCodec>;

/** What exact resume needs beside the parameters: the optimizer state and the trainer's position. */
export interface TrainState<S extends TrainerState = TrainerState> {
  readonly optimizer: AdamWState<TrainableParams>;
  readonly trainer: S;
}

export const OPT_STEP = 'opt.step';
const HEAD_MOMENT = /^opt\.[mv]\.safety_head\./;

/**
 * The optimizer state as tensors `opt.m.<name>`, `opt.v.<name>` (F32) and `opt.step` (I32 scalar); with `lora` the
 * moments are the adapter's, under PEFT's names (as PyTorch's trainer names them).
 */
export function optimizerTensors(config: ModelConfig, state: AdamWState<TrainableParams>, file: string, lora?: LoraSpec): E.Either<CheckpointDirError, Record<string, TensorToWrite>> {
  const layout = trainableLayout(config, state.m.head !== undefined, lora);
  const entries = (['m', 'v'] as const).flatMap((which) => layout.map((l) => ({ name: `opt.${which}.${l.name}`, shape: l.shape, tensor: l.get(state[which]) })));
  const moments = toF32Tensors(entries, file);
  if (E.isLeft(moments)) return moments;
  const step = state.step as Tensor;
  if (step.rank !== 0 || step.dtype !== 'int32') return E.left(dirError('ShapeMismatch', file, `step must be an int32 scalar, got ${step.dtype} ${fmtDims(step.shape)}`, OPT_STEP));
  return E.right({ ...moments.right, [OPT_STEP]: { dtype: 'I32', shape: [], data: step.dataSync() } });
}

/**
 * The optimizer state from a parsed `optimizer.safetensors`. Head moments are read when the file has any (then
 * all of them must be there, and `hasHead` must be true); every other problem names the file and tensor.
 */
export function optimizerFromTensors(config: ModelConfig, tensors: ReadonlyMap<string, LoadedTensor>, hasHead: boolean, file: string, lora?: LoraSpec): E.Either<CheckpointDirError, AdamWState<TrainableParams>> {
  const headMoment = [...tensors.keys()].find((n) => HEAD_MOMENT.test(n));
  if (headMoment !== undefined && !hasHead) return E.left(dirError('UnexpectedTensor', file, 'a safety-head moment, but the checkpoint has no safety head', headMoment));
  const layout = trainableLayout(config, headMoment !== undefined, lora);
  const expected = (['m', 'v'] as const).flatMap((which) => layout.map((l) => ({ name: `opt.${which}.${l.name}`, shape: l.shape })));
  const moments = fromF32Tensors(tensors, expected, file, (n) => n === OPT_STEP);
  if (E.isLeft(moments)) return moments;
  const step = tensors.get(OPT_STEP);
  if (step === undefined) return E.left(dirError('MissingTensor', file, 'missing', OPT_STEP));
  if (step.shape.length !== 0 || !(step.data instanceof Int32Array) || step.data[0]! < 0)
    return E.left(dirError('ShapeMismatch', file, `must be a non-negative integer scalar, got ${step.dtype} ${fmtDims(step.shape)}`, OPT_STEP));
  const tree = (which: 'm' | 'v') => trainableFromNames(config, headMoment !== undefined, (n) => moments.right.get(`opt.${which}.${n}`)!, lora);
  return E.right({ step: fromArray(Int32Array.of(step.data[0]!), [], 'int32'), m: tree('m'), v: tree('v') });
}
