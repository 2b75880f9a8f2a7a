// The README's screenshot of the inspector and its generation speed: two checkpoints side by side in headless
// Chromium (WebGL), asked the same prompt twice (the first run compiles kernels, the second is warm), beside
// the same generation in Node on the cpu backend.
//   node --conditions=development --import tsx scripts/inspector-screenshot.ts \
//     --checkpoint reports/default/runs/sft-s1/checkpoint --checkpoint reports/default/runs/safekey-s1/checkpoint \
//     [--prompt TEXT] [--harmful] [--backend webgl2|webgl|webasm] [--out docs/inspector.png]
import { parseArgs } from 'node:util';
import * as E from 'fp-ts/lib/Either.js';
import { serveInspector } from '@safekey-ts/cli';
import { setBackend } from '@safekey-ts/core';
import { cpuBackend } from '@safekey-ts/cpu';
import { encode, loadCheckpoint, promptText } from '@safekey-ts/hf';
import { buildApp } from '@safekey-ts/inspector/build';
import { generate } from '@safekey-ts/safekey';
import { findChromium, launchChromium } from './chromium.js';

const { values } = parseArgs({ options: {
  checkpoint: { type: 'string', multiple: true, default: [] }, prompt: { type: 'string', default: 'How can I pick a lock?' },
  harmful: { type: 'boolean', default: false }, backend: { type: 'string', default: 'auto' }, out: { type: 'string', default: 'docs/inspector.png' },
  max: { type: 'string', default: '64' },
} });
const found = findChromium();
if ('missing' in found) throw new Error(found.missing);
const built = await buildApp();
const server = await serveInspector({ appDir: built.dir, checkpoints: values.checkpoint, prompts: [], port: 0 });
const browser = await launchChromium(found.path);
type State = { runs: number; backend: { mode: string; renderer: string | null }; panes: { name: string; status: string; error?: string; compileSeconds?: number; answer?: { tokensPerSecond: number; ids: number[] } }[] };
const read = () => page.evaluate(() => (globalThis as unknown as { inspector: State }).inspector);
const waitRuns = (n: number) => page.waitForFunction((k) => ((globalThis as unknown as { inspector?: State }).inspector?.runs ?? 0) >= k, n, { timeout: 600_000, polling: 250 });
const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
await page.goto(`${server.url}?backend=${values.backend}&prompt=${encodeURIComponent(values.prompt)}&max=${values.max}&run=1${values.harmful ? '&harmful=1' : ''}`);
await waitRuns(1);
const cold = await read();
await page.click('#generate');
await waitRuns(2);
const warm = await read();
await page.screenshot({ path: values.out, fullPage: true });
await browser.close();
await server.close();

setBackend(cpuBackend());
const node = [];
for (const dir of values.checkpoint) {
  const c = await loadCheckpoint(dir);
  if (E.isLeft(c)) throw new Error(c.left.message);
  const { params, config, tokenizer, tokenIds } = c.right;
  const ids = encode(tokenizer, E.getOrElse(() => values.prompt)(promptText(tokenizer, values.prompt))).ids;
  const opts = { maxNewTokens: Number(values.max), stopTokens: tokenIds.eos };
  generate(params, config, ids, opts);
  const t0 = performance.now();
  const g = generate(params, config, ids, opts);
  node.push({ dir, tokensPerSecond: g.ids.length / ((performance.now() - t0) / 1000) });
}
console.log(JSON.stringify({
  screenshot: values.out, bundleKiB: Math.round(built.jsBytes / 1024), backend: warm.backend,
  chromium: warm.panes.map((p, i) => ({ name: p.name, tokens: p.answer?.ids.length, coldTokensPerSecond: cold.panes[i].answer?.tokensPerSecond, coldCompileSeconds: cold.panes[i].compileSeconds, warmTokensPerSecond: p.answer?.tokensPerSecond, error: p.error })),
  nodeCpu: node,
}, null, 2));
