// The inspector's server: the built page, the given checkpoints' files and the session (which checkpoints, which
// evaluation prompts) on 127.0.0.1. Serves only files it lists: nothing outside the app and the checkpoint folders.
import { readFile, readdir } from 'node:fs/promises';
import { type Server, createServer } from 'node:http';
import { basename, extname, join, resolve, sep } from 'node:path';

export interface OfferedPrompt { readonly prompt: string; readonly harmful: 0 | 1; readonly kind?: string; readonly family?: string }

export interface InspectorServer { readonly url: string; close(): Promise<void> }

/** Training state the page does not read (and may be large). */
const NOT_SERVED = new Set(['optimizer.safetensors', 'trainer_state.json']);
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.json': 'application/json',
  '.svg': 'image/svg+xml', '.png': 'image/png', '.jinja': 'text/plain; charset=utf-8',
};

/** The files of a checkpoint directory that the page may read (top level, regular files). */
export async function checkpointListing(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  return entries.filter((e) => e.isFile() && !NOT_SERVED.has(e.name)).map((e) => e.name).sort();
}

/**
 * Serves `appDir` (the built page) and `checkpoints` on `host:port` (port 0: any free one). The checkpoint files
 * are listed at start; a file added later is not served.
 */
export async function serveInspector(opts: { readonly appDir: string; readonly checkpoints: readonly string[]; readonly prompts: readonly OfferedPrompt[]; readonly port: number; readonly host?: string }): Promise<InspectorServer> {
  const appDir = resolve(opts.appDir);
  const listings = await Promise.all(opts.checkpoints.map(checkpointListing));
  const session = JSON.stringify({
    checkpoints: opts.checkpoints.map((dir, i) => ({ name: nameOf(dir), files: listings[i] })),
    prompts: opts.prompts,
  });
  const server: Server = createServer((req, res) => {
    const send = (status: number, body: string | Uint8Array, type = 'text/plain; charset=utf-8') => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    const path = decodeURIComponent((req.url ?? '/').split('?')[0]);
    if (req.method !== 'GET') return send(405, 'only GET');
    if (path === '/api/session.json') return send(200, session, TYPES['.json']);
    const ckpt = /^\/checkpoints\/(\d+)\/([^/]+)$/.exec(path);
    let file: string | null = null;
    if (ckpt) {
      const i = Number(ckpt[1]);
      if (i < opts.checkpoints.length && listings[i].includes(ckpt[2])) file = join(opts.checkpoints[i], ckpt[2]);
    } else {
      const inApp = resolve(appDir, `.${path === '/' ? '/index.html' : path}`);
      if (inApp.startsWith(appDir + sep)) file = inApp;
    }
    if (file === null) return send(404, `not found: ${path}`);
    readFile(file).then((b) => send(200, b, TYPES[extname(file)] ?? 'application/octet-stream'), () => send(404, `not found: ${path}`));
  });
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((ok, fail) => { server.once('error', fail); server.listen(opts.port, host, () => ok()); });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  return {
    url: `http://${host}:${port}/`,
    close: () => new Promise<void>((ok) => { server.closeAllConnections(); server.close(() => ok()); }),
  };
}

/** A checkpoint's name on the page: `run/checkpoint` for an experiment's run, else the folder's name. */
function nameOf(dir: string): string {
  const parts = resolve(dir).split(sep);
  const last = basename(dir);
  return last === 'checkpoint' && parts.length >= 2 ? `${parts.at(-2)}/${last}` : last;
}
