// The Hugging Face family fixtures (test/fixtures/hf, written by test/fixtures/scripts/make_hf_fixtures.py).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as E from 'fp-ts/lib/Either.js';
import { parseSafetensors } from '@safekey-ts/hf';
import { runCli } from '@safekey-ts/cli';

export const hfDir = fileURLToPath(new URL('../fixtures/hf/', import.meta.url));
export const FAMILIES = ['qwen2-r1', 'qwen25', 'llama3', 'mistral', 'llama2-linear', 'smol-dynamic'] as const;
export const KINDS = ['llama3', 'qwen2', 'r1-qwen', 'sp-llama2', 'sp-mistral', 'smollm2'] as const;

export interface Expected {
  family: string; tokenizer: string; vocab_size: number; tokens: number; eos_ids: number[];
  prompts: { content: string; text: string; prompt_ids: number[]; greedy_ids: number[]; min_gap: number }[];
  loss: { ids: number[]; promptEnd: number; keyStart: number; keyEnd: number; sft: number; skipped: string }[];
  logits_ids: number[]; logits_rows: number[];
}

export const modelDir = (family: string) => `${hfDir}models/${family}`;
export const expected = (family: string): Expected => JSON.parse(readFileSync(`${hfDir}models/${family}.expected.json`, 'utf8'));

/** HF's float32 logits at `logits_rows` of `logits_ids`, `[rows, vocab]`. */
export function expectedLogits(family: string): Float32Array {
  const st = parseSafetensors(new Uint8Array(readFileSync(`${hfDir}models/${family}.logits.safetensors`)), family);
  if (E.isLeft(st)) throw new Error(st.left.message);
  return st.right.tensors.get('logits')!.data as Float32Array;
}

export interface EncodingRow { ids: number[]; offsets: [number, number][]; plain_ids: number[]; decoded: string; decoded_skip: string }
export const encodings = (): { texts: string[]; kinds: Record<string, EncodingRow[]> } => JSON.parse(readFileSync(`${hfDir}encodings.json`, 'utf8'));

/** UTF-16 offsets as code-point offsets (Python's, in the fixture). */
export function codePointOffsets(text: string, offsets: readonly (readonly [number, number])[]): [number, number][] {
  const at = new Int32Array(text.length + 1);
  let cp = 0;
  for (let i = 0; i < text.length; cp++) {
    const units = text.codePointAt(i)! > 0xffff ? 2 : 1;
    for (let k = 0; k < units; k++) at[i + k] = cp;
    i += units;
  }
  at[text.length] = cp;
  return offsets.map(([a, b]) => [at[a]!, at[b]!]);
}

/** The CLI in this process, its output captured. */
export async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [], err: string[] = [];
  const code = await runCli(args, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}
