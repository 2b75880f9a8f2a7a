// `--load N`: N competing CPU-bound processes (a busy loop each) while the timed rounds run, to measure how a
// training step holds up on a machine that also runs other things. They are killed when the rounds end, and
// with the runner.
import { type ChildProcess, spawn } from 'node:child_process';

export function startLoad(n: number): () => void {
  const kids: ChildProcess[] = Array.from({ length: n }, () => spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
  const stop = () => { for (const k of kids) k.kill('SIGKILL'); kids.length = 0; };
  process.once('exit', stop);
  return stop;
}
