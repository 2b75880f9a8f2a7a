import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import type * as t from 'io-ts';
import type { Tensor } from '@safekey-ts/core';
import { describeErrors } from '../codec/describeErrors.js';
import { writeFileAtomic } from '../files/writeFileAtomic.js';
import { type LlamaConfig, type LlamaParams, type SafetyHead, dimsOf, hfLayout, safetyHeadFromNames } from '@safekey-ts/safekey';
import type { Tokenizer, TokenizerData } from '../tokenizer/tokenizer.js';
import { saveTokenizer, TOKENIZER_FILE } from '../tokenizer/tokenizerFiles.js';
import { writeDirAtomic } from './atomicDir.js';
import { CHECKPOINT_FILES } from './checkpointFiles.js';
import { checkVocabFits, configJson, readConfigFile } from './configFile.js';
import { type CheckpointDirError, dirError } from './dirErrors.js';
import { fromF32Tensors, toF32Tensors } from './namedTensors.js';
import { readSafetensorsFile, writeSafetensorsFile } from './safetensorsFiles.js';
import type { TensorToWrite } from './tensorData.js';
import { pathExists, readCheckpointTokenizer } from './tokenizerFile.js';
import { headLayout, trainableFromNames } from './trainableLayout.js';
import { type TrainState, type TrainerState, TrainerStateCodec, optimizerFromTensors, optimizerTensors } from './trainState.js';
import { readJsonFile } from './jsonFile.js';

/** Everything a checkpoint directory holds. */
export interface Checkpoint<S extends TrainerState = TrainerState> {
  readonly config: LlamaConfig;
  readonly params: LlamaParams;
  readonly tokenizer: TokenizerData;
  readonly head?: SafetyHead;
  readonly train?: TrainState<S>;
}
export interface LoadedCheckpoint<S extends TrainerState = TrainerState> extends Checkpoint<S> { readonly tokenizer: Tokenizer }

type Result<A> = Promise<E.Either<CheckpointDirError, A>>;
const { config: CONFIG, model: MODEL, head: HEAD, optimizer: OPTIMIZER, trainerState: TRAINER } = CHECKPOINT_FILES;
/** Tensors other tools store that this model recomputes. */
const IGNORED_MODEL_TENSORS = /\.rotary_emb\.inv_freq$/;
const SAFETENSORS_METADATA = { format: 'pt' };

const fileError = (path: string) => (e: { readonly message: string }): CheckpointDirError => ({ kind: 'FileError', file: path, message: e.message });

/** The files of a checkpoint, written into `dir` (a fresh temp directory). */
async function writeFiles(dir: string, c: Checkpoint): Result<void> {
  const at = (name: string) => join(dir, name);
  const fits = checkVocabFits(c.config, c.tokenizer, TOKENIZER_FILE, CONFIG);
  if (E.isLeft(fits)) return fits;
  const files: [string, Record<string, TensorToWrite>][] = [];
  const model = toF32Tensors(hfLayout(c.config).map((l) => ({ ...l, tensor: l.get(c.params) })), MODEL);
  if (E.isLeft(model)) return model;
  files.push([MODEL, model.right]);
  if (c.head) {
    const head = toF32Tensors(headLayout(dimsOf(c.config).d).map((l) => ({ ...l, tensor: l.get(c.head!) })), HEAD);
    if (E.isLeft(head)) return head;
    files.push([HEAD, head.right]);
  }
  if (c.train) {
    const opt = optimizerTensors(c.config, c.train.optimizer, OPTIMIZER);
    if (E.isLeft(opt)) return opt;
    if (c.train.optimizer.m.head !== undefined && !c.head) return E.left(dirError('UnexpectedTensor', OPTIMIZER, 'a safety-head moment, but the checkpoint has no safety head', 'opt.m.safety_head.context.weight'));
    files.push([OPTIMIZER, opt.right]);
    const trainer = TrainerStateCodec.decode(c.train.trainer);
    if (E.isLeft(trainer)) return E.left(dirError('InvalidTrainerState', TRAINER, describeErrors(trainer.left)));
    const written = await writeFileAtomic(at(TRAINER), `${JSON.stringify(c.train.trainer, null, 2)}\n`);
    if (E.isLeft(written)) return E.left(fileError(at(TRAINER))(written.left));
  }
  for (const [name, tensors] of files) {
    const written = await writeSafetensorsFile(at(name), tensors, SAFETENSORS_METADATA);
    if (E.isLeft(written)) return written;
  }
  const tok = await saveTokenizer(dir, c.tokenizer);
  if (E.isLeft(tok)) return E.left(fileError(at(TOKENIZER_FILE))(tok.left));
  const config = await writeFileAtomic(at(CONFIG), `${JSON.stringify(configJson(c.config, c.tokenizer), null, 2)}\n`);
  return E.isLeft(config) ? E.left(fileError(at(CONFIG))(config.left)) : E.right(undefined);
}

