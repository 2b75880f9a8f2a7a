import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { random } from '@safekey-ts/core';
import { type BackendName, useBackend } from '../backends.js';
import { type Tokenizer, encode as hfEncode, loadCheckpoint, promptText, loadTokenizer, sampleEncoder, saveCheckpoint, saveTokenizer, toFileOffsets, toPublicFormat, trainBpe, vocabSize, writeFileAtomic } from '@safekey-ts/hf';
import { type Arm, type ModelConfig, type ModelParams, type SafekeyParams, type SampleSpans, type UpdateMetrics, describeStop, dimsOf, encodeSamples, initAdamW, initParams, initSafetyHead, RECIPE, trainLoop } from '@safekey-ts/safekey';
import { progress } from '../ui/progress.js';
import { attentionShares, hiddenBeforeK, probeAccuracy } from './analysis.js';
import { type Corpus, type EvalItem, generateCorpus } from './corpus.js';
import { estimateTime } from './estimate.js';
import { evaluate } from './evaluate.js';
import type { Preset } from './presets.js';
import { writeReport } from './report.js';
import { helpfulResponse, refusingResponse } from './responses.js';
import type { AnalysisResult, CurvePoint, ExperimentResults, RunResult } from './results.js';
import { type EvalRecord, summarize } from './summary.js';
import { compareArms } from './comparison.js';
import type { Topics } from './topics.js';

export interface ExperimentOptions {
  readonly preset: Preset;
  readonly topics: Topics;
  readonly out: string;
  readonly backend: BackendName;
  readonly commands: readonly string[];
  readonly log: (line: string) => void;
}

type StageResult = Omit<RunResult, 'arm' | 'seed'>;
const CORPUS_SEED = 0;

