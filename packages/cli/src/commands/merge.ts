import * as E from 'fp-ts/lib/Either.js';
import { loadCheckpoint, readAdapterFiles, saveCheckpoint } from '@safekey-ts/hf';
import { mergeLora } from '@safekey-ts/safekey';
import { defineCommand } from '../command.js';
import { optional, pathArg, required } from '../flags.js';

export const mergeCommand = defineCommand({
  path: ['merge'],
  summary: 'Fold a LoRA adapter into its base weights (as PEFT\'s merge_and_unload) and write a plain checkpoint.',
  details: [
    'The adapter is the one in --checkpoint (a LoRA run of safekey train), or PEFT\'s adapter_config.json and',
    'adapter_model.safetensors in --adapter (what PeftModel.save_pretrained writes). Each adapted weight becomes',
    'W + (alpha / r) B A; the safety heads and the tokenizer are kept; the training state is not.',
  ].join('\n'),
  flags: {
    checkpoint: required(pathArg, 'DIR', 'the base checkpoint (with its adapter, or without one when --adapter is given)'),
    adapter: optional(pathArg, 'DIR', 'a PEFT adapter directory to merge into the base'),
    out: required(pathArg, 'DIR', 'where to write the merged checkpoint'),
  },
  run: async (f, io) => {
    const ck = await loadCheckpoint(f.checkpoint);
    if (E.isLeft(ck)) return E.left(ck.left.message);
    let params = ck.right.params;
    if (f.adapter) {
      if (params.adapter) return E.left(`${f.checkpoint} has an adapter of its own; merge it first, or give a base without one`);
      const a = await readAdapterFiles(f.adapter, ck.right.config);
      if (E.isLeft(a)) return E.left(a.left.message);
      if (!a.right) return E.left(`${f.adapter}: no adapter_config.json (a PEFT adapter directory holds adapter_config.json and adapter_model.safetensors)`);
      params = { ...params, adapter: a.right.adapter };
    }
    if (!params.adapter) return E.left(`${f.checkpoint} has no adapter to merge (give --adapter DIR)`);
    const merged = mergeLora(params);
    const saved = await saveCheckpoint(f.out, {
      config: ck.right.config, params: merged, tokenizer: ck.right.tokenizer, tokenIds: ck.right.tokenIds, ...(ck.right.head ? { head: ck.right.head } : {}),
    });
    if (E.isLeft(saved)) return E.left(saved.left.message);
    io.out(`merged the adapter into ${f.out}`);
    return E.right(undefined);
  },
});