/**
 * Saves a checkpoint directory: `config.json` (Hugging Face keys), `model.safetensors` (Hugging Face names, F32),
 * `tokenizer.json` and `tokenizer_config.json`, `safety_head.safetensors` with a head, and with training state
 * `optimizer.safetensors` and `trainer_state.json`. Atomic as a whole: written into a temp directory beside
 * `dir` and renamed into place (an existing checkpoint directory there is replaced; a directory of other files
 * is refused). Parameters that do not fit the config are a Left naming the tensor.
 */
export function saveCheckpoint(dir: string, c: Checkpoint): Result<void> {
  return writeDirAtomic(dir, (tmp) => writeFiles(tmp, c), (names) => names.includes(CONFIG));
}

export interface LoadOptions<S extends TrainerState> {
  /** Validates `trainer_state.json` (default `TrainerStateCodec`); extend it to check the trainer's own fields. */
  readonly trainerStateCodec?: t.Decoder<unknown, S>;
}

async function readTensors(path: string, required: boolean) {
  if (!required && !(await pathExists(path))) return E.right(undefined);
  return readSafetensorsFile(path);
}

/**
 * Loads and validates a checkpoint directory. `config.json` through io-ts (and the sizes checked for
 * consistency), every safetensors header, dtype, shape and size against the file's length, every tensor present
 * with its shape and no unknown ones, finite values, the tokenizer and that it fits the vocabulary. F16, BF16
 * and F64 tensors (other tools' checkpoints) load as float32. The head and the training state are loaded when
 * present; the training state needs both of its files. Every Left names the file and, where one is at fault,
 * the tensor or field.
 */
export async function loadCheckpoint<S extends TrainerState = TrainerState>(dir: string, opts: LoadOptions<S> = {}): Result<LoadedCheckpoint<S>> {
  const at = (name: string) => join(dir, name);
  const st = await stat(dir).catch(() => null);
  if (st === null) return E.left(dirError('FileError', dir, 'no such checkpoint directory'));
  if (!st.isDirectory()) return E.left(dirError('NotACheckpointDir', dir, 'is not a directory'));
  const config = await readConfigFile(at(CONFIG));
  if (E.isLeft(config)) return config;

  const modelFile = await readTensors(at(MODEL), true);
  if (E.isLeft(modelFile)) return modelFile;
  const model = fromF32Tensors(modelFile.right!.tensors, hfLayout(config.right), at(MODEL),
    (n) => IGNORED_MODEL_TENSORS.test(n) || (config.right.tie_word_embeddings && n === 'lm_head.weight'));
  if (E.isLeft(model)) return model;
  const get = (m: Map<string, Tensor>) => (n: string) => m.get(n)!;
  const params = trainableFromNames(config.right, false, get(model.right)).model;

  const tokenizer = await readCheckpointTokenizer(dir);
  if (E.isLeft(tokenizer)) return tokenizer;
  const fits = checkVocabFits(config.right, tokenizer.right, at(TOKENIZER_FILE), at(CONFIG));
  if (E.isLeft(fits)) return fits;

  let head: SafetyHead | undefined;
  const headFile = await readTensors(at(HEAD), false);
  if (E.isLeft(headFile)) return headFile;
  if (headFile.right) {
    const tensors = fromF32Tensors(headFile.right.tensors, headLayout(dimsOf(config.right).d), at(HEAD));
    if (E.isLeft(tensors)) return tensors;
    head = safetyHeadFromNames(get(tensors.right));
  }

  let train: TrainState<S> | undefined;
  const [hasOpt, hasTrainer] = [await pathExists(at(OPTIMIZER)), await pathExists(at(TRAINER))];
  if (hasOpt !== hasTrainer) {
    const missing = hasOpt ? TRAINER : OPTIMIZER;
    return E.left(dirError('IncompleteCheckpoint', at(missing), `missing: the training state needs both ${OPTIMIZER} and ${TRAINER}`));
  }
  if (hasOpt) {
    const optFile = await readTensors(at(OPTIMIZER), true);
    if (E.isLeft(optFile)) return optFile;
    const optimizer = optimizerFromTensors(config.right, optFile.right!.tensors, head !== undefined, at(OPTIMIZER));
    if (E.isLeft(optimizer)) return optimizer;
    const trainer = await readJsonFile(at(TRAINER), opts.trainerStateCodec ?? (TrainerStateCodec as unknown as t.Decoder<unknown, S>), 'InvalidTrainerState');
    if (E.isLeft(trainer)) return trainer;
    train = { optimizer: optimizer.right, trainer: trainer.right };
  }
  return E.right({ config: config.right, params, tokenizer: tokenizer.right, ...(head ? { head } : {}), ...(train ? { train } : {}) });
}
