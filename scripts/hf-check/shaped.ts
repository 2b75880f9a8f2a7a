// Loads a checkpoint make_shaped.py wrote, generates greedily on the cpu backend and prints load time, peak RSS
// and tokens/s beside transformers' (DIR/hf.json). Not part of CI.
//   node --conditions=development --import tsx scripts/hf-check/shaped.ts DIR
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { setBackend } from '@safekey-ts/core';
import { cpuBackend } from '@safekey-ts/cpu';
import { encode, loadCheckpoint, promptText } from '@safekey-ts/hf';
import { generate } from '@safekey-ts/safekey';

const dir = process.argv[2];
if (!dir) throw new Error('usage: shaped.ts DIR');
const hf = JSON.parse(readFileSync(join(dir, 'hf.json'), 'utf8'));
const cpu = cpuBackend();
setBackend(cpu);
const rssMb = () => process.resourceUsage().maxRSS / 1024;
const t0 = performance.now();
const ck = await loadCheckpoint(dir);
if (E.isLeft(ck)) throw new Error(ck.left.message);
const loadS = (performance.now() - t0) / 1000;
const rssLoad = rssMb();
const { params, config, tokenizer, tokenIds } = ck.right;
const prompt = promptText(tokenizer, 'How do I bake bread at home? Explain the steps.');
if (E.isLeft(prompt)) throw new Error(prompt.left);
const ids = encode(tokenizer, prompt.right).ids;
generate(params, config, ids, { maxNewTokens: 4, stopTokens: [] }); // warm-up
const n = hf.greedy_ids.length;
const t1 = performance.now();
const g = generate(params, config, ids, { maxNewTokens: n, stopTokens: [] });
const secs = (performance.now() - t1) / 1000;
let same = 0;
while (same < n && g.generated[same] === hf.greedy_ids[same]) same++;
console.log(JSON.stringify({
  dir, backend: `${cpu.path} (${cpu.threads} threads)`, prompt_ids_equal: JSON.stringify(ids) === JSON.stringify(hf.prompt_ids),
  greedy_equal: same === n, greedy_prefix_equal: same, of: n, hf_min_gap: hf.min_gap,
  load_s: +loadS.toFixed(2), peak_rss_mb_after_load: Math.round(rssLoad), peak_rss_mb: Math.round(rssMb()), tokens_per_s: +(n / secs).toFixed(2),
  hf: { load_s: +hf.load_s.toFixed(2), peak_rss_mb_after_load: Math.round(hf.peak_rss_mb_after_load), peak_rss_mb: Math.round(hf.peak_rss_mb), tokens_per_s: +hf.tokens_per_s.toFixed(2), threads: hf.threads },
  stop_ids: tokenIds.eos,
}));
