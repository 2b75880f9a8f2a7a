// The dependency rules of .dependency-cruiser.cjs (run in CI as `npm run deps`): the repository passes them, and
// a tree that breaks each one is refused with the rule's name.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const depcruise = join(root, 'node_modules', '.bin', 'depcruise');
const cruise = (cwd: string, ...dirs: string[]) =>
  spawnSync(depcruise, [...dirs, '--config', '.dependency-cruiser.cjs', '--output-type', 'err'], { cwd, encoding: 'utf8' });

test('the repository keeps its dependency rules', () => {
  const r = cruise(root, 'packages', 'bench', 'test', 'examples', 'scripts');
  assert.equal(r.status, 0, r.stdout + r.stderr);
});

test('a forbidden import, a cycle, another package\'s test file and a path outside the repository are each caught', () => {
  const dir = mkdtempSync(join(tmpdir(), 'deps-'));
  try {
    cpSync(join(root, '.dependency-cruiser.cjs'), join(dir, '.dependency-cruiser.cjs'));
    const files: Record<string, string> = {
      'packages/core/src/index.ts': "import { method } from '../../safekey/src/index.js';\nexport const core = method;\n",
      'packages/safekey/src/index.ts': "export const method = 1;\n",
      'packages/cpu/src/a.ts': "import { b } from './b.js';\nexport const a = () => b;\n",
      'packages/cpu/src/b.ts': "import { a } from './a.js';\nexport const b = () => a;\n",
      'packages/cpu/test/helpers.ts': 'export const help = 1;\n',
      'packages/gpujs/test/x.test.ts': "import { help } from '../../cpu/test/helpers.js';\nexport const x = help;\n",
      'outside/lib.ts': 'export const far = 1;\n',
      'repo/packages/hf/src/index.ts': "import { far } from '../../../../outside/lib.js';\nexport const hf = far;\n",
    };
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(join(dir, dirname(path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    const r = cruise(dir, 'packages');
    assert.notEqual(r.status, 0);
    const out = r.stdout + r.stderr;
    for (const rule of ['package-core', 'no-circular', 'no-other-package-tests']) assert.match(out, new RegExp(`error ${rule}:`), out);
    cpSync(join(root, '.dependency-cruiser.cjs'), join(dir, 'repo', '.dependency-cruiser.cjs'));
    const outside = cruise(join(dir, 'repo'), 'packages');
    assert.notEqual(outside.status, 0);
    assert.match(outside.stdout + outside.stderr, /error nothing-outside-the-repository:/, outside.stdout + outside.stderr);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});
