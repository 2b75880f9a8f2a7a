// Loads test/fixtures/golden/tiny-llama (PyTorch reference numbers; see test/fixtures/README.md) for the tests.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as E from 'fp-ts/lib/Either.js';
import { type Shape, type Tensor, fromArray } from '@safekey-ts/core';
import { type ModelConfig, type ModelParams, fromHfNames } from '@safekey-ts/safekey';
import { parseConfigJson, parseSafetensors } from '@safekey-ts/hf';

export const goldenDir = new URL('../fixtures/golden/tiny-llama/', import.meta.url);
export const goldenPath = fileURLToPath(goldenDir);

export interface GoldenSample {
  ids: number[]; promptEnd: number; keyStart: number; keyEnd: number; harmful: number;
  sft: number; qmm: number; dpsh: number; dpshContext: number; dpshUnderstanding: number;
  logits: number[][]; qmmLogits: number[][]; hidden: number[][];
}
export interface GoldenCases { samples: GoldenSample[]; batch: { sft: number; qmm: number; dpsh: number; total: number; weights: { qmm: number; dpsh: number } } }

const unwrap = <A>(e: E.Either<unknown, A>): A => { if (E.isLeft(e)) throw new Error(JSON.stringify(e.left)); return e.right; };

export function loadTensors(file: string): Map<string, Tensor> {
  const st = unwrap(parseSafetensors(new Uint8Array(readFileSync(new URL(file, goldenDir))), file));
  return new Map([...st.tensors].map(([name, t]) => [name, fromArray(Float32Array.from(t.data), t.shape as Shape, 'float32')]));
}

export function loadGolden() {
  const config: ModelConfig = unwrap(parseConfigJson(JSON.parse(readFileSync(new URL('config.json', goldenDir), 'utf8')))).config;
  const model = loadTensors('model.safetensors');
  const params: ModelParams = fromHfNames(config, (n) => model.get(n)!);
  const head = loadTensors('safety_head.safetensors');
  const grads = loadTensors('grads.safetensors');
  const cases = JSON.parse(readFileSync(new URL('cases.json', goldenDir), 'utf8')) as GoldenCases;
  return { config, params, head, grads, cases };
}

/** Largest |a - b| over two equally long lists. */
export const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};
