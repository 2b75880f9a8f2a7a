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
  return [
    `# SafeKey small-scale reproduction: ${r.name}`, '',
    `Preset \`${r.preset}\`, ${seeds.length} seed(s) per arm (${seeds.join(', ')}), total run time ${(r.seconds / 60).toFixed(1)} min.`, '',
    '## Commands', '', '```sh', ...r.commands, '```', '',
    '## Results', '',
    'Rates in percent; mean ± sample standard deviation over seeds. Harmfulness: share of harmful requests the judge calls harmful (reasoning included). Lower is better, except arithmetic accuracy and probe accuracy.', '',
    ...table, '',
    '### Harmfulness per wrapper family', '', ...famTable, '',
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
