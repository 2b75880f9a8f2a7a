// Builds the page into dist/ with Vite (`npm run build -w @safekey-ts/inspector`, or `safekey inspect` when the
// sources are newer than the build). Returns the built directory and the bundle's size.
import { readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const appRoot = dirname(fileURLToPath(import.meta.url));
export const appDist = join(appRoot, 'dist');

const newest = (dir) => readdirSync(dir, { withFileTypes: true, recursive: true })
  .filter((e) => e.isFile()).reduce((m, e) => Math.max(m, statSync(join(e.parentPath, e.name)).mtimeMs), 0);

/** Whether dist/ is missing or older than the page's sources. */
export function appIsStale() {
  let built;
  try { built = statSync(join(appDist, 'index.html')).mtimeMs; } catch { return true; }
  return [join(appRoot, 'src'), ...['core', 'gpujs', 'hf', 'safekey'].map((p) => join(appRoot, '..', p, 'src'))]
    .some((d) => newest(d) > built) || statSync(join(appRoot, 'index.html')).mtimeMs > built;
}

/** Builds the page (into `outDir`, default dist/); the bundle's JavaScript bytes. */
export async function buildApp(outDir = appDist) {
  const { build } = await import('vite');
  await build({ root: appRoot, configFile: join(appRoot, 'vite.config.ts'), build: { outDir }, logLevel: 'warn' });
  const assets = join(outDir, 'assets');
  const jsBytes = readdirSync(assets).filter((f) => f.endsWith('.js')).reduce((s, f) => s + statSync(join(assets, f)).size, 0);
  return { dir: outDir, jsBytes };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { dir, jsBytes } = await buildApp();
  console.log(`built ${dir}: ${(jsBytes / 1024).toFixed(0)} KiB of JavaScript`);
}
