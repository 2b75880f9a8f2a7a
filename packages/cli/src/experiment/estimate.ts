// A time estimate before training starts, from this machine's speed: a few training steps and one batch of
// generation are timed, then scaled to the stages still to run.
import { tidy } from '@safekey-ts/core';
import { type Arm, type ModelConfig, type SafekeyParams, type SampleSpans, RECIPE, generateBatch, initAdamW, trainLoop } from '@safekey-ts/safekey';
import type { Preset } from './presets.js';

export interface Estimate { readonly trainSeconds: number; readonly evalSeconds: number }

const tokensOf = (xs: readonly SampleSpans[]) => xs.reduce((n, s) => n + s.ids.length, 0);
/** QMM and DPSH add a second forward and backward pass in their epochs. */
const armCost = (arm: Arm, s: Preset['stage1']) => (arm === 'sft' ? s.epochs : s.epochs + s.extraEpochs);

/**
 * Seconds for the stages not done yet (`pending`: 'base' and `${arm}-s${seed}` names), from timing `probeSteps`
 * training steps on stage-0 samples and one evaluation batch.
 */
export async function estimateTime(preset: Preset, config: ModelConfig, start: SafekeyParams, stage0: readonly SampleSpans[], stage1: readonly SampleSpans[],
  evalJobs: number, promptIds: readonly (readonly number[])[], pending: ReadonlySet<string>, probeSteps = 3): Promise<Estimate> {
  const batch = preset.stage0.batchSize;
  const probe = stage0.slice(0, batch * probeSteps);
  const steps = (samples: readonly SampleSpans[]) =>
    trainLoop(samples, { ...RECIPE, config, arm: 'sft', epochs: 1, extraEpochs: 0, batchSize: batch, peakLr: 0, seed: 0 }, { params: start, opt: initAdamW(start), at: { step: 0, epoch: 0, position: 0 } });
  await steps(stage0.slice(0, batch)); // the first step of a process pays for allocations and caches: not timed
  const t0 = performance.now();
  await steps(probe);
  const perToken = (performance.now() - t0) / 1000 / Math.max(1, tokensOf(probe));
  const generate = () => tidy(() => generateBatch(start.model, config, promptIds.slice(0, preset.eval.batchSize), { maxNewTokens: preset.eval.maxNewTokens }));
  generate();
  const t1 = performance.now();
  generate();
  const perBatch = (performance.now() - t1) / 1000;
  const evalPerRun = Math.ceil(evalJobs / preset.eval.batchSize) * perBatch;
  let trainSeconds = 0, evalSeconds = 0;
  if (pending.has('base')) { trainSeconds += tokensOf(stage0) * preset.stage0.epochs * perToken; evalSeconds += evalPerRun; }
  for (const seed of preset.seeds) for (const arm of preset.arms) if (pending.has(`${arm}-s${seed}`)) {
    trainSeconds += tokensOf(stage1) * armCost(arm, preset.stage1) * perToken;
    evalSeconds += evalPerRun;
  }
  return { trainSeconds, evalSeconds };
}
