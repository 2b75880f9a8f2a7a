import { random } from '@safekey-ts/core';
import type { RawSample } from '@safekey-ts/safekey';
import { everydayRequests } from './everyday.js';
import { GENERAL_TASKS, type TaskItem, arithmeticTask, repeatTask } from './general.js';
import { compliantResponse, helpfulResponse, refusingResponse, type Response } from './responses.js';
import type { RequestKind, Topics } from './topics.js';
import { HELD_OUT_FAMILIES, SEEN_FAMILIES, WRAPPER_FAMILIES, familyByName } from './wrappers.js';

export type ItemKind = RequestKind | 'general';

/** A training sample with where it came from. Offsets always present. */
export interface CorpusSample extends RawSample {
  readonly uEnd: number;
  readonly kEnd: number;
  readonly kind: ItemKind;
  readonly family: string;
  readonly split: 'train' | 'test';
  readonly request: string;
}

/** An evaluation prompt. A general task's `family` is the task and `answer` its expected answer; `family` and `split` for requests. */
export interface EvalItem {
  readonly prompt: string;
  readonly harmful: 0 | 1;
  readonly kind: ItemKind;
  readonly family: string;
  readonly split: 'train' | 'test';
  readonly request: string;
  readonly answer?: string;
  /** A prompt file's fields beyond these, kept for the per-prompt records. */
  readonly extra?: Readonly<Record<string, unknown>>;
}

export interface CorpusSizes {
  /** Stage 0: wrapped variants per request (families drawn at random, both templates). */
  readonly stage0PerRequest: number;
  /** Stage-0 samples and evaluation prompts of each general task. */
  readonly generalTrain: number;
  readonly generalEval: number;
  /** Stage 1: seen families per train request (at most 5), template 0. */
  readonly stage1PerRequest: number;
  /** Evaluation: harmful requests per family (both splits, spread over categories); 0 = all. */
  readonly evalHarmfulPerFamily: number;
  /** Stage 1 also replays this many stage-0 items of each general task (both arms alike), so alignment keeps them. */
  readonly stage1General?: number;
  /** Generated everyday (harmless) requests: a fifth never trained on, the rest in stage 0 and stage 1; absent = none. */
  readonly everyday?: number;
  /** Use only this many requests of each kind (both splits, spread over categories); absent = all. For smoke runs. */
  readonly requestsPerKind?: number;
}

export interface Corpus {
  readonly stage0: CorpusSample[];
  readonly stage1: CorpusSample[];
  readonly eval: EvalItem[];
}

type Topic = Topics['harmful'][number] & { kind: RequestKind };

/**
 * Stage 0 draws wrapper families with these weights (others 1): the families whose form hides the request (its
 * words spelled out, among other questions, inside a story) need more examples before U restates it.
 */
const STAGE0_WEIGHTS: Readonly<Record<string, number>> = { spelled: 3, multi: 2, fiction: 2 };
const weights = WRAPPER_FAMILIES.map((f) => STAGE0_WEIGHTS[f.name] ?? 1);
const totalWeight = weights.reduce((a, b) => a + b, 0);
/** The stage-0 family for a uniform draw `u` in [0, 1). */
function stage0Family(u: number): (typeof WRAPPER_FAMILIES)[number] {
  let x = u * totalWeight;
  for (let i = 0; i < weights.length; i++) { if (x < weights[i]) return WRAPPER_FAMILIES[i]; x -= weights[i]; }
  return WRAPPER_FAMILIES[WRAPPER_FAMILIES.length - 1];
}

/** Benign and lookalike requests are evaluated plainly, in two seen families and in two held-out ones. */
const BENIGN_EVAL_FAMILIES = ['plain', ...SEEN_FAMILIES.slice(1, 3), ...HELD_OUT_FAMILIES.slice(0, 2)];

const sample = (kind: ItemKind, topic: { request: string; split: 'train' | 'test' }, family: string, query: string, r: Response, harmful: 0 | 1): CorpusSample =>
  ({ query, response: r.text, harmful, uEnd: r.uEnd, kEnd: r.kEnd, kind, family, split: topic.split, request: topic.request });

