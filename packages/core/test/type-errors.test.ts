// The type tests (shapes.typecheck.ts) fail for the reasons they state. `npm run typecheck` proves that each line
// under a `@ts-expect-error` has some error (an unused directive is itself one); this compiles a copy with every
// directive removed, once, and checks that each such line's error contains the text after its `=>`, e.g.
// `ShapeMismatch<"sum", [2, 3], 2>`, so that no case passes for an unrelated reason (a typo, a missing import).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const core = join(here, '..');
const source = readFileSync(join(here, 'shapes.typecheck.ts'), 'utf8').split('\n');

interface Case { readonly line: number; readonly expect: string; readonly text: string }
const DIRECTIVE = /^\s*\/\/ @ts-expect-error(.*)$/;

/** The lines under each directive (1-based, as tsc reports them) and the text their error must contain. */
function cases(): Case[] {
  const out: Case[] = [];
  source.forEach((l, i) => {
    const m = DIRECTIVE.exec(l);
    if (!m) return;
    const expect = m[1].split('=>')[1]?.trim();
    assert.ok(expect, `shapes.typecheck.ts:${i + 1}: a @ts-expect-error needs '=> text of the expected error'`);
    out.push({ line: i + 2, expect, text: source[i + 1].trim() });
  });
  return out;
}

test('each @ts-expect-error line of the type tests fails to compile, for its stated reason', () => {
  const expected = cases();
  assert.ok(expected.length >= 50, `found ${expected.length} cases`);
  // a scratch directory inside the package, so that imports resolve as in the real file; removed afterwards
  const dir = join(core, '.type-errors-scratch');
  mkdirSync(dir, { recursive: true });
  try {
    writeFileSync(join(dir, 'stripped.ts'), source.map((l) => (DIRECTIVE.test(l) ? '// (directive removed)' : l)).join('\n'));
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
      extends: '../../../tsconfig.base.json',
      compilerOptions: {
        noEmit: true, composite: false, declaration: false, declarationMap: false, rootDir: '../../..',
        typeRoots: ['../../../node_modules/@types'], paths: { '@safekey-ts/core': ['../src/index.ts'] },
      },
      files: ['stripped.ts'],
    }));
    const tsc = join(dirname(createRequire(import.meta.url).resolve('typescript/package.json')), 'bin', 'tsc');
    const r = spawnSync(process.execPath, [tsc, '-p', join(dir, 'tsconfig.json'), '--pretty', 'false'], { encoding: 'utf8' });
    const output = r.stdout + r.stderr;
    // diagnostics: `path(line,col): error TSnnnn: message`, elaborations indented below
    const byLine = new Map<number, string>();
    let current = -1;
    for (const l of output.split('\n')) {
      const m = /stripped\.ts\((\d+),\d+\): error/.exec(l);
      if (m) { current = Number(m[1]); byLine.set(current, `${byLine.get(current) ?? ''}${l}\n`); }
      else if (/^\s/.test(l) && current > 0) byLine.set(current, `${byLine.get(current)}${l}\n`);
      else current = -1;
    }
    const unexpected = [...byLine.keys()].filter((n) => !expected.some((c) => c.line === n));
    assert.deepEqual(unexpected, [], `errors on lines without a directive:\n${unexpected.map((n) => byLine.get(n)).join('')}`);
    for (const c of expected) {
      const got = byLine.get(c.line);
      assert.ok(got !== undefined, `line ${c.line} (${c.text}) compiles without its @ts-expect-error`);
      assert.ok(got.includes(c.expect), `line ${c.line} (${c.text}) fails, but not with '${c.expect}':\n${got}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
