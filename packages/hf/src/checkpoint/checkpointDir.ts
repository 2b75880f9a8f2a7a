import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import type * as t from 'io-ts';
import type { Tensor } from '@safekey-ts/core';
import { type BaseDtype, type LoraSpec, type ModelConfig, type ModelParams, type SafetyHead, dimsOf, fromHfNames, hfLayout, safetyHeadFromNames } from '@safekey-ts/safekey';
import { readAdapterFiles, writeAdapterFiles } from '../adapter/adapterFiles.js';
import { describeErrors } from '../codec/describeErrors.js';
import { writeFileAtomic } from '../files/writeFileAtomic.js';
import { type Tokenizer, type TokenizerData, vocabSize } from '../tokenizer/tokenizer.js';
import { saveTokenizer, loadTokenizer } from '../tokenizer/tokenizerFiles.js';
import { TOKENIZER_FILE } from '../tokenizer/tokenizerTexts.js';
import { writeDirAtomic } from './atomicDir.js';
import { CHECKPOINT_FILES } from './checkpointFiles.js';
import { type ModelTokenIds, checkVocabFits, configJson, generationConfigJson, idOutsideVocab } from './configFile.js';
import { readConfigFile, readGenerationConfig } from './configFiles.js';
import { type CheckpointDirError, dirError } from './dirErrors.js';
import { DEFAULT_WEIGHTS_FORMAT, TORCH_DTYPE, type WeightsFormat, readModelTensors, writeModelTensors } from './modelWeights.js';
import { checkTensors, fromF32Tensors, toF32Tensors } from './namedTensors.js';
import { readSafetensorsFile, writeSafetensorsFile } from './safetensorsFiles.js';
import type { TensorToWrite } from './tensorData.js';
import { pathExists } from './pathExists.js';
import { mergeTokenIds, tokenIdsOf } from './tokenIds.js';
import { headLayout, trainableFromNames } from './trainableLayout.js';
import { type TrainState, type TrainerState, TrainerStateCodec, optimizerFromTensors, optimizerTensors } from './trainState.js';
import { readJsonFile } from './jsonFile.js';
import { firstNonFiniteLeaf } from './finiteLeaves.js';

/** Everything a checkpoint directory holds. */
export interface Checkpoint<S extends TrainerState = TrainerState> {
  readonly config: ModelConfig;
  /** The model; with an adapter (`params.adapter`) the weights are the base and PEFT's adapter files are written beside them. */
  readonly params: ModelParams;
  /** The adapter's spec (rank, alpha, dropout, targets): required with `params.adapter`. */
  readonly lora?: LoraSpec;
  readonly tokenizer: TokenizerData;
  /** The ids `config.json` and `generation_config.json` name (default: the tokenizer config's bos, eos and pad tokens). */
  readonly tokenIds?: ModelTokenIds;
  readonly head?: SafetyHead;
  readonly train?: TrainState<S>;
}
export interface LoadedCheckpoint<S extends TrainerState = TrainerState> extends Checkpoint<S> {
  readonly tokenizer: Tokenizer;
  readonly tokenIds: ModelTokenIds;
}

export interface SaveOptions {
  /** The model weights' dtype and shard size (default F32, one file up to 50 GB, as `save_pretrained`). */
  readonly weights?: Partial<WeightsFormat>;
}

type Result<A> = Promise<E.Either<CheckpointDirError, A>>;
const { config: CONFIG, generationConfig: GENERATION, head: HEAD, optimizer: OPTIMIZER, trainerState: TRAINER } = CHECKPOINT_FILES;
/** Tensors other tools store that this model recomputes. */
const IGNORED_MODEL_TENSORS = /\.rotary_emb\.inv_freq$/;
const SAFETENSORS_METADATA = { format: 'pt' };

const fileError = (path: string) => (e: { readonly message: string }): CheckpointDirError => ({ kind: 'FileError', file: path, message: e.message });

const writeJson = async (path: string, value: unknown): Promise<E.Either<CheckpointDirError, void>> => {
  const written = await writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
  return E.isLeft(written) ? E.left(fileError(path)(written.left)) : E.right(undefined);
};