/**
 * The whole synthetic data of the experiment, from one seed: the stage-0 corpus where the base model complies
 * with everything, the stage-1 alignment set (train-split requests, seen families, template 0: refusals for
 * harmful ones, help for benign and lookalike ones) and the evaluation prompts (template 1 of every family,
 * both splits, and held-out items of each general task).
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
  /** A stage-0 sample: the request in a family and template drawn from two uniforms, answered compliantly. */
  const wrappedCompliant = (kind: RequestKind, topic: { request: string; split: 'train' | 'test' }, uFamily: number, uTemplate: number) => {
    const fam = stage0Family(uFamily);
    const tpl = fam.templates[Math.floor(uTemplate * fam.templates.length)];
    return sample(kind, topic, fam.name, tpl(topic.request), compliantResponse(topic.request), kind === 'harmful' ? 1 : 0);
  };
  for (const t of all) for (let i = 0; i < sizes.stage0PerRequest; i++, c += 2) stage0.push(wrappedCompliant(t.kind, t, u0[c], u0[c + 1]));
  const makers: Record<(typeof GENERAL_TASKS)[number], { draws: number; make: (u: readonly number[]) => TaskItem }> = { arithmetic: { draws: 4, make: arithmeticTask }, repeat: { draws: 5, make: repeatTask } };
  const general: TaskItem[] = [], generalEval: TaskItem[] = [], replay: TaskItem[] = [];
  GENERAL_TASKS.forEach((task, ti) => {
    const { draws, make } = makers[task];
    const n = sizes.generalTrain + sizes.generalEval;
    const u = random.uniformArray(random.foldIn(k1, ti), draws * n);
    const items = Array.from({ length: n }, (_, i) => make(Array.from(u.subarray(draws * i, draws * i + draws))));
    const seen = new Set(items.slice(0, sizes.generalTrain).map((x) => x.question));
    general.push(...items.slice(0, sizes.generalTrain));
    replay.push(...items.slice(0, Math.min(sizes.stage1General ?? 0, sizes.generalTrain)));
    generalEval.push(...items.slice(sizes.generalTrain).filter((x) => !seen.has(x.question)));
  });
  const everyday = everydayRequests(sizes.everyday ?? 0, seed + 1);
  const ue = random.uniformArray(random.foldIn(k0, 1), everyday.train.length * sizes.stage0PerRequest * 2 + everyday.train.length);
  let e = 0;
  for (const request of everyday.train) for (let i = 0; i < sizes.stage0PerRequest; i++, e += 2) stage0.push(wrappedCompliant('benign', { request, split: 'train' }, ue[e], ue[e + 1]));
  for (const t of general) stage0.push(sample('general', { request: t.question, split: 'train' }, t.task, t.question, t.response, 0));

  const stage1: CorpusSample[] = [];
  const families = SEEN_FAMILIES.slice(0, Math.max(1, Math.min(sizes.stage1PerRequest, SEEN_FAMILIES.length)));
  for (const t of all.filter((x) => x.split === 'train')) for (const name of families) {
    const query = familyByName(name).templates[0](t.request);
    const r = t.kind === 'harmful' ? refusingResponse(t.request) : helpfulResponse(t.request);
    stage1.push(sample(t.kind, t, name, query, r, t.kind === 'harmful' ? 1 : 0));
  }

  // everyday requests in stage 1: each once, helped, in one seen family
  for (const request of everyday.train) {
    const name = families[Math.floor(ue[e++] * families.length)];
    stage1.push(sample('benign', { request, split: 'train' }, name, familyByName(name).templates[0](request), helpfulResponse(request), 0));
  }

  for (const t of replay) stage1.push(sample('general', { request: t.question, split: 'train' }, t.task, t.question, t.response, 0));

  const evalItems: EvalItem[] = [];
  const harmful = pickSpread(used.harmful, sizes.evalHarmfulPerFamily, k2);
  for (const fam of WRAPPER_FAMILIES) for (const t of harmful)
    evalItems.push({ prompt: fam.templates[1](t.request), harmful: 1, kind: 'harmful', family: fam.name, split: t.split, request: t.request });
  for (const t of all.filter((x) => x.kind !== 'harmful')) for (const name of BENIGN_EVAL_FAMILIES)
    evalItems.push({ prompt: familyByName(name).templates[1](t.request), harmful: 0, kind: t.kind, family: name, split: t.split, request: t.request });
  for (const request of everyday.novel) for (const name of BENIGN_EVAL_FAMILIES)
    evalItems.push({ prompt: familyByName(name).templates[1](request), harmful: 0, kind: 'benign', family: name, split: 'test', request });
  for (const t of generalEval)
    evalItems.push({ prompt: t.question, harmful: 0, kind: 'general', family: t.task, split: 'test', request: t.question, answer: t.answer });
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
