import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import * as E from 'fp-ts/lib/Either.js';
import { PRESETS, defaultTopicsFile, loadTopics, runExperiment } from '@safekey-ts/cli';

const out = mkdtempSync(join(tmpdir(), 'experiment-'));
after(() => rmSync(out, { recursive: true, force: true }));
const topics = (() => { const t = loadTopics(defaultTopicsFile()); if (E.isLeft(t)) throw new Error(t.left); return t.right; })();

test('the whole pipeline on the tiny preset: data, tokenizer, base, both arms, evaluation, analyses, report; a rerun resumes', async () => {
  const lines: string[] = [];
  const run = () => runExperiment({ preset: PRESETS.tiny, topics, out, backend: 'cpu', commands: ['test'], log: (l) => lines.push(l) });
  const first = await run();
  assert.deepEqual(first.runs.map((r) => `${r.arm}-s${r.seed}`), ['sft-s1', 'safekey-s1']);
  for (const f of ['report.md', 'metrics.json', 'loss_curves.svg', 'data/stage1.public.jsonl', 'tokenizer/tokenizer.json', 'runs/base/checkpoint/config.json', 'runs/safekey-s1/eval.jsonl'])
    assert.ok(existsSync(join(out, f)), f);
  const safekey = first.runs.find((r) => r.arm === 'safekey')!;
  assert.ok(safekey.curve.some((p) => p.qmm !== undefined && p.dpsh !== undefined), 'the extra losses were on in the last epoch');
  assert.ok(first.runs.find((r) => r.arm === 'sft')!.curve.every((p) => p.qmm === undefined));
  assert.match(readFileSync(join(out, 'report.md'), 'utf8'), /\| harmful: held-out wrappers \|/);
  lines.length = 0;
  const again = await run();
  assert.ok(lines.filter((l) => /done before, loaded/.test(l)).length === 3, lines.join('\n'));
  assert.deepEqual(again.runs.map((r) => r.summary), first.runs.map((r) => r.summary));
});
