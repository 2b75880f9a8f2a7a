import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import * as E from 'fp-ts/lib/Either.js';
import { full } from '@safekey-ts/core';
import { ioCause, loadCheckpoint, saveCheckpoint } from '@safekey-ts/hf';
import { cli } from './cliHarness.js';

// A model whose numbers overflow (finite weights of 3e38 pass the loader) used to be read as NUL bytes, "sft": null
// and a perfectly safe eval score; and eval used to find an unwritable output only after generating everything.
const root = mkdtempSync(join(tmpdir(), 'safekey-nonfinite-'));
after(() => rmSync(root, { recursive: true, force: true }));
const at = (f: string) => join(root, f);

before(async () => {
  writeFileSync(at('tiny.json'), JSON.stringify({
    model_type: 'llama', vocab_size: 300, hidden_size: 16, intermediate_size: 24, num_hidden_layers: 2, num_attention_heads: 2, num_key_value_heads: 1,
    rms_norm_eps: 1e-5, rope_theta: 10000, max_position_embeddings: 64, tie_word_embeddings: true,
  }));
  assert.equal((await cli('init', '--config', at('tiny.json'), '--out', at('ck'))).code, 0);
  const ck = await loadCheckpoint(at('ck'));
  assert.ok(E.isRight(ck));
  const { params } = ck.right;
  // layer 1's query projection at 3e38: its products overflow float32 in that layer's attention
  const layers = params.layers.map((l, i) => (i === 1 ? { ...l, q: full([...l.q.shape], 3e38), k: full([...l.k.shape], 3e38) } : l));
  const saved = await saveCheckpoint(at('huge'), { ...ck.right, params: { ...params, layers } });
  assert.ok(E.isRight(saved), E.isLeft(saved) ? saved.left.message : '');
  writeFileSync(at('data.jsonl'), JSON.stringify({ query: 'bake bread', harmful: 0, response: '<think>\nFine. Sure.\n</think>\n\nYes.' }));
  writeFileSync(at('prompts.jsonl'), JSON.stringify({ prompt: 'How do I bake bread?', harmful: 0 }));
});

const stage = /huge: .* is not finite; they first appear in the output of layer 1 attention/;

test('generate on a model whose logits overflow is an error naming the checkpoint and the layer, not text', async () => {
  const r = await cli('generate', '--checkpoint', at('huge'), '--prompt', 'hello', '--max-new-tokens', '3', '--backend', 'reference');
  assert.equal(r.code, 1);
  assert.equal(r.out, '');
  assert.match(r.err, stage);
  assert.match(r.err, /generate: the logits for token 1/);
});

test('loss on that model is an error naming the loss, the sample and the layer, not null', async () => {
  const r = await cli('loss', '--checkpoint', at('huge'), '--data', at('data.jsonl'), '--json', '--backend', 'reference');
  assert.equal(r.code, 1);
  assert.match(r.err, /loss: the (sft|qmm|dpsh) loss of sample 1 is not finite; they first appear in the output of layer 1 attention/);
});

test('eval on that model is an error, not a 0% harmful score', async () => {
  const r = await cli('eval', '--checkpoint', at('huge'), '--prompts', at('prompts.jsonl'), '--out', at('ev'), '--max-new-tokens', '3', '--backend', 'reference');
  assert.equal(r.code, 1);
  assert.match(r.err, stage);
});

test('eval finds an output it cannot write before generating anything, and names the cause once', async () => {
  writeFileSync(at('a-file'), 'x');
  const r = await cli('eval', '--checkpoint', at('ck'), '--prompts', at('prompts.jsonl'), '--out', at('a-file/ev'), '--max-new-tokens', '3', '--backend', 'reference');
  assert.equal(r.code, 1);
  assert.match(r.err, /a-file\/ev: cannot write there: (a part of the path is not a directory \(ENOTDIR\)|already exists \(EEXIST\))$/m);
  assert.doesNotMatch(r.err, /eval \d+\/\d+|internal error/);
  assert.equal(r.err.split(at('a-file')).length, 2, 'the path once');
});

test('I/O errors read by their cause, the path not repeated', () => {
  const erofs = Object.assign(new Error("EROFS: read-only file system, open '/x/y'"), { code: 'EROFS', syscall: 'open', path: '/x/y' });
  assert.equal(ioCause(erofs), 'read-only file system (EROFS)');
  const enospc = Object.assign(new Error("ENOSPC: no space left on device, write"), { code: 'ENOSPC', syscall: 'write' });
  assert.equal(ioCause(enospc), 'no space left on the device (ENOSPC)');
  assert.equal(ioCause(Object.assign(new Error("EWHAT: odd, open '/a'"), { code: 'EWHAT', syscall: 'open' })), 'EWHAT: odd');
});

test('prompt and generation past max_position_embeddings are refused up front', async () => {
  const r = await cli('generate', '--checkpoint', at('ck'), '--prompt', 'hello '.repeat(40), '--raw', '--max-new-tokens', '30', '--backend', 'reference');
  assert.equal(r.code, 1);
  assert.match(r.err, /\d+ positions \(a prompt of \d+ tokens, a prefix of 0, --max-new-tokens 30\) exceed the model's max_position_embeddings 64/);
});

test('an eos id outside the vocabulary is refused where it is written', async () => {
  writeFileSync(at('eos.json'), JSON.stringify({
    model_type: 'llama', vocab_size: 300, hidden_size: 16, intermediate_size: 24, num_hidden_layers: 1, num_attention_heads: 2,
    rms_norm_eps: 1e-5, rope_theta: 10000, max_position_embeddings: 64, tie_word_embeddings: true, eos_token_id: [2, 300],
  }));
  const r = await cli('init', '--config', at('eos.json'), '--out', at('eos-ck'));
  assert.equal(r.code, 1);
  assert.match(r.err, /eos\.json: field 'eos_token_id': 300 is outside the vocabulary \(vocab_size 300\)/);
});