/** The files of a checkpoint, written into `dir` (a fresh temp directory). */
async function writeFiles(dir: string, c: Checkpoint, opts: SaveOptions): Result<void> {
  const at = (name: string) => join(dir, name);
  const fits = checkVocabFits(c.config, vocabSize(c.tokenizer), TOKENIZER_FILE, CONFIG);
  if (E.isLeft(fits)) return fits;
  const format: WeightsFormat = { ...DEFAULT_WEIGHTS_FORMAT, ...opts.weights };
  const layout = hfLayout(c.config).map((l) => ({ ...l, tensor: l.get(c.params) }));
  // shapes and dtypes, before anything is written (a base stored in bfloat16 is written as `format` says)
  const checked = checkTensors(layout, at(CHECKPOINT_FILES.model), ['float32', 'float64', 'bfloat16']);
  if (E.isLeft(checked)) return checked;
  const model = await writeModelTensors(dir, layout, format);
  if (E.isLeft(model)) return model;
  if (c.params.adapter) {
    if (!c.lora) return E.left(dirError('InvalidConfig', at('adapter_config.json'), 'the parameters have an adapter but the checkpoint has no LoRA spec (lora)'));
    const adapter = await writeAdapterFiles(dir, c.config, c.lora, c.params.adapter);
    if (E.isLeft(adapter)) return adapter;
  }
  const files: [string, Record<string, TensorToWrite>][] = [];
  if (c.head) {
    const head = toF32Tensors(headLayout(dimsOf(c.config).d).map((l) => ({ ...l, tensor: l.get(c.head!) })), HEAD);
    if (E.isLeft(head)) return head;
    files.push([HEAD, head.right]);
  }
  if (c.train) {
    const opt = optimizerTensors(c.config, c.train.optimizer, OPTIMIZER, c.params.adapter ? c.lora : undefined);
    if (E.isLeft(opt)) return opt;
    if (c.train.optimizer.m.head !== undefined && !c.head) return E.left(dirError('UnexpectedTensor', OPTIMIZER, 'a safety-head moment, but the checkpoint has no safety head', 'opt.m.safety_head.context.weight'));
    files.push([OPTIMIZER, opt.right]);
    const trainer = TrainerStateCodec.decode(c.train.trainer);
    if (E.isLeft(trainer)) return E.left(dirError('InvalidTrainerState', TRAINER, describeErrors(trainer.left)));
    const written = await writeJson(at(TRAINER), c.train.trainer);
    if (E.isLeft(written)) return written;
  }
  for (const [name, tensors] of files) {
    const written = await writeSafetensorsFile(at(name), tensors, SAFETENSORS_METADATA);
    if (E.isLeft(written)) return written;
  }
  const tok = await saveTokenizer(dir, c.tokenizer);
  if (E.isLeft(tok)) return E.left(fileError(at(TOKENIZER_FILE))(tok.left));
  const ids = c.tokenIds ?? tokenIdsOf(c.tokenizer);
  const generation = await writeJson(at(GENERATION), generationConfigJson(ids));
  if (E.isLeft(generation)) return generation;
  return writeJson(at(CONFIG), configJson(c.config, ids, TORCH_DTYPE[format.dtype]));
}

/**
 * Saves a checkpoint directory in Hugging Face's layout: `config.json` (transformers 4's keys, which 4 and 5
 * read), `generation_config.json`, the weights (`model.safetensors`, or shards with
 * `model.safetensors.index.json`) in the chosen dtype, `tokenizer.json`, `tokenizer_config.json`,
 * `chat_template.jinja`; `safety_head.safetensors` with a head; `optimizer.safetensors` and `trainer_state.json`
 * with training state. Atomic as a whole: written into a temp directory beside `dir` and renamed into place (an
 * existing checkpoint directory there is replaced; a directory of other files is refused). Parameters that do
 * not fit the config are a Left naming the tensor, and so is a non-finite value anywhere (weights, head,
 * optimizer moments): nothing is written then, so the checkpoint already there stays.
 */
export function saveCheckpoint(dir: string, c: Checkpoint, opts: SaveOptions = {}): Result<void> {
  const bad = firstNonFiniteLeaf({ model: c.params, ...(c.head ? { head: c.head } : {}), ...(c.train ? { optimizer: c.train.optimizer } : {}) });
  if (bad) return Promise.resolve(E.left(dirError('ValueOutOfRange', dir, `not written: value ${bad.value} at index ${bad.index} is not finite`, bad.path)));
  return writeDirAtomic(dir, (tmp) => writeFiles(tmp, c, opts), (names) => names.includes(CONFIG));
}

