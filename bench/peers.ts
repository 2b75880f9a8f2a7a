// The peers: the W1 workload and a matmul timing server in PyTorch (CPU), jax-js and TensorFlow.js, whose
// scripts live in bench/peers/ (see its README.md). setupPeers() makes them runnable on first use and
// reuses that afterwards; PeerServer runs a long-lived timing server that answers one JSON request a line,
// so a peer stays warm across the interleaved rounds of a run.
//
// Where things go:
// - PyTorch: a venv at $TORCH_VENV (default ~/.cache/safekey-ts/torch) with bench/peers/torch/requirements.txt
//   installed by pip from the machine's configured indexes; a stamp in the venv holds the requirements it was
//   made from, so a change to the file installs again. TORCH_PY names a python to use as it is instead.
// - jax-js and TensorFlow.js: `npm ci` inside bench/peers/jaxjs and bench/peers/tfjs, in place. The scripts
//   import their packages by name, and Node resolves a name from the script's own folder, so node_modules
//   belongs beside them; it is ignored by git (bench/peers/.gitignore). Each checkout installs its own
//   (about 310 MB, nearly all of it @tensorflow/tfjs), from npm's download cache after the first time. A stamp
//   in node_modules holds a hash of the lock file it was installed from; a changed lock file installs again.
// A peer that cannot be set up comes back as { error } with the reason, and the bench leaves it out.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** bench/peers/ of this checkout. */
export const peersDir = join(dirname(fileURLToPath(import.meta.url)), 'peers');
const torchVenv = process.env.TORCH_VENV ?? join(homedir(), '.cache', 'safekey-ts', 'torch');
const INSTALL_TIMEOUT_MS = 20 * 60_000;

export type Log = (msg: string) => void;
type Where<T> = T | { error: string };

export interface PeerEnv {
  /** The python with torch and the folder of the torch scripts, or why there is none. */
  readonly torch: Where<{ python: string; dir: string }>;
  /** The folder of the TensorFlow.js scripts, with its packages installed. */
  readonly tfjs: Where<{ dir: string }>;
  /** The folder of the jax-js scripts, with its packages installed. */
  readonly jaxjs: Where<{ dir: string }>;
}

/** The last few non-empty lines of a child's output, for an error message. */
const tail = (text: string | null | undefined, lines = 3) => (text ?? '').trim().split('\n').filter(Boolean).slice(-lines).join(' | ');

function torchPeer(log: Log): PeerEnv['torch'] {
  const dir = join(peersDir, 'torch');
  const probe = (python: string) => spawnSync(python, ['-c', 'import numpy, torch; print(torch.__version__)'], { encoding: 'utf8', timeout: 120_000 });
  if (process.env.TORCH_PY) {
    const r = probe(process.env.TORCH_PY);
    if (r.status !== 0) return { error: `TORCH_PY=${process.env.TORCH_PY} cannot import torch and numpy: ${tail(r.stderr || r.error?.message) || `exit status ${r.status}`}` };
    log(`peers: PyTorch ${r.stdout.trim()} from TORCH_PY`);
    return { python: process.env.TORCH_PY, dir };
  }
  const python = join(torchVenv, 'bin', 'python');
  const requirementsFile = join(dir, 'requirements.txt');
  const requirements = readFileSync(requirementsFile, 'utf8');
  const stamp = join(torchVenv, '.safekey-ts-requirements');
  const current = existsSync(stamp) && readFileSync(stamp, 'utf8') === requirements;
  if (current && probe(python).status === 0) return { python, dir };

  log(`peers: installing ${relative(process.cwd(), requirementsFile)} into the venv ${torchVenv} (a few minutes the first time)`);
  if (!existsSync(python)) {
    mkdirSync(dirname(torchVenv), { recursive: true });
    const base = process.env.PYTHON ?? 'python3';
    const r = spawnSync(base, ['-m', 'venv', torchVenv], { encoding: 'utf8', timeout: 300_000 });
    if (r.status !== 0) return { error: `cannot make a venv at ${torchVenv} with ${base}: ${tail(r.stderr || r.error?.message)}` };
  }
  // --retries 1: an index that cannot be reached (the default one, on a machine without internet) fails
  // fast instead of after pip's five retries, and pip goes on with the indexes it can reach
  const pip = spawnSync(python, ['-m', 'pip', 'install', '--disable-pip-version-check', '--retries', '1', '--timeout', '30', '-r', requirementsFile],
    { encoding: 'utf8', timeout: INSTALL_TIMEOUT_MS });
  const r = probe(python);
  if (pip.status !== 0 || r.status !== 0) {
    return { error: `PyTorch could not be installed into ${torchVenv} (set TORCH_PY to a python that has torch 2.13 and numpy): ${tail(pip.stderr || pip.error?.message || r.stderr)}` };
  }
  writeFileSync(stamp, requirements);
  log(`peers: PyTorch ${r.stdout.trim()} ready in ${torchVenv}`);
  return { python, dir };
}

