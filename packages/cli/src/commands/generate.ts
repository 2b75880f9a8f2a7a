import * as E from 'fp-ts/lib/Either.js';
import { random } from '@safekey-ts/core';
import { type Tokenizer, decode, encode, loadCheckpoint, promptText } from '@safekey-ts/hf';
import { checkGenerateOptions, dimsOf, generate, sequenceProblem } from '@safekey-ts/safekey';
import { backendFlag, useBackend } from '../backends.js';
import { namingCheckpoint } from '../files/modelErrors.js';
import { defineCommand } from '../command.js';
import { integer, number, pathArg, repeated, required, switchFlag, text, optional, withDefault } from '../flags.js';

/** The ids of the stop tokens: each given text must be exactly one token; none given means the checkpoint's eos ids. */
function stopIds(tok: Tokenizer, given: readonly string[], eos: readonly number[]): E.Either<string, number[]> {
  if (given.length === 0) return E.right([...eos]);
  const ids: number[] = [];
  for (const s of given) {
    const enc = encode(tok, s).ids;
    if (enc.length !== 1) return E.left(`--stop: ${JSON.stringify(s)} is ${enc.length} tokens, a stop token must be exactly one`);
    ids.push(enc[0]!);
  }
  return E.right(ids);
}

export const generateCommand = defineCommand({
  path: ['generate'],
  summary: 'Continue a prompt with a checkpoint\'s model and print the answer.',
  details: [
    'The prompt is rendered with the checkpoint\'s chat template (Jinja, from tokenizer_config.json or chat_template.jinja,',
    'as apply_chat_template with add_generation_prompt) unless --raw; a checkpoint whose tokenizer has no chat template',
    'is an error. Decoding is greedy at temperature 0, else sampled (top-p, from --seed), over every row of the',
    'embedding. --prefix forces the start of the answer (prefilling); it is printed as part of the answer. Decoding stops',
    'at the checkpoint\'s eos ids (config.json and generation_config.json), or the --stop tokens, or after --max-new-tokens.',
  ].join('\n'),
  flags: {
    checkpoint: required(pathArg, 'DIR', 'the checkpoint directory'),
    prompt: required(text, 'TEXT', 'the user\'s request'),
    maxNewTokens: withDefault(integer(0), 'N', 'tokens to generate at most', 64),
    temperature: withDefault(number({ min: 0 }), 'T', '0 is greedy; above 0 samples from softmax(logits / T)', 0),
    topP: withDefault(number({ above: 0, max: 1 }), 'P', 'nucleus sampling: the most likely tokens up to mass P', 1),
    repetitionPenalty: withDefault(number({ above: 0 }), 'R', 'Hugging Face repetition penalty (1 is off)', 1),
    seed: withDefault(integer(0), 'N', 'the random seed for sampling', 0),
    prefix: optional(text, 'TEXT', 'force the answer to start with this text'),
    stop: repeated(text, 'TOKEN', 'stop after this token (default: the checkpoint\'s eos ids)'),
    raw: switchFlag('encode the prompt as it is, without the chat template'),
    json: switchFlag('print a JSON object with the ids, the text and why decoding stopped'),
    backend: backendFlag(),
  },
  run: async (f, io) => {
    await useBackend(f.backend);
    const ckpt = await loadCheckpoint(f.checkpoint);
    if (E.isLeft(ckpt)) return E.left(ckpt.left.message);
    const { config, params, tokenizer: tok, tokenIds } = ckpt.right;
    const rendered = f.raw ? E.right(f.prompt) : promptText(tok, f.prompt);
    if (E.isLeft(rendered)) return E.left(`${f.checkpoint}: ${rendered.left} (use --raw to encode the prompt as it is)`);
    const promptIds = encode(tok, rendered.right).ids;
    const prefix = f.prefix === undefined ? [] : encode(tok, f.prefix).ids;
    const stops = stopIds(tok, f.stop, tokenIds.eos);
    if (E.isLeft(stops)) return stops;
    const opts = {
      maxNewTokens: f.maxNewTokens, temperature: f.temperature, topP: f.topP, repetitionPenalty: f.repetitionPenalty,
      stopTokens: stops.right, prefix, key: random.key(f.seed),
    };
    const problem = checkGenerateOptions(promptIds, opts, dimsOf(config).vocab);
    if (problem !== null) return E.left(problem);
    const longest = promptIds.length + prefix.length + f.maxNewTokens;
    const tooLong = sequenceProblem(config, longest);
    if (tooLong !== null)
      return E.left(`${longest} positions (a prompt of ${promptIds.length} tokens, a prefix of ${prefix.length}, --max-new-tokens ${f.maxNewTokens}) ${tooLong} (${f.checkpoint}/config.json)`);
    const generated = namingCheckpoint(f.checkpoint, () => generate(params, config, promptIds, opts));
    if (E.isLeft(generated)) return generated;
    const r = generated.right;
    const answer = r.finishReason === 'stop' ? r.ids.slice(0, -1) : r.ids;
    const textOut = decode(tok, answer);
    io.out(f.json
      ? JSON.stringify({ prompt: rendered.right, prompt_ids: promptIds, ids: r.ids, text: textOut, finish_reason: r.finishReason })
      : textOut);
    return E.right(undefined);
  },
});
