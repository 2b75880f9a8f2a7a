// The `safekey` program: runs the command line and exits with its code (started by bin/safekey.mjs).
import { runCli } from './runCli.js';

const io = {
  out: (line: string) => { process.stdout.write(`${line}\n`); },
  err: (line: string) => { process.stderr.write(`${line}\n`); },
};
// a closed pipe (`safekey generate ... | head -1`) is not an error worth a stack trace
process.stdout.on('error', (e: NodeJS.ErrnoException) => { if (e.code === 'EPIPE') process.exit(0); });

// started by bin/safekey.mjs: when that process ends without us (killed), so do we, rather than run on unseen
if (process.channel) {
  process.channel.unref();
  process.on('disconnect', () => { io.err('safekey: the safekey process that started this one is gone; stopping'); process.exit(129); });
}

runCli(process.argv.slice(2), io).then(
  (code) => { process.exitCode = code; },
  (cause: unknown) => { io.err(`safekey: internal error: ${cause instanceof Error ? cause.message : String(cause)}`); process.exitCode = 1; },
);
