import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as E from 'fp-ts/lib/Either.js';
import { fromArray } from '@safekey-ts/core';
import { loadCheckpoint } from '@safekey-ts/hf';
import { forward } from '@safekey-ts/safekey';
import { FAMILIES, cli, expected, expectedLogits, hfDir, modelDir } from './fixtures.js';

// Each family's checkpoint, made by transformers: the project's numbers against transformers' (float32).
for (const family of FAMILIES) {
  describe(`${family}: a checkpoint transformers wrote`, () => {
    const exp = expected(family);

    test('loads (config form, dtype, shards), and its logits are transformers\' within 2e-5', async () => {
      const ck = await loadCheckpoint(modelDir(family));
      assert.ok(E.isRight(ck), E.isLeft(ck) ? ck.left.message : '');
      const { config, params, tokenIds } = ck.right;
      assert.equal(config.vocab_size, exp.vocab_size);
      assert.deepEqual(tokenIds.eos, exp.eos_ids);
      const ids = exp.logits_ids;
      const logits = forward(params, config, fromArray(Int32Array.from(ids), [1, ids.length], 'int32')).logits.dataSync();
      const want = expectedLogits(family);
      const V = config.vocab_size;
      let worst = 0;
      exp.logits_rows.forEach((row, k) => { for (let v = 0; v < V; v++) worst = Math.max(worst, Math.abs(logits[row * V + v]! - want[k * V + v]!)); });
      assert.ok(worst < 2e-5, `max |logit difference| ${worst}`);
    });

    test('safekey generate --json: apply_chat_template\'s prompt ids and generate\'s greedy ids (cpu backend)', async () => {
      for (const p of exp.prompts) {
        const r = await cli('generate', '--checkpoint', modelDir(family), '--prompt', p.content, '--max-new-tokens', String(p.greedy_ids.length), '--json');
        assert.equal(r.code, 0, r.err);
        const out = JSON.parse(r.out);
        assert.equal(out.prompt, p.text);
        assert.deepEqual(out.prompt_ids, p.prompt_ids);
        assert.deepEqual(out.ids, p.greedy_ids, p.content);
        assert.equal(out.finish_reason, exp.eos_ids.includes(p.greedy_ids.at(-1)!) ? 'stop' : 'length');
      }
    });

    test('safekey loss --json: the training ids transformers\' tokenizer gives, sft its cross-entropy within 1e-4 relative, no dpsh without heads', async () => {
      const r = await cli('loss', '--checkpoint', modelDir(family), '--data', `${hfDir}data.jsonl`, '--json');
      assert.equal(r.code, 0, r.err);
      const rows = r.out.split('\n').map((l) => JSON.parse(l));
      assert.equal(rows.length, exp.loss.length);
      rows.forEach((row, i) => {
        const want = exp.loss[i]!;
        assert.deepEqual(row.ids, want.ids, `sample ${i} ids`);
        assert.deepEqual([row.promptEnd, row.keyStart, row.keyEnd], [want.promptEnd, want.keyStart, want.keyEnd], `sample ${i} spans`);
        assert.ok(Math.abs(row.sft - want.sft) <= 1e-4 * want.sft, `sample ${i}: sft ${row.sft} vs ${want.sft}`);
        assert.ok(Number.isFinite(row.qmm) && row.qmm > 0);
        assert.equal(row.dpsh, null);
      });
    });
  });
}

test('the R1 generation prompt opens the reasoning: the response does not repeat <think>\\n', () => {
  const r1 = expected('qwen2-r1');
  assert.ok(r1.prompts[0]!.text.endsWith('<｜Assistant｜><think>\n'));
  for (const l of r1.loss) assert.equal(l.skipped, '<think>\n');
  for (const l of expected('qwen25').loss) assert.equal(l.skipped, '');
});

test('greedy decoding ranges over every embedding row, as transformers does (rows past the tokenizer included)', () => {
  for (const family of ['qwen2-r1', 'qwen25']) {
    const exp = expected(family);
    assert.ok(exp.vocab_size > exp.tokens);
    assert.ok(exp.prompts.some((p) => p.greedy_ids.some((id) => id >= exp.tokens)), `${family}: the fixture exercises rows without a token`);
  }
});
