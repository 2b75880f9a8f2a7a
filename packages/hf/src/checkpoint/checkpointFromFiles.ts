// A checkpoint from its files' bytes, for where there is no file system (a page given files by a picker or by
// fetch). It checks what `loadCheckpoint` checks, through the same parsers; the training state is not read.
import * as E from 'fp-ts/lib/Either.js';
import { type Tensor, scalar } from '@safekey-ts/core';
import { type ModelParams, type SafetyHead, dimsOf, fromHfNames, hfLayout, safetyHeadFromNames } from '@safekey-ts/safekey';
import { ADAPTER_FILES, AdapterConfigCodec, loraSpecOf } from '../adapter/adapterConfig.js';
import { adapterFromNames, adapterLayout } from '../adapter/adapterLayout.js';
import { describeErrors } from '../codec/describeErrors.js';
import { vocabSize } from '../tokenizer/tokenizer.js';
import { CHAT_TEMPLATE_FILE, TOKENIZER_CONFIG_FILE, TOKENIZER_FILE, tokenizerFromTexts } from '../tokenizer/tokenizerTexts.js';
import { CHECKPOINT_FILES } from './checkpointFiles.js';
import type { LoadedCheckpoint } from './checkpointDir.js';
import { checkVocabFits, configFromText, generationConfigFromText, idOutsideVocab, parseJsonText } from './configFile.js';
import { type CheckpointDirError, dirError } from './dirErrors.js';
import { fromF32Tensors } from './namedTensors.js';
import { parseSafetensors } from './safetensors.js';
import { MODEL_FILE, MODEL_INDEX_FILE, parseShardIndex, shardFiles } from './shardIndex.js';
import type { LoadedTensor } from './tensorData.js';
import { headLayout } from './trainableLayout.js';
import { mergeTokenIds } from './tokenIds.js';

/** A checkpoint's files by name (no directories), as bytes. */
export type CheckpointFileMap = ReadonlyMap<string, Uint8Array>;

type Result<A> = E.Either<CheckpointDirError, A>;
const IGNORED_MODEL_TENSORS = /\.rotary_emb\.inv_freq$/;

/**
 * Loads and checks a checkpoint from its files (`where` names the directory in messages): `config.json`, the
 * tokenizer's files, `generation_config.json`, the weights in one file or shards, a PEFT adapter and the safety
 * head when present. Every Left names the file and the field or tensor, as `loadCheckpoint`'s do.
 */