const writeJson = async (file: string, value: unknown) => {
  const w = await writeFileAtomic(file, JSON.stringify(value, null, 2));
  if (E.isLeft(w)) throw new Error(`${file}: ${JSON.stringify(w.left)}`);
};
const writeJsonl = async (file: string, rows: readonly unknown[]) => {
  const w = await writeFileAtomic(file, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  if (E.isLeft(w)) throw new Error(`${file}: ${JSON.stringify(w.left)}`);
};
const orThrow = <A>(e: E.Either<{ message: string } | string, A>, what: string): A => {
  if (E.isLeft(e)) throw new Error(`${what}: ${typeof e.left === 'string' ? e.left : e.left.message}`);
  return e.right;
};

/** Teacher-forced sequences for the analyses: each eval request with the aligned response (refusal or help). */
function analysisSamples(tok: Tokenizer, items: readonly EvalItem[], maxLength: number): { item: EvalItem; spans: SampleSpans }[] {
  const requests = items.filter((i) => i.kind !== 'general');
  const raw = requests.map((i) => {
    const r = i.kind === 'harmful' ? refusingResponse(i.request) : helpfulResponse(i.request);
    return { query: i.prompt, response: r.text, harmful: i.harmful, uEnd: r.uEnd, kEnd: r.kEnd };
  });
  const enc = encodeSamples(orThrow(sampleEncoder(tok), 'the tokenizer'), raw, { maxLength });
  const skipped = new Set(enc.skipped.map((s) => s.index));
  const items2 = requests.filter((_, i) => !skipped.has(i));
  return enc.samples.map((spans, i) => ({ item: items2[i], spans }));
}

function analyse(params: ModelParams, config: ModelConfig, tok: Tokenizer, corpus: Corpus, maxLength: number): AnalysisResult {
  const all = analysisSamples(tok, corpus.eval, maxLength);
  const harmful = all.filter((x) => x.item.kind === 'harmful').slice(0, 96).map((x) => x.spans);
  const shares = attentionShares(params, config, harmful);
  const train = all.filter((x) => x.item.split === 'train'), test = all.filter((x) => x.item.split === 'test');
  const probe = probeAccuracy(hiddenBeforeK(params, config, train.map((x) => x.spans)), train.map((x) => x.item.harmful),
    hiddenBeforeK(params, config, test.map((x) => x.spans)), test.map((x) => x.item.harmful));
  return { ...shares, probe };
}

const curvePoint = (m: UpdateMetrics): CurvePoint => ({
  step: m.step, total: m.total, sft: m.sft, ...(m.qmm !== undefined ? { qmm: m.qmm } : {}), ...(m.dpsh !== undefined ? { dpsh: m.dpsh } : {}),
});

/**
 * The whole experiment: corpus, tokenizer, stage 0 (a base model that complies with everything), stage 1 for
 * each arm and seed from the same base, evaluation and analyses of every model, and the report. Each finished
 * stage leaves its checkpoint and `result.json`, so a rerun skips it (resumable).
 */
export async function runExperiment(o: ExperimentOptions): Promise<ExperimentResults> {
  const t0 = Date.now();
  const { preset, out, log } = o;
  mkdirSync(join(out, 'data'), { recursive: true });
  const chosen = await useBackend(o.backend);
  log(`backend: ${chosen.description}`);

  const corpus = generateCorpus(o.topics, preset.corpus, CORPUS_SEED);
  if (!existsSync(join(out, 'data', 'eval.jsonl'))) {
    await writeJsonl(join(out, 'data', 'stage0.jsonl'), corpus.stage0.map(toFileOffsets));
    await writeJsonl(join(out, 'data', 'stage1.jsonl'), corpus.stage1.map(toFileOffsets));
    await writeJsonl(join(out, 'data', 'stage1.public.jsonl'), corpus.stage1.map(toPublicFormat));
    await writeJsonl(join(out, 'data', 'eval.jsonl'), corpus.eval);
  }
  log(`corpus: ${corpus.stage0.length} stage-0 samples, ${corpus.stage1.length} stage-1 samples, ${corpus.eval.length} eval prompts`);

  const tokDir = join(out, 'tokenizer');
  let tok: Tokenizer;
  if (existsSync(join(tokDir, 'tokenizer.json'))) tok = orThrow(await loadTokenizer(tokDir), tokDir);
  else {
    const texts = [...corpus.stage0, ...corpus.stage1].map((s) => `${s.query}\n${s.response}`);
    tok = orThrow(trainBpe(texts, { vocabSize: preset.vocabSize }), 'tokenizer');
    orThrow(await saveTokenizer(tokDir, tok), tokDir);
  }
  const config: ModelConfig = { ...preset.model, vocab_size: vocabSize(tok) };
  const encode = (samples: Corpus['stage0']) => {
    const enc = encodeSamples(orThrow(sampleEncoder(tok), 'the tokenizer'), samples, { maxLength: preset.maxLength });
    if (enc.skipped.length) log(`${enc.skipped.length} samples skipped (first: ${enc.skipped[0].at}: ${enc.skipped[0].reason})`);
    return enc.samples;
  };
  const stage0 = encode(corpus.stage0), stage1 = encode(corpus.stage1);
  const meanLen = (xs: SampleSpans[]) => (xs.reduce((n, s) => n + s.ids.length, 0) / xs.length).toFixed(0);
  log(`tokenizer: ${vocabSize(tok)} tokens; mean length ${meanLen(stage0)} (stage 0), ${meanLen(stage1)} (stage 1) tokens`);

  const readRecords = (name: string): EvalRecord[] =>
    readFileSync(join(out, 'runs', name, 'eval.jsonl'), 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as EvalRecord);
  let prefills: Map<string, string> | undefined;
  const runStage = async (name: string, samples: SampleSpans[], start: SafekeyParams, arm: Arm, seed: number, s: { epochs: number; extraEpochs: number; batchSize: number; lr: number }): Promise<{ params: ModelParams; result: StageResult }> => {
    const dir = join(out, 'runs', name);
    if (existsSync(join(dir, 'result.json'))) {
      const ck = orThrow(await loadCheckpoint(join(dir, 'checkpoint')), dir);
      log(`${name}: done before, loaded`);
      // the summary is counted again from the run's records, so a resumed report always counts as this version does
      const stored = JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8')) as StageResult;
      return { params: ck.params, result: { ...stored, summary: summarize(readRecords(name)) } };
    }
    const curve: CurvePoint[] = [];
    const started = Date.now();
    const bar = progress(name, Math.ceil(samples.length / s.batchSize) * s.epochs);
    let tokens = 0, secs = 0;
    const done = await trainLoop(samples, {
      ...RECIPE, config, arm, epochs: s.epochs, extraEpochs: s.extraEpochs, batchSize: s.batchSize, peakLr: s.lr, seed,
    }, { params: start, opt: initAdamW(start), at: { step: 0, epoch: 0, position: 0 } }, {
      onUpdate: (m, p) => {
        curve.push(curvePoint(m)); tokens += m.tokens; secs += m.seconds;
        bar.update(p.done, { loss: m.total.toFixed(3), ...(m.qmm !== undefined ? { qmm: m.qmm.toFixed(3) } : {}), ...(m.dpsh !== undefined ? { dpsh: m.dpsh.toFixed(3) } : {}), 'tok/s': (tokens / secs).toFixed(0) });
      },
    });
    bar.stop();
    if (done.stopped) throw new Error(`${name}: ${describeStop(done.stopped, s.epochs)}`);
    const trainSeconds = (Date.now() - started) / 1000;
    orThrow(await saveCheckpoint(join(dir, 'checkpoint'), { config, params: done.params.model, head: done.params.head, tokenizer: tok }), dir);
    let evalBar: ReturnType<typeof progress> | undefined;
    const records = evaluate(done.params.model, config, tok, corpus.eval, { ...preset.eval, ...(prefills ? { prefills } : {}), onProgress: (d, t) => { (evalBar ??= progress(`${name} eval`, t)).update(d); } });
    evalBar?.stop();
    await writeJsonl(join(dir, 'eval.jsonl'), records);
    const result: StageResult = { summary: summarize(records), analysis: analyse(done.params.model, config, tok, corpus, preset.maxLength), curve, trainSeconds };
    await writeJson(join(dir, 'result.json'), result);
    log(`${name}: trained in ${trainSeconds.toFixed(0)} s; harmful (plain ${fmt(result.summary.harmfulness.plain.rate)}, held-out wrappers ${fmt(result.summary.harmfulness.heldOutFamilies.rate)}), over-refusal ${fmt(result.summary.overRefusal.rate)}, arithmetic ${fmt(result.summary.general.arithmetic?.rate ?? null)}, repeat ${fmt(result.summary.general.repeat?.rate ?? null)}, U faithful ${fmt(result.summary.uFaithful.all.rate)}`);
    return { params: done.params.model, result };
  };

  const [baseKey, baseHeadKey] = random.split(random.key(CORPUS_SEED), 2);
  const baseStart: SafekeyParams = { model: initParams(baseKey, config), head: initSafetyHead(baseHeadKey, dimsOf(config).d) };
  const names = ['base', ...preset.seeds.flatMap((seed) => preset.arms.map((arm) => `${arm}-s${seed}`))];
  const pending = new Set(names.filter((n) => !existsSync(join(out, 'runs', n, 'result.json'))));
  if (pending.size > 0) {
    const firstPrompts = corpus.eval.slice(0, preset.eval.batchSize).map((i) => hfEncode(tok, orThrow(promptText(tok, i.prompt), 'the chat template')).ids);
    const attacked = corpus.eval.filter((i) => i.kind === 'harmful' && i.family === 'plain').length;
    const est = await estimateTime(preset, config, baseStart, stage0, stage1, corpus.eval.length + (preset.eval.prefillTokens > 0 ? attacked : 0), firstPrompts, pending);
    const min = (x: number) => `${(x / 60).toFixed(1)} min`;
    log(`estimated time for the ${pending.size} stage(s) to run: about ${min(est.trainSeconds + est.evalSeconds)} (training ${min(est.trainSeconds)}, evaluation ${min(est.evalSeconds)}), from a few steps timed here`);
  }
  const base = await runStage('base', stage0, baseStart, 'sft', CORPUS_SEED, { ...preset.stage0, extraEpochs: 0 });
  // the prefilling attack forces each aligned model's answer to start as the base model's own compliant one
  prefills = new Map(readRecords('base').filter((r) => r.harmful === 1 && !r.prefilled).map((r) => [r.prompt, r.response]));
  const runs: RunResult[] = [];
  for (const seed of preset.seeds) for (const arm of preset.arms) {
    const start: SafekeyParams = { model: base.params, head: initSafetyHead(random.foldIn(random.key(seed), 7), dimsOf(config).d) };
    const r = await runStage(`${arm}-s${seed}`, stage1, start, arm, seed, preset.stage1);
    runs.push({ arm, seed, ...r.result });
  }

  const byArm = new Map<string, Map<number, EvalRecord[]>>();
  for (const r of runs) {
    if (!byArm.has(r.arm)) byArm.set(r.arm, new Map());
    byArm.get(r.arm)!.set(r.seed, readRecords(`${r.arm}-s${r.seed}`));
  }
  const comparisons = preset.arms.filter((a) => a !== 'sft').flatMap((a) => compareArms(byArm, 'sft', a));
  const results: ExperimentResults = {
    name: preset.name, preset: preset.name, commands: o.commands, seconds: (Date.now() - t0) / 1000,
    settings: { preset, config, tokenizer: vocabSize(tok), backend: chosen.description, stage0Samples: stage0.length, stage1Samples: stage1.length, evalPrompts: corpus.eval.length },
    base: base.result, runs, comparisons, notes: [],
  };
  await writeReport(out, results);
  log(`report: ${join(out, 'report.md')}`);
  return results;
}

const fmt = (v: number | null) => (v === null ? 'n/a' : `${(100 * v).toFixed(0)}%`);
