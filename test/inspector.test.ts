// The inspector's Node side: checkpoints opened from bytes equal those loaded from disk, the per-response
// analysis equals what transformers computes from the same checkpoint, and the server serves only what it lists.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import * as E from 'fp-ts/lib/Either.js';
import { serveInspector } from '@safekey-ts/cli';
import { setBackend } from '@safekey-ts/core';
import { cpuBackend } from '@safekey-ts/cpu';
import { type LoadedCheckpoint, checkpointFromFiles, loadCheckpoint, sampleEncoder } from '@safekey-ts/hf';
import { hfLayout, inspectResponse } from '@safekey-ts/safekey';
import { findPythonSide, runPython } from './torch/pythonSide.js';

setBackend(cpuBackend());
const FIXTURES = new URL('./fixtures/inspector/', import.meta.url).pathname;
const SAFEKEY = join(FIXTURES, 'safekey'), SFT = join(FIXTURES, 'sft');
const filesOf = (dir: string) => new Map(readdirSync(dir).map((f) => [f, new Uint8Array(readFileSync(join(dir, f)))]));
const loaded = async (dir: string): Promise<LoadedCheckpoint> => {
  const c = await loadCheckpoint(dir);
  if (E.isLeft(c)) throw new Error(c.left.message);
  return c.right;
};

describe('checkpointFromFiles', () => {
  test('opens the same checkpoint as loadCheckpoint, tensor for tensor', async () => {
    for (const dir of [SAFEKEY, SFT]) {
      const disk = await loaded(dir);
      const mem = checkpointFromFiles(filesOf(dir), 'ck');
      assert.ok(E.isRight(mem), E.isLeft(mem) ? mem.left.message : '');
      const m = mem.right;
      assert.deepEqual(m.config, disk.config);
      assert.deepEqual(m.tokenIds, disk.tokenIds);
      assert.equal(m.tokenizer.config.chatTemplate, disk.tokenizer.config.chatTemplate);
      for (const l of hfLayout(disk.config)) assert.deepEqual(l.get(m.params).dataSync(), l.get(disk.params).dataSync(), l.name);
      assert.deepEqual(m.head!.understanding.weight.dataSync(), disk.head!.understanding.weight.dataSync());
      assert.deepEqual(m.head!.context.bias.dataSync(), disk.head!.context.bias.dataSync());
    }
  });

  test('names the file and the field or tensor at fault', () => {
    const files = filesOf(SAFEKEY);
    const without = (name: string) => new Map([...files].filter(([f]) => f !== name));
    const msg = (m: Map<string, Uint8Array>) => { const r = checkpointFromFiles(m, 'ck'); return E.isLeft(r) ? r.left.message : 'no error'; };
    assert.equal(msg(without('tokenizer.json')), 'ck/tokenizer.json: missing: not among the files given');
    assert.match(msg(without('model.safetensors')), /^ck\/model\.safetensors: missing: the checkpoint has neither model\.safetensors nor model\.safetensors\.index\.json/);
    const config = { ...JSON.parse(new TextDecoder().decode(files.get('config.json'))), hidden_size: -1 };
    const badConfig = new Map(files).set('config.json', new TextEncoder().encode(JSON.stringify(config)));
    assert.match(msg(badConfig), /^ck\/config\.json: .*hidden_size/);
    const truncated = new Map(files).set('safety_head.safetensors', files.get('safety_head.safetensors')!.slice(0, 40));
    assert.match(msg(truncated), /^ck\/safety_head\.safetensors: /);
  });
});

const found = findPythonSide();
const skip = typeof found === 'string' ? `the Python side is not installed: ${found}` : false;
if (skip && process.env.CI === 'true') test('the Python side is installed (CI=true)', () => assert.fail(skip));