function npmPeer(name: 'tfjs' | 'jaxjs', log: Log): Where<{ dir: string }> {
  const dir = join(peersDir, name);
  const lockFile = join(dir, 'package-lock.json');
  if (!existsSync(lockFile)) return { error: `${lockFile} is missing` };
  const lockHash = createHash('sha256').update(readFileSync(lockFile)).digest('hex');
  const stamp = join(dir, 'node_modules', '.safekey-ts-lock');
  const deps = Object.keys((JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> }).dependencies ?? {});
  const installed = () => deps.every((d) => existsSync(join(dir, 'node_modules', d, 'package.json')));
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === lockHash && installed()) return { dir };

  log(`peers: npm ci in ${relative(process.cwd(), dir) || dir}`);
  // Under `npm run bench` the environment carries the root project's npm_config_local_prefix; drop it so
  // that nothing but cwd decides where this install goes. No install scripts: these packages need none.
  const env = { ...process.env };
  delete env.npm_config_local_prefix;
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const r = spawnSync(npm, ['ci', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: dir, env, encoding: 'utf8', timeout: INSTALL_TIMEOUT_MS });
  if (r.status !== 0 || !installed()) return { error: `npm ci in bench/peers/${name} failed: ${tail(r.stderr || r.error?.message)}` };
  writeFileSync(stamp, lockHash);
  return { dir };
}

let prepared: PeerEnv | null = null;

/** Makes every peer runnable (installing what is missing, once) and says where each one is, or why not. */
export function setupPeers(log: Log): PeerEnv {
  prepared ??= { torch: torchPeer(log), tfjs: npmPeer('tfjs', log), jaxjs: npmPeer('jaxjs', log) };
  return prepared;
}

/** A peer timing server: one JSON request per line in, one JSON answer per line out. */
export class PeerServer {
  #proc: ChildProcess | null = null;
  #lines: string[] = [];
  #waiting: ((line: string | null) => void) | null = null;
  #stderr = '';
  #closed = false;
  ready: Record<string, unknown> | null = null;

  constructor(readonly name: string, readonly cmd: string, readonly args: readonly string[], readonly cwd: string) {}

  #next(timeoutMs: number): Promise<string> {
    const line = this.#lines.shift();
    if (line !== undefined) return Promise.resolve(line);
    if (this.#closed) return Promise.reject(new Error(`${this.name} exited: ${this.#stderr.trim().split('\n').slice(-3).join(' | ')}`));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { this.#waiting = null; reject(new Error(`${this.name}: no answer in ${timeoutMs / 1000} s`)); }, timeoutMs);
      this.#waiting = (l) => {
        clearTimeout(timer);
        this.#waiting = null;
        if (l === null) reject(new Error(`${this.name} exited: ${this.#stderr.trim().split('\n').slice(-3).join(' | ')}`));
        else resolve(l);
      };
    });
  }

  async start(): Promise<void> {
    const p = spawn(this.cmd, [...this.args], { cwd: this.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    this.#proc = p;
    p.stderr!.on('data', (d: Buffer) => { this.#stderr = (this.#stderr + d.toString()).slice(-4000); });
    p.on('error', (e) => { this.#stderr += e.message; });
    p.on('exit', (code, signal) => { if (code !== 0) this.#stderr += ` (exit ${signal ?? code})`; });
    const rl = createInterface({ input: p.stdout! });
    rl.on('line', (l) => {
      if (!l.startsWith('{')) return;
      if (this.#waiting) this.#waiting(l); else this.#lines.push(l);
    });
    rl.on('close', () => { this.#closed = true; this.#waiting?.(null); this.#proc = null; });
    this.ready = JSON.parse(await this.#next(300_000)) as Record<string, unknown>;
  }

  /** Starts the server, trying once more if it dies while starting (the threaded tfjs-wasm build sometimes does). */
  async startWithRetry(log: (msg: string) => void): Promise<void> {
    try { await this.start(); } catch (e) {
      log(`${this.name}: ${(e as Error).message.split('\n')[0]}; starting it again`);
      this.#closed = false; this.#lines = []; this.#stderr = '';
      await this.start();
    }
  }

  async request(req: Record<string, unknown>, timeoutMs = 600_000): Promise<Record<string, unknown>> {
    if (!this.#proc) throw new Error(`${this.name} is not running: ${this.#stderr.trim().split('\n').slice(-3).join(' | ')}`);
    this.#proc.stdin!.write(`${JSON.stringify(req)}\n`);
    return JSON.parse(await this.#next(timeoutMs)) as Record<string, unknown>;
  }

  async close(): Promise<void> {
    const p = this.#proc;
    if (!p) return;
    p.stdin!.end();
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => { p.kill(); resolve(); }, 3000);
      p.on('exit', () => { clearTimeout(t); resolve(); });
    });
    this.#proc = null;
  }
}