export function checkpointFromFiles(files: CheckpointFileMap, where: string): Result<LoadedCheckpoint> {
  const at = (name: string) => `${where}/${name}`;
  const utf8 = new TextDecoder('utf-8', { fatal: false });
  const text = (name: string): string | null => { const b = files.get(name); return b === undefined ? null : utf8.decode(b); };
  const required = (name: string): Result<string> => {
    const t = text(name);
    return t === null ? E.left(dirError('FileError', at(name), 'missing: not among the files given')) : E.right(t);
  };
  const safetensors = (name: string): Result<Map<string, LoadedTensor>> => {
    const b = files.get(name);
    if (b === undefined) return E.left(dirError('FileError', at(name), 'missing: not among the files given'));
    const parsed = parseSafetensors(b, at(name));
    return E.isLeft(parsed) ? parsed : E.right(parsed.right.tensors);
  };

  const configText = required(CHECKPOINT_FILES.config);
  if (E.isLeft(configText)) return configText;
  const configFile = configFromText(configText.right, at(CHECKPOINT_FILES.config));
  if (E.isLeft(configFile)) return configFile;
  const config = configFile.right.config;

  const tokText = required(TOKENIZER_FILE);
  if (E.isLeft(tokText)) return tokText;
  const tokenizer = tokenizerFromTexts({ tokenizer: tokText.right, config: text(TOKENIZER_CONFIG_FILE), chatTemplate: text(CHAT_TEMPLATE_FILE) }, at(TOKENIZER_FILE), at(TOKENIZER_CONFIG_FILE));
  if (E.isLeft(tokenizer)) return E.left(dirError('InvalidTokenizer', at(TOKENIZER_FILE), tokenizer.left.message.replace(`${at(TOKENIZER_FILE)}: `, '')));
  const fits = checkVocabFits(config, vocabSize(tokenizer.right), at(TOKENIZER_FILE), at(CHECKPOINT_FILES.config));
  if (E.isLeft(fits)) return fits;
  const genText = text(CHECKPOINT_FILES.generationConfig);
  const generation = genText === null ? E.right(undefined) : generationConfigFromText(genText, at(CHECKPOINT_FILES.generationConfig));
  if (E.isLeft(generation)) return generation;
  const tokenIds = mergeTokenIds(configFile.right.tokenIds, generation.right, tokenizer.right);
  const outside = idOutsideVocab(tokenIds, config.vocab_size);
  if (outside) return E.left(dirError('InvalidConfig', at(generation.right ? CHECKPOINT_FILES.generationConfig : CHECKPOINT_FILES.config), outside));

  // the weights: one file, or the shards the index lists (each tensor where the index says)
  const indexText = text(MODEL_INDEX_FILE);
  const model = new Map<string, LoadedTensor>();
  let modelFile = at(MODEL_FILE);
  if (indexText !== null) {
    const weightMap = parseShardIndex(indexText, at(MODEL_INDEX_FILE));
    if (E.isLeft(weightMap)) return weightMap;
    modelFile = at(MODEL_INDEX_FILE);
    for (const shard of shardFiles(weightMap.right)) {
      const tensors = safetensors(shard);
      if (E.isLeft(tensors)) return tensors;
      tensors.right.forEach((t, name) => model.set(name, t));
      const misplaced = Object.entries(weightMap.right).find(([name, file]) => file === shard && !tensors.right.has(name));
      if (misplaced) return E.left(dirError('MissingTensor', at(shard), `listed in ${MODEL_INDEX_FILE} but not in this file`, misplaced[0]));
    }
  } else {
    if (!files.has(MODEL_FILE)) return E.left(dirError('FileError', at(MODEL_FILE), `missing: the checkpoint has neither ${MODEL_FILE} nor ${MODEL_INDEX_FILE}`));
    const tensors = safetensors(MODEL_FILE);
    if (E.isLeft(tensors)) return tensors;
    tensors.right.forEach((t, name) => model.set(name, t));
  }
  const weights = fromF32Tensors(model, hfLayout(config), modelFile,
    (n) => IGNORED_MODEL_TENSORS.test(n) || (config.tie_word_embeddings && n === 'lm_head.weight'));
  if (E.isLeft(weights)) return weights;
  const get = (m: Map<string, Tensor>) => (n: string) => m.get(n)!;
  let params: ModelParams = fromHfNames(config, get(weights.right));

  const adapterText = text(ADAPTER_FILES.config);
  let lora;
  if (adapterText !== null) {
    const json = parseJsonText(adapterText, at(ADAPTER_FILES.config));
    if (E.isLeft(json)) return json;
    const decoded = AdapterConfigCodec.decode(json.right);
    if (E.isLeft(decoded)) return E.left(dirError('InvalidConfig', at(ADAPTER_FILES.config), describeErrors(decoded.left)));
    const spec = loraSpecOf(decoded.right);
    if (E.isLeft(spec)) return E.left(dirError('InvalidConfig', at(ADAPTER_FILES.config), spec.left));
    const raw = safetensors(ADAPTER_FILES.weights);
    if (E.isLeft(raw)) return raw;
    const tensors = fromF32Tensors(raw.right, adapterLayout(config, spec.right), at(ADAPTER_FILES.weights));
    if (E.isLeft(tensors)) return tensors;
    lora = spec.right;
    params = { ...params, adapter: { scale: scalar(lora.alpha / lora.rank, 'float32'), layers: adapterFromNames(config, lora, get(tensors.right)) } };
  }

  let head: SafetyHead | undefined;
  if (files.has(CHECKPOINT_FILES.head)) {
    const raw = safetensors(CHECKPOINT_FILES.head);
    if (E.isLeft(raw)) return raw;
    const tensors = fromF32Tensors(raw.right, headLayout(dimsOf(config).d), at(CHECKPOINT_FILES.head));
    if (E.isLeft(tensors)) return tensors;
    head = safetyHeadFromNames(get(tensors.right));
  }
  return E.right({ config, params, ...(lora ? { lora } : {}), tokenizer: tokenizer.right, tokenIds, ...(head ? { head } : {}) });
}
