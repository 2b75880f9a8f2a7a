import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { LORA_MODULES, LORA_TARGETS, type LoraSpec, type LoraTarget, checkLoraSpec } from '@safekey-ts/safekey';

/** PEFT's two files of a LoRA adapter. */
export const ADAPTER_FILES = { config: 'adapter_config.json', weights: 'adapter_model.safetensors' } as const;

/** PEFT's module name (`q_proj`, ...) of each target. */
const moduleName = (target: LoraTarget) => LORA_MODULES[target].split('.')[1]!;
const TARGET_OF_MODULE = new Map(LORA_TARGETS.map((tg) => [moduleName(tg), tg]));

/** `adapter_config.json` as PEFT writes it for a plain LoRA on a causal LM (the fields PEFT's defaults leave out too). */
export function adapterConfigJson(spec: LoraSpec, baseModel: string | null = null): Record<string, unknown> {
  return {
    peft_type: 'LORA', task_type: 'CAUSAL_LM', base_model_name_or_path: baseModel, inference_mode: true,
    r: spec.rank, lora_alpha: spec.alpha, lora_dropout: spec.dropout, target_modules: spec.targets.map(moduleName),
    bias: 'none', fan_in_fan_out: false, use_rslora: false, use_dora: false, init_lora_weights: true,
    modules_to_save: null, layers_to_transform: null, layers_pattern: null, rank_pattern: {}, alpha_pattern: {},
  };
}

const Fields = t.intersection([
  t.type({ peft_type: t.string, r: t.number, lora_alpha: t.number, target_modules: t.union([t.array(t.string), t.string]) }),
  t.partial({
    lora_dropout: t.number, bias: t.string, fan_in_fan_out: t.boolean, use_rslora: t.boolean, use_dora: t.boolean,
    modules_to_save: t.union([t.null, t.array(t.string)]), layers_to_transform: t.union([t.null, t.number, t.array(t.number)]),
    rank_pattern: t.UnknownRecord, alpha_pattern: t.UnknownRecord,
  }),
]);
export const AdapterConfigCodec = Fields;

/**
 * The LoRA spec of a decoded `adapter_config.json`. What this project does not compute (DoRA, rsLoRA, per-module
 * ranks, biases, a regex or unknown target, layer subsets, extra trained modules) is a Left naming the field.
 */
export function loraSpecOf(c: t.TypeOf<typeof Fields>): E.Either<string, LoraSpec> {
  if (c.peft_type !== 'LORA') return E.left(`field 'peft_type': ${JSON.stringify(c.peft_type)}, only LORA is supported`);
  if (typeof c.target_modules === 'string') return E.left(`field 'target_modules': a pattern (${JSON.stringify(c.target_modules)}) is not supported; list the modules`);
  const unsupported: [string, boolean][] = [
    ['use_dora', c.use_dora === true], ['use_rslora', c.use_rslora === true], ['fan_in_fan_out', c.fan_in_fan_out === true],
    ['bias', (c.bias ?? 'none') !== 'none'], ['modules_to_save', (c.modules_to_save ?? null) !== null],
    ['layers_to_transform', (c.layers_to_transform ?? null) !== null],
    ['rank_pattern', Object.keys(c.rank_pattern ?? {}).length > 0], ['alpha_pattern', Object.keys(c.alpha_pattern ?? {}).length > 0],
  ];
  const bad = unsupported.find(([, is]) => is);
  if (bad) return E.left(`field '${bad[0]}': not supported (plain LoRA only)`);
  const targets: LoraTarget[] = [];
  for (const m of c.target_modules) {
    const tg = TARGET_OF_MODULE.get(m);
    if (tg === undefined) return E.left(`field 'target_modules': '${m}' is not one of ${[...TARGET_OF_MODULE.keys()].join(', ')}`);
    targets.push(tg);
  }
  const spec: LoraSpec = { rank: c.r, alpha: c.lora_alpha, dropout: c.lora_dropout ?? 0, targets: LORA_TARGETS.filter((tg) => targets.includes(tg)) };
  const problem = checkLoraSpec(spec);
  return problem === undefined ? E.right(spec) : E.left(problem.replace(/^lora\.(\w+)/, (_, f: string) => `field '${({ rank: 'r', alpha: 'lora_alpha', dropout: 'lora_dropout', targets: 'target_modules' } as Record<string, string>)[f]}'`));
}
