export interface CosineSchedule {
  /** The learning rate at the end of warm-up. */
  readonly peakLr: number;
  readonly warmupSteps: number;
  /** Updates in the whole run; the cosine reaches its floor here and stays there. */
  readonly totalSteps: number;
  /** The floor as a fraction of `peakLr` (default 0), as Hugging Face's `min_lr_rate`. */
  readonly minLrRatio?: number;
}

/**
 * The learning rate for update number `step` (0-based: the first update is step 0), as Hugging Face's
 * `get_cosine_schedule_with_warmup` (`get_cosine_with_min_lr_schedule_with_warmup` with a floor):
 * linear warm-up `peak * step / warmupSteps` (so step 0 has lr 0 when there is a warm-up), then
 * `peak * (min + (1 - min) * 0.5 * (1 + cos(pi * progress)))` with
 * `progress = (step - warmupSteps) / (totalSteps - warmupSteps)`. Unlike Hugging Face, progress is capped
 * at 1: past `totalSteps` the rate stays at the floor instead of rising again.
 */
export function cosineLr(s: CosineSchedule, step: number): number {
  const { peakLr, warmupSteps, totalSteps, minLrRatio = 0 } = s;
  if (step < warmupSteps) return (peakLr * step) / Math.max(1, warmupSteps);
  const progress = Math.min(1, (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps));
  const cosine = 0.5 * (1 + Math.cos(Math.PI * progress));
  return peakLr * (minLrRatio + (1 - minLrRatio) * cosine);
}

/** Why a schedule is unusable, or null: non-negative integers with `warmupSteps <= totalSteps`, a finite peak, a floor in [0, 1]. */
export function checkCosineSchedule(s: CosineSchedule): string | null {
  if (!(Number.isFinite(s.peakLr) && s.peakLr >= 0)) return `peakLr must be a finite number >= 0, got ${s.peakLr}`;
  if (!(Number.isInteger(s.warmupSteps) && s.warmupSteps >= 0)) return `warmupSteps must be an integer >= 0, got ${s.warmupSteps}`;
  if (!(Number.isInteger(s.totalSteps) && s.totalSteps >= s.warmupSteps)) return `totalSteps must be an integer >= warmupSteps (${s.warmupSteps}), got ${s.totalSteps}`;
  const min = s.minLrRatio ?? 0;
  if (!(min >= 0 && min <= 1)) return `minLrRatio must be in [0, 1], got ${min}`;
  return null;
}