export interface LoadOptions<S extends TrainerState> {
  /** Validates `trainer_state.json` (default `TrainerStateCodec`); extend it to check the trainer's own fields. */
  readonly trainerStateCodec?: t.Decoder<unknown, S>;
  /**
   * The dtype the model's matrices (embedding, projections, lm_head) are stored in: float32 (default), or bfloat16
   * for a frozen base (`storeBase`), stored so as each is read; norms, biases, the adapter and the heads are float32.
   */
  readonly matrixDtype?: BaseDtype;
}

async function readTensors(path: string, required: boolean) {
  if (!required && !(await pathExists(path))) return E.right(undefined);
  return readSafetensorsFile(path);
}

/**
 * Loads and checks a checkpoint directory, the project's or one `transformers` wrote: `config.json` (a Llama,
 * Qwen2 or Mistral model, either config form), the weights single-file or sharded (F32, F16, BF16, F64 read as
 * float32, tensor by tensor), every tensor present with its shape and no unknown ones, finite values, the
 * tokenizer (`tokenizer.json`, `tokenizer_config.json`, `chat_template.jinja`) and that it fits the vocabulary,
 * the eos ids of `config.json` and `generation_config.json`. The head and the training state are loaded when
 * present; the training state needs both of its files. Every Left names the file and, where one is at fault,
 * the tensor or field.
 */
export async function loadCheckpoint<S extends TrainerState = TrainerState>(dir: string, opts: LoadOptions<S> = {}): Result<LoadedCheckpoint<S>> {
  const at = (name: string) => join(dir, name);
  const st = await stat(dir).catch(() => null);
  if (st === null) return E.left(dirError('FileError', dir, 'no such checkpoint directory'));
  if (!st.isDirectory()) return E.left(dirError('NotACheckpointDir', dir, 'is not a directory'));
  const configFile = await readConfigFile(at(CONFIG));
  if (E.isLeft(configFile)) return configFile;
  const config = configFile.right.config;

  const tokenizer = await loadTokenizer(dir);
  if (E.isLeft(tokenizer)) return E.left(dirError('InvalidTokenizer', at(TOKENIZER_FILE), tokenizer.left.message.replace(`${at(TOKENIZER_FILE)}: `, '')));
  const fits = checkVocabFits(config, vocabSize(tokenizer.right), at(TOKENIZER_FILE), at(CONFIG));
  if (E.isLeft(fits)) return fits;
  let generation: ModelTokenIds | undefined;
  if (await pathExists(at(GENERATION))) {
    const g = await readGenerationConfig(at(GENERATION));
    if (E.isLeft(g)) return g;
    generation = g.right;
  }
  const tokenIds = mergeTokenIds(configFile.right.tokenIds, generation, tokenizer.right);
  const outside = idOutsideVocab(tokenIds, config.vocab_size);
  if (outside) return E.left(dirError('InvalidConfig', generation ? at(GENERATION) : at(CONFIG), outside));

  const model = await readModelTensors(dir, hfLayout(config),
    (n) => IGNORED_MODEL_TENSORS.test(n) || (config.tie_word_embeddings && n === 'lm_head.weight'), opts.matrixDtype);
  if (E.isLeft(model)) return model;
  const get = (m: Map<string, Tensor>) => (n: string) => m.get(n)!;
  const base = fromHfNames(config, get(model.right));
  const adapter = await readAdapterFiles(dir, config);
  if (E.isLeft(adapter)) return adapter;
  const lora = adapter.right?.spec;
  const params: ModelParams = adapter.right ? { ...base, adapter: adapter.right.adapter } : base;

  let head: SafetyHead | undefined;
  const headFile = await readTensors(at(HEAD), false);
  if (E.isLeft(headFile)) return headFile;
  if (headFile.right) {
    const tensors = fromF32Tensors(headFile.right.tensors, headLayout(dimsOf(config).d), at(HEAD));
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
    const optimizer = optimizerFromTensors(config, optFile.right!.tensors, head !== undefined, at(OPTIMIZER), lora);
    if (E.isLeft(optimizer)) return optimizer;
    const trainer = await readJsonFile(at(TRAINER), opts.trainerStateCodec ?? (TrainerStateCodec as unknown as t.Decoder<unknown, S>), 'InvalidTrainerState');
    if (E.isLeft(trainer)) return trainer;
    train = { optimizer: optimizer.right, trainer: trainer.right };
  }
  return E.right({ config, params, ...(lora ? { lora } : {}), tokenizer: tokenizer.right, tokenIds, ...(head ? { head } : {}), ...(train ? { train } : {}) });
}
