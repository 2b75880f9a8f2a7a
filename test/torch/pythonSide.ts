// Finds and runs the companion Python package (python/safekey_torch) for the parity tests.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** Where `python/scripts/python-env.sh` puts the environment unless SAFEKEY_TORCH_ENV says otherwise. */
const envDir = process.env.SAFEKEY_TORCH_ENV ?? join(homedir(), '.cache', 'safekey-ts', 'torch');

export interface PythonSide { readonly python: string; readonly bin: string }

/** The environment's python when it can import safekey_torch, else why not. */
export function findPythonSide(): PythonSide | string {
  const python = join(envDir, 'bin', 'python');
  if (!existsSync(python)) return `no Python environment at ${envDir} (bash python/scripts/python-env.sh makes it; SAFEKEY_TORCH_ENV moves it)`;
  const r = spawnSync(python, ['-c', 'import safekey_torch, torch, transformers, accelerate, peft'], { encoding: 'utf8' });
  if (r.status !== 0) return `${python} cannot import safekey_torch and its dependencies: ${(r.stderr || r.error?.message || '').trim().split('\n').at(-1)}`;
  return { python, bin: join(envDir, 'bin') };
}

export interface Run { readonly out: string; readonly err: string }

/** Runs a command of the environment (python, torchrun) with the given arguments; a failure throws with its stderr. */
export function runPython(side: PythonSide, program: 'python' | 'torchrun', args: readonly string[], cwd?: string): Run {
  const exe = program === 'python' ? side.python : join(side.bin, 'torchrun');
  const r = spawnSync(exe, args, {
    encoding: 'utf8', cwd, maxBuffer: 64 << 20,
    // one thread a process: the machine's cores are shared, and the results must not depend on it
    env: { ...process.env, OMP_NUM_THREADS: '1', PYTHONUNBUFFERED: '1', TOKENIZERS_PARALLELISM: 'false', HF_HUB_OFFLINE: '1' },
  });
  if (r.status !== 0) throw new Error(`${program} ${args.join(' ')} exited ${r.status}: ${(r.stderr || r.error?.message || '').trim().split('\n').slice(-15).join('\n')}`);
  return { out: r.stdout, err: r.stderr };
}