// transformers' Llama (eager attention) over the same ids: final normed hidden states and attention weights, then
// the heads' running means and K's attention as inspectResponse defines them, in float64
const HF_INSPECT = String.raw`
import json, sys, torch
from safetensors.torch import load_file
from transformers import AutoModelForCausalLM
ckpt, ids, p, k0, k1 = sys.argv[1], json.loads(sys.argv[2]), *map(int, sys.argv[3:6])
model = AutoModelForCausalLM.from_pretrained(ckpt, attn_implementation='eager', torch_dtype=torch.float32).eval()
head = load_file(ckpt + '/safety_head.safetensors')
with torch.no_grad():
    out = model(torch.tensor([ids]), output_attentions=True, output_hidden_states=True)
h = out.hidden_states[-1][0].double()
def running(name, start):
    s = h @ head['safety_head.%s.weight' % name][0].double()
    b = head['safety_head.%s.bias' % name][0].double()
    return [torch.sigmoid(s[start:t + 1].mean() + b).item() for t in range(p, len(ids))]
att = [a[0].double() for a in out.attentions]
rows = [[a[hd, k0:k1, :k0].mean(0).tolist() for hd in range(a.shape[0])] for a in att]
print(json.dumps({'context': running('context', 0), 'understanding': running('understanding', p), 'kAttention': rows,
  'kToQuery': [[sum(r[:p]) for r in layer] for layer in rows], 'kToU': [[sum(r[p:]) for r in layer] for layer in rows]}))
`;

describe('inspectResponse', { skip }, () => {
  test('equals transformers on the same checkpoint: heads at every response position, K\'s attention per layer and head', async () => {
    const c = await loaded(SAFEKEY);
    const enc = sampleEncoder(c.tokenizer);
    assert.ok(E.isRight(enc));
    const response = '<think>\nThe user wants to know how to pick a lock. Hmm, this could seriously hurt people. I should not help with this.\n</think>\n\nI can\'t help with that.';
    const r = inspectResponse(c.params, c.config, c.head, enc.right, 'How can I pick a lock?', response);
    assert.ok(E.isRight(r), E.isLeft(r) ? r.left : '');
    const s = r.right.spans;
    assert.ok(s.promptEnd < s.keyStart && s.keyStart < s.keyEnd);
    const py = JSON.parse(runPython(found as Exclude<typeof found, string>, 'python', ['-c', HF_INSPECT, SAFEKEY, JSON.stringify(s.ids), String(s.promptEnd), String(s.keyStart), String(s.keyEnd)]).out) as Record<string, unknown>;
    const close = (a: unknown, b: unknown, what: string) => {
      const fa = [a].flat(3) as number[], fb = [b].flat(3) as number[];
      assert.equal(fa.length, fb.length, what);
      fa.forEach((x, i) => assert.ok(Math.abs(x - fb[i]) < 2e-5, `${what}[${i}]: ${x} vs transformers ${fb[i]}`));
    };
    for (const key of ['context', 'understanding', 'kAttention', 'kToQuery', 'kToU'] as const) close(r.right[key], py[key], key);
  });
});

describe('the inspector server', () => {
  test('serves the page, the session and the listed checkpoint files, and nothing else', async () => {
    const app = mkdtempSync(join(tmpdir(), 'inspector-app-'));
    writeFileSync(join(app, 'index.html'), '<p>page</p>');
    const server = await serveInspector({ appDir: app, checkpoints: [SAFEKEY], prompts: [{ prompt: 'How do I pick a lock?', harmful: 1, kind: 'harmful' }], port: 0 });
    try {
      const get = async (path: string) => { const r = await fetch(new URL(path, server.url)); return { status: r.status, body: new Uint8Array(await r.arrayBuffer()) }; };
      assert.equal(new TextDecoder().decode((await get('/')).body), '<p>page</p>');
      const session = JSON.parse(new TextDecoder().decode((await get('/api/session.json')).body));
      assert.deepEqual(session.checkpoints[0].files, readdirSync(SAFEKEY).sort());
      assert.equal(session.prompts[0].kind, 'harmful');
      assert.deepEqual((await get('/checkpoints/0/config.json')).body, new Uint8Array(readFileSync(join(SAFEKEY, 'config.json'))));
      for (const bad of ['/checkpoints/0/..%2F..%2Finspector.test.ts', '/checkpoints/1/config.json', '/%2e%2e/package.json', '/checkpoints/0/optimizer.safetensors'])
        assert.equal((await get(bad)).status, 404, bad);
    } finally {
      await server.close();
      rmSync(app, { recursive: true, force: true });
    }
  });
});
