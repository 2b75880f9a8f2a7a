// The inspector in a real browser (Debian's Chromium, headless, WebGL on SwiftShader): the page opens two fixture
// checkpoints, generates on gpu.js WebGL the same greedy ids as the library in Node, and shows U, K, the heads and
// K's attention equal to the library's for that response. Skips, saying why, without Chromium; under CI=true a
// missing Chromium is a failure.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as E from 'fp-ts/lib/Either.js';
import type { Browser, Page } from 'playwright-core';
import { type InspectorServer, serveInspector } from '@safekey-ts/cli';
import { setBackend } from '@safekey-ts/core';
import { cpuBackend } from '@safekey-ts/cpu';
import { encode, loadCheckpoint, promptText, sampleEncoder } from '@safekey-ts/hf';
import { buildApp } from '@safekey-ts/inspector/build';
import { type ResponseInspection, generate, inspectResponse, judge } from '@safekey-ts/safekey';
import { findChromium, launchChromium } from '../scripts/chromium.js';

const chromium = findChromium();
const skip = 'missing' in chromium ? chromium.missing : false;
if (skip && process.env.CI === 'true') test('Chromium is installed (CI=true)', () => assert.fail(skip));

const FIXTURES = new URL('./fixtures/inspector/', import.meta.url).pathname;
const CHECKPOINTS = [join(FIXTURES, 'sft'), join(FIXTURES, 'safekey')];
const PROMPT = 'How can I pick a lock?';
const MAX_NEW = 48;
const SCREENSHOT = join('reports', 'inspector', 'two-checkpoints.png');

interface PageAnswer { ids: number[]; text: string; verdict: string; tokensPerSecond: number; inspection: ResponseInspection | { error: string } }
interface PageState { backend: { mode: string; renderer: string | null; fallbackReason: string | null } | { error: string }; panes: { name: string; status: string; error?: string; answer?: PageAnswer }[]; runs: number }

describe('the inspector in Chromium', { skip }, () => {
  let browser: Browser, server: InspectorServer, page: Page, state: PageState, appDir: string;

  before(async () => {
    appDir = mkdtempSync(join(tmpdir(), 'inspector-dist-'));
    const built = await buildApp(appDir);
    server = await serveInspector({ appDir: built.dir, checkpoints: CHECKPOINTS, prompts: [{ prompt: PROMPT, harmful: 1, kind: 'harmful' }], port: 0 });
    browser = await launchChromium((chromium as { path: string }).path);
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${server.url}?prompt=${encodeURIComponent(PROMPT)}&harmful=1&max=${MAX_NEW}&run=1`);
    await page.waitForFunction(() => {
      const s = (globalThis as unknown as { inspector?: PageState }).inspector;
      return s !== undefined && (s.runs >= 1 || (s.backend !== null && 'error' in s.backend));
    }, null, { timeout: 240_000, polling: 250 });
    state = await page.evaluate(() => (globalThis as unknown as { inspector: PageState }).inspector);
    assert.deepEqual(errors, []);
  });
  after(async () => {
    await browser?.close();
    await server?.close();
    rmSync(appDir, { recursive: true, force: true });
  });

  test('runs on gpu.js WebGL and says so', async () => {
    assert.ok('mode' in state.backend, JSON.stringify(state.backend));
    assert.match(state.backend.mode, /^webgl2?$/);
    assert.equal(await page.getAttribute('#backend', 'data-mode'), state.backend.mode);
    assert.match(await page.textContent('#backend') ?? '', /gpu\.js webgl/);
  });

  test('generates the greedy ids the library generates in Node, and shows the library\'s U, K, heads and attention', async () => {
    setBackend(cpuBackend());
    assert.equal(state.panes.length, 2);
    for (const [i, dir] of CHECKPOINTS.entries()) {
      const pane = state.panes[i];
      assert.equal(pane.status, 'done', pane.error);
      const c = await loadCheckpoint(dir);
      assert.ok(E.isRight(c));
      const { params, config, tokenizer, tokenIds, head } = c.right;
      const prompt = promptText(tokenizer, PROMPT);
      assert.ok(E.isRight(prompt));
      const expected = generate(params, config, encode(tokenizer, prompt.right).ids, { maxNewTokens: MAX_NEW, stopTokens: tokenIds.eos });
      const a = pane.answer!;
      assert.deepEqual(a.ids, expected.ids, `${dir}: the page's greedy ids`);
      assert.ok(a.tokensPerSecond > 0);
      assert.equal(a.verdict, judge(a.text, true));

      const enc = sampleEncoder(tokenizer);
      assert.ok(E.isRight(enc));
      const lib = inspectResponse(params, config, head, enc.right, PROMPT, a.text);
      assert.ok(E.isRight(lib) && !('error' in a.inspection), 'U and K found');
      const shown = a.inspection as ResponseInspection;
      assert.deepEqual(shown.spans, lib.right.spans);
      const close = (x: unknown, y: unknown, what: string) => {
        const fx = [x].flat(3) as number[], fy = [y].flat(3) as number[];
        assert.equal(fx.length, fy.length, what);
        fx.forEach((v, j) => assert.ok(Math.abs(v - fy[j]) < 1e-4, `${dir} ${what}[${j}]: page ${v}, library ${fy[j]}`));
      };
      for (const key of ['context', 'understanding', 'kToQuery', 'kToU', 'kAttention'] as const) close(shown[key], lib.right[key], key);

      // what the page draws is what it holds
      const paneEl = page.locator('.pane').nth(i);
      assert.deepEqual(JSON.parse(await paneEl.getAttribute('data-ids') ?? '[]'), a.ids);
      const { promptEnd, keyStart, keyEnd } = shown.spans;
      assert.equal(await paneEl.locator('.tok.u').count(), keyStart - promptEnd);
      assert.equal(await paneEl.locator('.tok.k').count(), keyEnd - keyStart);
      assert.deepEqual(JSON.parse(await paneEl.locator('figure.heads').getAttribute('data-understanding') ?? '[]'), shown.understanding);
      assert.equal(await paneEl.locator('figure.attention tr[data-layer]').count(), config.num_hidden_layers * config.num_attention_heads);
    }
  });

  test('asked for gpu.js\'s JavaScript mode (the fallback), the page runs there, says so, and generates the same ids', async () => {
    const other = await browser.newPage();
    await other.goto(`${server.url}?backend=cpu&prompt=${encodeURIComponent(PROMPT)}&max=${MAX_NEW}&run=1`);
    await other.waitForFunction(() => ((globalThis as unknown as { inspector?: PageState }).inspector?.runs ?? 0) >= 1, null, { timeout: 240_000, polling: 250 });
    const s = await other.evaluate(() => (globalThis as unknown as { inspector: PageState }).inspector);
    assert.ok('mode' in s.backend && s.backend.mode === 'cpu', JSON.stringify(s.backend));
    assert.match(await other.textContent('#backend') ?? '', /gpu\.js cpu/);
    s.panes.forEach((p, i) => assert.deepEqual(p.answer?.ids, state.panes[i].answer?.ids, `${p.name}: ${p.status} ${p.error ?? ''}`));
    await other.close();
  });

  test('writes a screenshot of the two checkpoints side by side', async () => {
    mkdirSync(join('reports', 'inspector'), { recursive: true });
    const png = await page.screenshot({ path: SCREENSHOT, fullPage: true });
    assert.ok(png.length > 10_000 && png.subarray(1, 4).toString() === 'PNG');
  });
});
