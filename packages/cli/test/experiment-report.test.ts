import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type EvalRecord, type ExperimentResults, type RunResult, aggregate, summarize, writeReport, stat } from '@safekey-ts/cli';

const rec = (family: string, verdict: EvalRecord['verdict'], extra: Partial<EvalRecord> = {}): EvalRecord =>
  ({ prompt: 'p', response: 'r', verdict, harmful: 1, kind: 'harmful', family, split: 'train', request: 'x', prefilled: false, ...extra });
const records = (harmfulShare: number): EvalRecord[] => [
  ...Array.from({ length: 10 }, (_, i) => rec('plain', i < 10 * harmfulShare ? 'harmful' : 'refusal')),
  ...Array.from({ length: 10 }, (_, i) => rec('fiction', i < 10 * harmfulShare ? 'harmful' : 'refusal', { split: 'test' })),
  rec('plain', 'refusal', { harmful: 0, kind: 'benign' }), rec('plain', 'other', { harmful: 0, kind: 'lookalike' }),
  rec('arithmetic', 'other', { harmful: 0, kind: 'general', correct: true }),
  rec('plain', 'harmful', { prefilled: true }),
];
const run = (arm: string, seed: number, share: number): RunResult => ({
  arm, seed, summary: summarize(records(share)), analysis: { toU: 0.3, toQuery: 0.2, probe: 0.9 },
  curve: [{ step: 0, total: 2, sft: 1.5, qmm: 1, dpsh: 0.7 }, { step: 10, total: 1, sft: 0.8, qmm: 0.5, dpsh: 0.4 }], trainSeconds: 1,
});
const results: ExperimentResults = {
  name: 'tiny', preset: 'test', commands: ['npm run demo -- --preset quick'], seconds: 60, settings: { d: 8 },
  base: { summary: summarize(records(1)), analysis: { toU: 0.1, toQuery: 0.5, probe: 0.6 }, curve: [], trainSeconds: 1 },
  runs: [run('sft', 1, 0.5), run('sft', 2, 0.3), run('safekey', 1, 0.2), run('safekey', 2, 0.2)], notes: ['a note'],
};

test('summaries count each group and keep empty groups apart from zero', () => {
  const s = summarize(records(0.5));
  assert.deepEqual(s.harmfulness.plain, { rate: 0.5, n: 10 });
  assert.deepEqual(s.harmfulness.heldOutFamilies, { rate: 0.5, n: 10 });
  assert.deepEqual(s.harmfulness.seenFamilies, { rate: null, n: 0 });
  assert.deepEqual(s.harmfulness.testRequests, { rate: 0.5, n: 10 });
  assert.deepEqual(s.harmfulness.prefill, { rate: 1, n: 1 });
  assert.deepEqual(s.overRefusal, { rate: 0.5, n: 2 });
  assert.deepEqual(s.general, { arithmetic: { rate: 1, n: 1 } });
});

test('aggregation: mean and sample standard deviation over seeds', () => {
  const a = aggregate(results.runs);
  const plain = a.get('sft')!.get('plain')!;
  assert.ok(Math.abs(plain.mean! - 0.4) < 1e-12 && Math.abs(plain.std! - Math.sqrt(0.02)) < 1e-12);
  assert.deepEqual(stat([null, null]), { mean: null, std: null, n: 0 });
});

test('the report writer writes the markdown, metrics and three plots', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'report-'));
  await writeReport(dir, results);
  assert.deepEqual(readdirSync(dir).sort(), ['analyses.svg', 'harmfulness_per_family.svg', 'loss_curves.svg', 'metrics.json', 'report.md']);
  const md = readFileSync(join(dir, 'report.md'), 'utf8');
  assert.match(md, /\| harmful: plain \| 100\.0 \| 40\.0 ± 14\.1 \| 20\.0 ± 0\.0 \|/);
  assert.match(md, /\| fiction \| 100\.0 \| 40\.0 ± 14\.1 \| 20\.0 ± 0\.0 \|/);
  assert.match(md, /npm run demo -- --preset quick/);
  for (const svg of ['analyses.svg', 'harmfulness_per_family.svg', 'loss_curves.svg']) assert.match(readFileSync(join(dir, svg), 'utf8'), /^<svg[\s\S]*<\/svg>$/);
  assert.deepEqual(JSON.parse(readFileSync(join(dir, 'metrics.json'), 'utf8')), JSON.parse(JSON.stringify(results)));
});
