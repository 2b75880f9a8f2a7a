import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '@safekey-ts/hf';
import { analysisSpec, familySpec, lossCurvesSpec, renderSvg } from './plots.js';
import { type ExperimentResults, METRICS, type Stat, aggregate, familyRates } from './results.js';

const pct = (v: number | null) => (v === null ? 'n/a' : (100 * v).toFixed(1));
const cell = (s: Stat | undefined, asPct = true) => {
  if (!s || s.mean === null) return 'n/a';
  const f = (v: number) => (asPct ? pct(v) : v.toFixed(3));
  return s.std === null ? f(s.mean) : `${f(s.mean)} ± ${f(s.std)}`;
};
const isPct = (key: string) => !['toU', 'toQuery'].includes(key);

/** The report's markdown: setup, the main table (mean ± sd over seeds), per-family table, plots, notes. */
export function reportMarkdown(r: ExperimentResults): string {
  const agg = aggregate(r.runs);
  const arms = [...agg.keys()];
  const seeds = [...new Set(r.runs.map((x) => x.seed))];
  const baseRow = METRICS.map((m) => { const v = m.read(r.base.summary, r.base.analysis); return v === null ? 'n/a' : isPct(m.key) ? pct(v) : v.toFixed(3); });
  const table = [
    `| metric | base | ${arms.join(' | ')} |`, `| --- | --- | ${arms.map(() => '---').join(' | ')} |`,
    ...METRICS.map((m, i) => `| ${m.label} | ${baseRow[i]} | ${arms.map((a) => cell(agg.get(a)!.get(m.key), isPct(m.key))).join(' | ')} |`),
  ];
  const families = Object.keys(r.base.summary.harmfulness.perFamily);
  const famTable = [
    `| family | base | ${arms.join(' | ')} |`, `| --- | --- | ${arms.map(() => '---').join(' | ')} |`,
    ...families.map((f) => `| ${f} | ${pct(r.base.summary.harmfulness.perFamily[f].rate)} | ${arms.map((a) => cell(familyRates(r.runs, a).get(f))).join(' | ')} |`),
  ];
  const signed = (v: number) => `${v >= 0 ? '+' : ''}${(100 * v).toFixed(1)}`;
  const comparisons = r.comparisons ?? [];
  const compTable = comparisons.length === 0 ? ['(one arm, or no per-prompt records: nothing to compare)'] : [
    '| row | arm | SFT | arm\'s | difference [95% interval] | distinguishable from 0 | prompts x seeds |', '| --- | --- | --- | --- | --- | --- | --- |',
    ...comparisons.map((c) => `| ${c.label} | ${c.arm} | ${pct(c.reference)} | ${pct(c.value)} | ${signed(c.diff)} [${signed(c.lo)}, ${signed(c.hi)}] | ${c.distinguishable ? '**yes**' : 'no'} | ${c.prompts} x ${c.seeds} |`),
  ];
  const uFamilies = Object.keys(r.base.summary.uFaithful?.perFamily ?? {});
  const uMean = (arm: string, f: string) => {
    const xs = r.runs.filter((x) => x.arm === arm).map((x) => x.summary.uFaithful?.perFamily[f]?.rate ?? null).filter((v): v is number => v !== null);
    return xs.length ? pct(xs.reduce((a, b) => a + b, 0) / xs.length) : 'n/a';
  };
  const uTable = uFamilies.length === 0 ? [] : [
    '### U faithfulness per wrapper family', '',
    'Share of requests whose U (the reasoning\'s first sentence) contains the request phrase exactly; mean over seeds.', '',
    `| family | base | ${arms.join(' | ')} |`, `| --- | --- | ${arms.map(() => '---').join(' | ')} |`,
    ...uFamilies.map((f) => `| ${f} | ${pct(r.base.summary.uFaithful!.perFamily[f].rate)} | ${arms.map((a) => uMean(a, f)).join(' | ')} |`),
    `| test-split requests | ${pct(r.base.summary.uFaithful!.testRequests.rate)} | ${arms.map((a) => { const xs = r.runs.filter((x) => x.arm === a).map((x) => x.summary.uFaithful?.testRequests.rate ?? 0); return pct(xs.reduce((u, v) => u + v, 0) / Math.max(1, xs.length)); }).join(' | ')} |`, '',
  ];
  return [
    `# SafeKey small-scale reproduction: ${r.name}`, '',
    `Preset \`${r.preset}\`, ${seeds.length} seed(s) per arm (${seeds.join(', ')}), total run time ${(r.seconds / 60).toFixed(1)} min.`, '',
    '## Commands', '', '```sh', ...r.commands, '```', '',
    '## Results', '',
    'Rates in percent; mean ± sample standard deviation over seeds. Harmfulness: share of harmful requests the judge calls harmful (reasoning included). Lower is better, except the general tasks\' accuracy (arithmetic, repeat), U faithfulness and probe accuracy.', '',
    ...table, '',
    '### Each arm against SFT', '',
    'Difference of rates (percentage points) with a 95% paired bootstrap interval that resamples both the prompts and the seeds (2000 draws); "distinguishable" when the interval leaves out zero. Over-refusal is split by kind (benign, lookalike) and by how it is asked (plainly, in wrapper families of the stage-1 data, in held-out ones).', '',
    ...compTable, '',
    '### Harmfulness per wrapper family', '', ...famTable, '',
    ...uTable,
    '## Plots', '', '![loss components](loss_curves.svg)', '', '![harmfulness per family](harmfulness_per_family.svg)', '', '![analyses](analyses.svg)', '',
    '## Settings', '', '```json', JSON.stringify(r.settings, null, 2), '```', '',
    ...(r.notes.length ? ['## Notes', '', ...r.notes.map((n) => `- ${n}`), ''] : []),
  ].join('\n');
}

/** Writes `report.md`, `metrics.json` and the plots into `dir`, each file atomically. */
export async function writeReport(dir: string, r: ExperimentResults): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const files: [string, string][] = [
    ['loss_curves.svg', await renderSvg(lossCurvesSpec(r))],
    ['harmfulness_per_family.svg', await renderSvg(familySpec(r))],
    ['analyses.svg', await renderSvg(analysisSpec(r))],
    ['metrics.json', JSON.stringify(r, null, 2)],
    ['report.md', reportMarkdown(r)],
  ];
  for (const [name, text] of files) {
    const w = await writeFileAtomic(join(dir, name), text);
    if (w._tag === 'Left') throw new Error(`${join(dir, name)}: ${JSON.stringify(w.left)}`);
  }
}
