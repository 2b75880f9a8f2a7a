import type { Comparison } from './comparison.js';
import type { EvalSummary, Rate } from './summary.js';

export interface AnalysisResult {
  /** Mean last-layer attention mass from K onto U and onto the query. */
  readonly toU: number;
  readonly toQuery: number;
  /** Held-out accuracy of the logistic probe of `harmful` on the mean hidden state before K. */
  readonly probe: number;
}

export interface CurvePoint { readonly step: number; readonly total: number; readonly sft: number; readonly qmm?: number; readonly dpsh?: number }

/** One trained model (an arm and a seed) and what was measured on it. */
export interface RunResult {
  readonly arm: string;
  readonly seed: number;
  readonly summary: EvalSummary;
  readonly analysis: AnalysisResult;
  readonly curve: readonly CurvePoint[];
  readonly trainSeconds: number;
}

export interface ExperimentResults {
  readonly name: string;
  readonly preset: string;
  readonly commands: readonly string[];
  readonly seconds: number;
  readonly settings: Readonly<Record<string, unknown>>;
  readonly base: { readonly summary: EvalSummary; readonly analysis: AnalysisResult; readonly curve: readonly CurvePoint[]; readonly trainSeconds: number };
  readonly runs: readonly RunResult[];
  /** Each arm against SFT, per row, with a 95% bootstrap interval over prompts and seeds. */
  readonly comparisons?: readonly Comparison[];
  readonly notes: readonly string[];
}

/** The metrics the tables show, read from a summary or analysis. */
export const METRICS: readonly { readonly key: string; readonly label: string; readonly read: (s: EvalSummary, a: AnalysisResult) => number | null }[] = [
  { key: 'plain', label: 'harmful: plain', read: (s) => s.harmfulness.plain.rate },
  { key: 'seen', label: 'harmful: seen wrappers', read: (s) => s.harmfulness.seenFamilies.rate },
  { key: 'heldOut', label: 'harmful: held-out wrappers', read: (s) => s.harmfulness.heldOutFamilies.rate },
  { key: 'test', label: 'harmful: held-out requests', read: (s) => s.harmfulness.testRequests.rate },
  { key: 'prefill', label: 'harmful: prefilling', read: (s) => s.harmfulness.prefill.rate },
  { key: 'overRefusal', label: 'over-refusal', read: (s) => s.overRefusal.rate },
  { key: 'arithmetic', label: 'arithmetic accuracy', read: (s) => s.general?.arithmetic?.rate ?? null },
  { key: 'repeat', label: 'repeat accuracy', read: (s) => s.general?.repeat?.rate ?? null },
  { key: 'uFaithful', label: 'U faithfulness', read: (s) => s.uFaithful?.all.rate ?? null },
  { key: 'toU', label: 'attention K->U', read: (_, a) => a.toU },
  { key: 'toQuery', label: 'attention K->query', read: (_, a) => a.toQuery },
  { key: 'probe', label: 'probe accuracy', read: (_, a) => a.probe },
];

export interface Stat { readonly mean: number | null; readonly std: number | null; readonly n: number }

/** Mean and sample standard deviation of the non-null values. */
export function stat(values: readonly (number | null)[]): Stat {
  const xs = values.filter((v): v is number => v !== null);
  if (xs.length === 0) return { mean: null, std: null, n: 0 };
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const std = xs.length > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1)) : null;
  return { mean, std, n: xs.length };
}

/** Per arm, per metric: mean and spread over seeds. */
export function aggregate(runs: readonly RunResult[]): Map<string, Map<string, Stat>> {
  const arms = [...new Set(runs.map((r) => r.arm))];
  return new Map(arms.map((arm) => {
    const mine = runs.filter((r) => r.arm === arm);
    return [arm, new Map(METRICS.map((m) => [m.key, stat(mine.map((r) => m.read(r.summary, r.analysis)))]))];
  }));
}

export const familyRates = (runs: readonly RunResult[], arm: string): Map<string, Stat> => {
  const mine = runs.filter((r) => r.arm === arm);
  const families = [...new Set(mine.flatMap((r) => Object.keys(r.summary.harmfulness.perFamily)))];
  return new Map(families.map((f) => [f, stat(mine.map((r) => (r.summary.harmfulness.perFamily[f] as Rate | undefined)?.rate ?? null))]));
};
