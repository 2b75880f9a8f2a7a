// `--bench w1-share`: where a W1 step's kernel time goes on the cpu backend's paths (bench/profile-w1.ts in a
// fresh process per path): element-wise kernels (fused or single), reductions (with or without a prologue),
// movement copies, and the rest (products, attention, rope, gather). Issue 16 tracks the first two.
import { spawnSync } from 'node:child_process';
import { type Primitive, primitives } from '@safekey-ts/core';

export interface ShareRow {
  readonly path: string;
  readonly stepMs: number;
  readonly kernelMs: number;
  readonly elementwiseMs: number;
  readonly reductionMs: number;
  readonly movementMs: number;
}

const isPrim = (name: string): name is Primitive => name in primitives;

/** The kind of one profile key (`fused (vm, float32)`, `fused+reduceSum (...)`, `copy (...)`, `fused+matmul (...)`, `concat`). */
function kindOf(key: string): 'elementwise' | 'reduction' | 'movement' | 'other' {
  if (/^fused\+reduce/.test(key)) return 'reduction';
  if (/^fused \(/.test(key)) return 'elementwise';
  if (/^copy \(/.test(key)) return 'movement';
  const name = key.split(' ')[0];
  return isPrim(name) && primitives[name].kind === 'movement' ? 'movement' : 'other';
}

export function w1Share(log: (m: string) => void, paths: readonly string[]): ShareRow[] {
  const rows: ShareRow[] = [];
  for (const path of paths) {
    log(`w1-share: profiling a W1 step on the ${path} path ...`);
    const r = spawnSync(process.execPath, ['--conditions=development', '--import', 'tsx', 'bench/profile-w1.ts', path, 'w1'],
      { encoding: 'utf8', env: { ...process.env, TOP: '1000' }, timeout: 600_000 });
    if (r.status !== 0) { log(`w1-share ${path}: failed: ${r.stderr.split('\n').find((l) => l.trim()) ?? `exit ${r.status}`}`); continue; }
    const lines = r.stdout.split('\n');
    const stepMs = Number(/median ([\d.]+) ms\/step/.exec(r.stdout)?.[1]), kernelMs = Number(/in kernels: ([\d.]+) ms\/step/.exec(r.stdout)?.[1]);
    const by = { elementwise: 0, reduction: 0, movement: 0, other: 0 };
    for (const l of lines) {
      const m = /^\s*([\d.]+) ms\s+[\d.]+ calls {2}(.*)$/.exec(l);
      if (m && !m[2].startsWith('(pool')) by[kindOf(m[2])] += Number(m[1]);
    }
    rows.push({ path, stepMs, kernelMs, elementwiseMs: by.elementwise, reductionMs: by.reduction, movementMs: by.movement });
  }
  return rows;
}
