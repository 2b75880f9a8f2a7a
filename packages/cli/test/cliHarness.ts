import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { runCli } from '@safekey-ts/cli';

/** The CLI in this process (fast), with its output captured. */
export async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [], err: string[] = [];
  const code = await runCli(args, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** A temporary folder for one test file, removed after its tests, as a resolver of names in it. */
export function scratch(prefix: string): (name: string) => string {
  const root = mkdtempSync(join(tmpdir(), prefix));
  after(() => rmSync(root, { recursive: true, force: true }));
  return (name: string) => join(root, name);
}

/** A training sample whose reasoning has a U sentence, a K sentence and a third. */
export const reasoningSample = (q: string, harmful: 0 | 1) => ({
  query: q, harmful,
  response: `<think>\nThe user wants to ${q}. ${harmful ? 'Hmm, this could hurt people.' : 'This is fine.'} Done.\n</think>\n\n${harmful ? 'No.' : 'Yes.'}`,
});

/** A tiny Llama `config.json` (vocabulary 300, width 16), with `extra` keys over it. */
export const tinyConfigJson = (extra: object = {}): string => JSON.stringify({
  model_type: 'llama', vocab_size: 300, hidden_size: 16, intermediate_size: 24, num_hidden_layers: 1, num_attention_heads: 2, num_key_value_heads: 1,
  rms_norm_eps: 1e-5, rope_theta: 10000, max_position_embeddings: 512, tie_word_embeddings: true, ...extra,
});
