// The peers of ../shared/peers (PyTorch CPU, jax-js, TensorFlow.js wasm and cpu), set up once and cached,
// and long-lived timing servers (bench/peers/*_matmul.*) that answer one JSON request a line, so a peer stays
// warm across the interleaved rounds of a run.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = join(here, '..', '..', '..');
export const cacheDir = process.env.SAFEKEY_PEERS_DIR ?? join(homedir(), '.cache', 'safekey-ts', 'peers');
const torchVenv = process.env.TORCH_VENV ?? join(homedir(), '.cache', 'safekey-ts', 'torch');

export type Log = (msg: string) => void;

/** Where the peer folder comes from: SAFEKEY_PEERS_SRC, or shared/peers beside the repository. */
function peersSource(): string | null {
  const cands = [process.env.SAFEKEY_PEERS_SRC, join(repoRoot, '..', 'shared', 'peers')].filter((p): p is string => !!p);
  return cands.find((p) => existsSync(join(p, 'README.md'))) ?? null;
}

function makeWritable(dir: string): void {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (name === 'node_modules') continue;
    const st = statSync(p);
    chmodSync(p, st.mode | 0o200);
    if (st.isDirectory()) makeWritable(p);
  }
}

export interface PeerEnv {
  /** The python with torch, or why there is none. */
  readonly torch: { python: string } | { error: string };
  readonly tfjs: { dir: string } | { error: string };
  readonly jaxjs: { dir: string } | { error: string };
}

/** Copies the peers to the cache and installs what they need, once (later runs reuse it). */
export function setupPeers(log: Log): PeerEnv {
  const src = peersSource();
  const fail = (why: string): PeerEnv => ({ torch: { error: why }, tfjs: { error: why }, jaxjs: { error: why } });
  if (!src && !existsSync(join(cacheDir, 'README.md'))) return fail('../shared/peers not found (set SAFEKEY_PEERS_SRC)');
  if (!existsSync(join(cacheDir, 'README.md'))) {
    log(`peers: copying ${src} to ${cacheDir}`);
    mkdirSync(cacheDir, { recursive: true });
    cpSync(src!, cacheDir, { recursive: true });
    makeWritable(cacheDir);
  }
  for (const [file, sub] of [['tfjs_matmul.mjs', 'tfjs'], ['jaxjs_matmul.mjs', 'jaxjs']] as const)
    if (existsSync(join(cacheDir, sub))) cpSync(join(here, 'peers', file), join(cacheDir, sub, file));

  let torch: PeerEnv['torch'];
  const py = process.env.TORCH_PY ?? join(torchVenv, 'bin', 'python');
  const hasTorch = (p: string) => spawnSync(p, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;
  if (existsSync(py) && hasTorch(py)) torch = { python: py };
  else {
    log('peers: setting up the PyTorch CPU venv (setup-torch.sh, ~2 min the first time)');
    const r = spawnSync('bash', [join(cacheDir, 'setup-torch.sh')], { cwd: cacheDir, env: { ...process.env, TORCH_VENV: torchVenv }, encoding: 'utf8', timeout: 900_000 });
    const out = r.stdout.trim().split('\n').pop() ?? '';
    torch = r.status === 0 && out && hasTorch(out) ? { python: out } : { error: `PyTorch could not be set up: ${(r.stderr || r.error?.message || '').trim().split('\n').pop()}` };
  }

  const npmCi = (sub: string): { dir: string } | { error: string } => {
    const dir = join(cacheDir, sub);
    if (!existsSync(join(dir, 'package.json'))) return { error: `${dir}/package.json missing` };
    if (!existsSync(join(dir, 'node_modules'))) {
      log(`peers: npm ci in ${dir}`);
      const r = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: dir, encoding: 'utf8', timeout: 900_000 });
      if (r.status !== 0) return { error: `npm ci in ${sub} failed: ${(r.stderr || '').trim().split('\n').pop()}` };
    }
    return { dir };
  };
  return { torch, tfjs: npmCi('tfjs'), jaxjs: npmCi('jaxjs') };
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
