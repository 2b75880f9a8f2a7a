import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const run = (file: string) => spawnSync(process.execPath, ['--conditions=development', '--import', 'tsx', fileURLToPath(new URL(file, import.meta.url))], { encoding: 'utf8' });

test('the README DSL tour runs', () => {
  const r = run('./dsl-tour.ts');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /\[ 4, 3 \]/);
});

test('the demo trains the MLP to high accuracy', () => {
  const r = run('./demo.ts');
  assert.equal(r.status, 0, r.stderr);
  const acc = [...r.stdout.matchAll(/accuracy ([\d.]+)/g)].map((m) => Number(m[1]));
  assert.ok(acc.length > 2 && acc.at(-1)! > 0.95, r.stdout);
});
