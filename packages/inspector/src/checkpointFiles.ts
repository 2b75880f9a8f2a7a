// Where checkpoint files come from: the `safekey inspect` server, the file picker, or folders dropped on the page.
import type { CheckpointFileMap } from '@safekey-ts/hf/browser';

export interface NamedFiles { readonly name: string; readonly files: CheckpointFileMap }

/** An evaluation prompt the server offers (the experiment's, with its label for the judge). */
export interface OfferedPrompt { readonly prompt: string; readonly harmful: 0 | 1; readonly kind?: string; readonly family?: string }

export interface Session { readonly checkpoints: readonly { readonly name: string; readonly files: readonly string[] }[]; readonly prompts: readonly OfferedPrompt[] }

/** The server's session (`api/session.json`), or null when the page is served as static files. */
export async function fetchSession(): Promise<Session | null> {
  try {
    const r = await fetch('api/session.json');
    return r.ok ? (await r.json()) as Session : null;
  } catch { return null; }
}

/** The files of the server's checkpoint `index`. */
export async function fetchCheckpoint(session: Session, index: number): Promise<NamedFiles> {
  const c = session.checkpoints[index];
  const files = new Map<string, Uint8Array>();
  await Promise.all(c.files.map(async (f) => {
    const r = await fetch(`checkpoints/${index}/${encodeURIComponent(f)}`);
    if (!r.ok) throw new Error(`${c.name}/${f}: the server answered ${r.status}`);
    files.set(f, new Uint8Array(await r.arrayBuffer()));
  }));
  return { name: c.name, files };
}

/** Picked files grouped by their top folder (a directory pick gives `dir/file` paths); files in subfolders are left out. */
export async function groupPicked(list: FileList): Promise<NamedFiles[]> {
  const groups = new Map<string, Map<string, Uint8Array>>();
  for (const f of Array.from(list)) {
    const parts = (f.webkitRelativePath || f.name).split('/');
    if (parts.length > 2) continue;
    const dir = parts.length === 2 ? parts[0] : 'checkpoint';
    if (!groups.has(dir)) groups.set(dir, new Map());
    groups.get(dir)!.set(parts.at(-1)!, new Uint8Array(await f.arrayBuffer()));
  }
  return [...groups].map(([name, files]) => ({ name, files }));
}

const entriesOf = (dir: FileSystemDirectoryEntry): Promise<FileSystemEntry[]> => new Promise((resolve, reject) => {
  const reader = dir.createReader();
  const all: FileSystemEntry[] = [];
  const next = () => reader.readEntries((batch) => { if (batch.length === 0) resolve(all); else { all.push(...batch); next(); } }, reject);
  next();
});
const fileOf = (e: FileSystemFileEntry): Promise<File> => new Promise((resolve, reject) => e.file(resolve, reject));

/** Folders dropped on the page, each a checkpoint (its top-level files). */
export async function groupDropped(items: DataTransferItemList): Promise<NamedFiles[]> {
  const dirs = Array.from(items).map((i) => i.webkitGetAsEntry()).filter((e): e is FileSystemDirectoryEntry => e?.isDirectory === true);
  return Promise.all(dirs.map(async (d) => {
    const files = new Map<string, Uint8Array>();
    for (const e of await entriesOf(d))
      if (e.isFile) files.set(e.name, new Uint8Array(await (await fileOf(e as FileSystemFileEntry)).arrayBuffer()));
    return { name: d.name, files };
  }));
}
