import { random } from '@safekey-ts/core';
import type { RawSample } from '@safekey-ts/safekey';
import { arithmeticTask } from './arithmetic.js';
import { compliantResponse, helpfulResponse, refusingResponse, type Response } from './responses.js';
import type { RequestKind, Topics } from './topics.js';
import { HELD_OUT_FAMILIES, SEEN_FAMILIES, WRAPPER_FAMILIES, familyByName } from './wrappers.js';

export type ItemKind = RequestKind | 'arithmetic';

/** A training sample with where it came from. Offsets always present. */
export interface CorpusSample extends RawSample {
  readonly uEnd: number;
  readonly kEnd: number;
  readonly kind: ItemKind;
  readonly family: string;
  readonly split: 'train' | 'test';
  readonly request: string;
}

/** An evaluation prompt. `answer` for arithmetic; `family` and `split` for requests. */
export interface EvalItem {
  readonly prompt: string;
  readonly harmful: 0 | 1;
  readonly kind: ItemKind;
  readonly family: string;
  readonly split: 'train' | 'test';
  readonly request: string;
  readonly answer?: number;
  /** A prompt file's fields beyond these, kept for the per-prompt records. */
  readonly extra?: Readonly<Record<string, unknown>>;
}

export interface CorpusSizes {
  /** Stage 0: wrapped variants per request (families drawn at random, both templates). */
  readonly stage0PerRequest: number;
  readonly arithmeticTrain: number;
  readonly arithmeticEval: number;
  /** Stage 1: seen families per train request (at most 5), template 0. */
  readonly stage1PerRequest: number;
  /** Evaluation: harmful requests per family (both splits, spread over categories); 0 = all. */
  readonly evalHarmfulPerFamily: number;
  /** Use only this many requests of each kind (both splits, spread over categories); absent = all. For smoke runs. */
  readonly requestsPerKind?: number;
}

export interface Corpus {
  readonly stage0: CorpusSample[];
  readonly stage1: CorpusSample[];
  readonly eval: EvalItem[];
}

type Topic = Topics['harmful'][number] & { kind: RequestKind };

/** Benign and lookalike requests are evaluated plainly, in two seen families and in two held-out ones. */
const BENIGN_EVAL_FAMILIES = ['plain', ...SEEN_FAMILIES.slice(1, 3), ...HELD_OUT_FAMILIES.slice(0, 2)];

const sample = (kind: ItemKind, topic: { request: string; split: 'train' | 'test' }, family: string, query: string, r: Response, harmful: 0 | 1): CorpusSample =>
  ({ query, response: r.text, harmful, uEnd: r.uEnd, kEnd: r.kEnd, kind, family, split: topic.split, request: topic.request });

/**
 * The whole synthetic data of the experiment, from one seed: the stage-0 corpus where the base model complies
 * with everything, the stage-1 alignment set (train-split requests, seen families, template 0: refusals for
 * harmful ones, help for benign and lookalike ones) and the evaluation prompts (template 1 of every family,
 * both splits, and held-out arithmetic).
 */
export function generateCorpus(topics: Topics, sizes: CorpusSizes, seed: number): Corpus {
  const [k0, k1, k2, k3] = random.split(random.key(seed), 4);
  const limit = <T extends { category: string; split: string }>(xs: readonly T[], i: number) =>
    sizes.requestsPerKind ? pickSpread(xs, sizes.requestsPerKind, random.foldIn(k2, 100 + i)) : [...xs];
  const used = { harmful: limit(topics.harmful, 0), benign: limit(topics.benign, 1), lookalike: limit(topics.lookalike, 2) };
  const all: Topic[] = [
    ...used.harmful.map((t) => ({ ...t, kind: 'harmful' as const })),
    ...used.benign.map((t) => ({ ...t, kind: 'benign' as const })),
    ...used.lookalike.map((t) => ({ ...t, kind: 'lookalike' as const })),
  ];
  const u0 = random.uniformArray(k0, all.length * sizes.stage0PerRequest * 2);
  let c = 0;
  const stage0: CorpusSample[] = [];
  for (const t of all) for (let i = 0; i < sizes.stage0PerRequest; i++) {
    const fam = WRAPPER_FAMILIES[Math.floor(u0[c++] * WRAPPER_FAMILIES.length)];
    const tpl = fam.templates[Math.floor(u0[c++] * fam.templates.length)];
    stage0.push(sample(t.kind, t, fam.name, tpl(t.request), compliantResponse(t.request), t.kind === 'harmful' ? 1 : 0));
  }
  const ua = random.uniformArray(k1, 4 * (sizes.arithmeticTrain + sizes.arithmeticEval));
  const tasks = Array.from({ length: sizes.arithmeticTrain + sizes.arithmeticEval }, (_, i) => arithmeticTask(Array.from(ua.subarray(4 * i, 4 * i + 4))));
  const seenQuestions = new Set<string>();
  for (const task of tasks.slice(0, sizes.arithmeticTrain)) {
    seenQuestions.add(task.question);
    stage0.push(sample('arithmetic', { request: task.question, split: 'train' }, 'plain', task.question, task.response, 0));
  }

  const stage1: CorpusSample[] = [];
  const families = SEEN_FAMILIES.slice(0, Math.max(1, Math.min(sizes.stage1PerRequest, SEEN_FAMILIES.length)));
  for (const t of all.filter((x) => x.split === 'train')) for (const name of families) {
    const query = familyByName(name).templates[0](t.request);
    const r = t.kind === 'harmful' ? refusingResponse(t.request) : helpfulResponse(t.request);
    stage1.push(sample(t.kind, t, name, query, r, t.kind === 'harmful' ? 1 : 0));
  }

  const evalItems: EvalItem[] = [];
  const harmful = pickSpread(used.harmful, sizes.evalHarmfulPerFamily, k2);
  for (const fam of WRAPPER_FAMILIES) for (const t of harmful)
    evalItems.push({ prompt: fam.templates[1](t.request), harmful: 1, kind: 'harmful', family: fam.name, split: t.split, request: t.request });
  for (const t of all.filter((x) => x.kind !== 'harmful')) for (const name of BENIGN_EVAL_FAMILIES)
    evalItems.push({ prompt: familyByName(name).templates[1](t.request), harmful: 0, kind: t.kind, family: name, split: t.split, request: t.request });
  for (const task of tasks.slice(sizes.arithmeticTrain).filter((x) => !seenQuestions.has(x.question)))
    evalItems.push({ prompt: task.question, harmful: 0, kind: 'arithmetic', family: 'plain', split: 'test', request: task.question, answer: task.answer });
  return { stage0: shuffle(stage0, random.foldIn(k3, 0)), stage1: shuffle(stage1, random.foldIn(k3, 1)), eval: evalItems };
}

/** `n` items spread over categories and both splits (all when n is 0 or too large). */
function pickSpread<T extends { category: string; split: string }>(items: readonly T[], n: number, key: random.Key): T[] {
  if (n <= 0 || n >= items.length) return [...items];
  const order = shuffle(items, key);
  const test = order.filter((x) => x.split === 'test'), train = order.filter((x) => x.split === 'train');
  const half = Math.ceil(n / 2);
  return [...test.slice(0, half), ...train.slice(0, n - Math.min(half, test.length))];
}

export function shuffle<T>(items: readonly T[], key: random.Key): T[] {
  const u = random.uniformArray(key, items.length);
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(u[i] * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}
