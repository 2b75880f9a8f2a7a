import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { TrainConfig } from './trainConfig.js';

/** What a run is made of, hashed: the settings that shape the updates, and the bytes of its data files. */
export interface RunFingerprint { readonly config: string; readonly data: string }

const sha = (parts: readonly (string | Uint8Array)[]): string => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest('hex').slice(0, 16);
};

/** JSON with the keys of every object sorted, so the order they were written in does not matter. */
const canonical = (v: unknown): string =>
  Array.isArray(v) ? `[${v.map(canonical).join(',')}]`
  : v !== null && typeof v === 'object' ? `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`).join(',')}}`
  : JSON.stringify(v);

/** The config without what may change between a run and its resumption (where it runs, how it saves, the policy on NaN). */
const shaping = ({ backend: _b, out: _o, save: _s, onNonFinite: _n, ...rest }: TrainConfig) => rest;

export const runFingerprint = (cfg: TrainConfig, dataFiles: readonly string[]): RunFingerprint => ({
  config: sha([canonical(shaping(cfg))]),
  data: sha(dataFiles.map((f) => readFileSync(f))),
});

/** What changed between the run saved in a checkpoint and this one, in words; undefined when nothing did. */
export function fingerprintChange(saved: unknown, now: RunFingerprint): string | undefined {
  if (typeof saved !== 'object' || saved === null) return undefined;
  const s = saved as Partial<RunFingerprint>;
  const changed = [s.config !== now.config ? 'the training settings' : '', s.data !== now.data ? 'the data files' : ''].filter(Boolean);
  return changed.length > 0 ? changed.join(' and ') : undefined;
}
