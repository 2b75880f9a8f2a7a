// Runs every *.test.ts under packages/*/test and test/ with node's test runner (Node 20 has no test globs).
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const roots = ['packages', 'test', 'examples'];
const found = [];
const walk = (dir) => {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (name.endsWith('.test.ts')) found.push(p);
  }
};
for (const r of roots) { try { walk(r); } catch { /* root absent */ } }
const filter = process.argv.slice(2);
const files = filter.length ? found.filter((f) => filter.some((x) => f.includes(x))) : found;
if (files.length === 0) { console.error('no test files matched'); process.exit(1); }
const args = ['--conditions=development', '--expose-gc', '--import', 'tsx', '--test', '--test-reporter=spec', ...files.sort()];
// The gpu.js backend's headless-GL tests need an X display: without one, run everything under a virtual one
// (`xvfb-run -a`) when Xvfb is installed. Without Xvfb those tests skip and say why.
const hasXvfb = !process.env.DISPLAY && spawnSync('sh', ['-c', 'command -v xvfb-run'], { stdio: 'ignore' }).status === 0;
const r = hasXvfb
  ? spawnSync('xvfb-run', ['-a', '-s', '-screen 0 1024x768x24', process.execPath, ...args], { stdio: 'inherit' })
  : spawnSync(process.execPath, args, { stdio: 'inherit' });
process.exit(r.status ?? 1);
