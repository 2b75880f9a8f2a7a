// Debian's Chromium driven by playwright-core, headless, WebGL on SwiftShader (or the machine's GPU driver):
// shared by the browser tests and the inspector's screenshot script.
import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

const CANDIDATES = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter((p): p is string => !!p);

/** The system browser's path, or why there is none. */
export function findChromium(): { path: string } | { missing: string } {
  const path = CANDIDATES.find((p) => existsSync(p));
  return path ? { path } : { missing: `no Chromium at ${CANDIDATES.join(', ')} (apt-get install chromium; CHROMIUM_PATH points elsewhere)` };
}

/** Headless Chromium with WebGL: SwiftShader where there is no GPU (Chromium refuses it unless told it may). */
export function launchChromium(path: string): Promise<Browser> {
  return chromium.launch({ executablePath: path, headless: true, args: ['--enable-unsafe-swiftshader', '--ignore-gpu-blocklist', '--use-angle=swiftshader', '--no-sandbox'] });
}
