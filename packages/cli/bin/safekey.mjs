#!/usr/bin/env node
// Starts the TypeScript CLI (src/main.ts) from source: node with tsx and the `development` export
// condition (so the workspace packages resolve to their sources), passing the arguments and exit code through.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));
let tsx;
try {
  tsx = import.meta.resolve('tsx');
} catch {
  process.stderr.write('safekey: cannot find tsx (run `npm install` in the repository)\n');
  process.exit(1);
}
// the IPC channel is how the child learns that this process is gone, even by SIGKILL (see src/main.ts)
const child = spawn(process.execPath, ['--conditions=development', '--import', tsx, main, ...process.argv.slice(2)], { stdio: ['inherit', 'inherit', 'inherit', 'ipc'] });
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
child.on('error', (e) => { process.stderr.write(`safekey: cannot start node: ${e.message}\n`); process.exit(1); });
child.on('exit', (code, signal) => {
  if (signal) { process.removeAllListeners(signal); process.kill(process.pid, signal); }
  else process.exit(code ?? 1);
});
