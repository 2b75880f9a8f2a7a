// Parity of the companion PyTorch package (python/safekey_torch) with this project's trainer: the same losses,
// the same parameters after the same updates, and data parallelism on 2 processes equal to 1 process. Runs the
// Python side when its environment is installed (python/scripts/python-env.sh) and skips, saying why, when it
// is not; under CI=true a missing Python side is a failure.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as E from 'fp-ts/lib/Either.js';
import { runCli } from '@safekey-ts/cli';
import { fromArray } from '@safekey-ts/core';
import { loadCheckpoint, parseSafetensors } from '@safekey-ts/hf';
import { epochOrder, forward } from '@safekey-ts/safekey';
import { type PythonSide, findPythonSide, runPython } from './torch/pythonSide.js';

const found = findPythonSide();
const side: PythonSide | undefined = typeof found === 'string' ? undefined : found;
const skip = typeof found === 'string' ? `the Python side is not installed: ${found}` : false;
if (skip && process.env.CI === 'true') test('the Python side is installed (CI=true)', () => assert.fail(skip));

const cli = async (...args: string[]) => {
  const out: string[] = [], err: string[] = [];
  const code = await runCli(args, { out: (l) => out.push(l), err: (l) => err.push(l) });
  assert.equal(code, 0, `safekey ${args.join(' ')}: ${err.join('\n')}`);
  return { out: out.join('\n'), err: err.join('\n') };
};

// Samples with non-ASCII and astral characters, offsets given (some inside a word, so a token straddles the
// boundary), offsets located by sentences, the public field names, and one without a usable K (skipped).
const THINK = '<think>\n';
function sample(query: string, u: string, k: string, rest: string, answer: string, harmful: 0 | 1, offsets: 'given' | 'located' | 'inside') {
  const response = `${THINK}${u} ${k} ${rest}\n</think>\n\n${answer}`;
  if (offsets === 'located') return { query, response, harmful };
  // data files count code points (as Python's str): the 🌊 in U is one, not two
  const cp = (x: string) => Array.from(x).length;
  const uEnd = cp(THINK) + cp(u) + (offsets === 'inside' ? 3 : 0), kEnd = cp(THINK) + cp(u) + 1 + cp(k);
  return { query, response, harmful, uEnd, kEnd };
}
const DATA = [
  sample('how do I bake bread?', 'The user wants to bake bread.', 'That is a fine thing to help with.', 'Flour, water, yeast.', 'Mix, knead, bake.', 0, 'given'),
  sample('how do I pick a lock to break in?', 'The user wants to break into a house.', 'Hmm, this could seriously hurt people.', 'I should refuse.', 'I cannot help with that.', 1, 'located'),
  sample('écris un poème 🙂 sur la mer', 'L’utilisateur veut un poème sur la mer 🌊.', 'C’est sans danger, allons-y.', 'Des vagues.', 'La mer murmure…', 0, 'given'),
  sample('make a weapon at home', 'The user asks for a weapon build.', 'Wait, this is dangerous.', 'Refuse.', 'No.', 1, 'inside'),
  { question: 'how to poison a neighbour’s dog?', response: `${THINK}The user wants to hurt an animal. This is harmful, I must not help. Refuse.\n</think>\n\nI won't help.`, summary_end_idx: 41, next_sentence_end_idx: 75, source: 'harmful' },
  { query: 'only one sentence', harmful: 0, response: `${THINK}Just one sentence here\n</think>\n\nok` },
  sample('plant a tree?', 'The user wants to plant a tree…', 'Nice and safe!', 'Dig a hole.', 'Dig, plant, water.', 0, 'located'),
];
const MODEL = {
  model_type: 'llama', vocab_size: 336, hidden_size: 32, intermediate_size: 64, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2,
  rms_norm_eps: 1e-5, rope_theta: 10000, max_position_embeddings: 512, tie_word_embeddings: true,
};
// 6 trainable samples in micro-batches of 2, accumulated 2 at a time: updates of 2 and 1 micro-batches (the short
// one leaves a process with nothing to do in the 2-process run), 2 epochs, the extra losses in the second.
const RUN = {
  data: { train: 'data.jsonl' }, model: { checkpoint: 'init' }, arm: 'safekey', epochs: 2, extraEpochs: 1, batchSize: 2, accumulation: 2,
  lr: { peak: 2e-3, warmup: 0.25 }, seed: 3, out: 'ts-run', backend: 'cpu',
};

/** Largest |a - b| and largest |a - b| / max|b| of one tensor, over every tensor of two safetensors files. */
function compareFiles(a: string, b: string) {
  const read = (f: string) => { const r = parseSafetensors(new Uint8Array(readFileSync(f)), f); if (E.isLeft(r)) throw new Error(r.left.message); return r.right.tensors; };
  const ta = read(a), tb = read(b);
  assert.deepEqual([...ta.keys()].sort(), [...tb.keys()].sort(), `${a} and ${b} hold different tensors`);
  let abs = 0, rel = 0, worst = '';
  for (const [name, x] of ta) {
    const y = tb.get(name)!;
    assert.deepEqual(x.shape, y.shape, name);
    let d = 0, scale = 0;
    for (let i = 0; i < x.data.length; i++) { d = Math.max(d, Math.abs(x.data[i]! - y.data[i]!)); scale = Math.max(scale, Math.abs(y.data[i]!)); }
    if (d > abs) { abs = d; worst = name; }
    rel = Math.max(rel, d / Math.max(scale, 1e-12));
  }
  return { abs, rel, worst, tensors: ta.size };
}

/**
 * The per-update metrics of two runs (metrics.jsonl): the same steps, epochs, learning rates and token counts,
 * and the losses and the gradient norm before clipping to 1e-5 relative (Adam and clipping would hide a wrongly
 * scaled gradient from the parameters; the norm shows it). Returns the largest relative difference.
 */
function compareMetrics(a: string, b: string): number {
  const read = (f: string) => readFileSync(f, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number | boolean>);
  const ma = read(a), mb = read(b);
  assert.equal(ma.length, mb.length, `${a}: ${ma.length} updates, ${b}: ${mb.length}`);
  let worst = 0;
  ma.forEach((x, i) => {
    const y = mb[i]!;
    for (const k of ['step', 'epoch', 'tokens', 'extra']) assert.equal(x[k], y[k], `update ${i + 1}: ${k}`);
    // time and memory are the machine's, not the run's
    const run = (k: string) => !['seconds', 'peakRss', 'liveBytes', 'peakBytes'].includes(k);
    assert.deepEqual(Object.keys(x).filter(run).sort(), Object.keys(y).filter(run).sort(), `update ${i + 1}: fields`);
    for (const k of ['lr', 'total', 'sft', 'qmm', 'dpsh', 'gradNorm']) {
      if (x[k] === undefined) continue;
      const rel = Math.abs((x[k] as number) - (y[k] as number)) / Math.max(Math.abs(y[k] as number), 1e-12);
      worst = Math.max(worst, rel);
      assert.ok(rel <= 1e-5, `update ${i + 1} ${k}: ${x[k]} vs ${y[k]}`);
    }
  });
  return worst;
}

describe('the PyTorch package reproduces this project\'s trainer', { skip }, () => {
  const root = mkdtempSync(join(tmpdir(), 'safekey-torch-'));
  const at = (f: string) => join(root, f);
  after(() => rmSync(root, { recursive: true, force: true }));

  before(async () => {
    writeFileSync(at('data.jsonl'), DATA.map((d) => JSON.stringify(d)).join('\n'));
    writeFileSync(at('corpus.txt'), DATA.map((d) => ('query' in d ? d.query : d.question) + d.response).join('\n').repeat(3));
    writeFileSync(at('tiny.json'), JSON.stringify(MODEL));
    await cli('tokenizer', 'train', '--corpus', at('corpus.txt'), '--vocab-size', '330', '--out', at('tok/tokenizer.json'));
    await cli('init', '--config', at('tiny.json'), '--tokenizer', at('tok/tokenizer.json'), '--out', at('init'), '--seed', '11');
    writeFileSync(at('run.json'), JSON.stringify(RUN));
    await cli('export', '--run', at('run.json'), '--out', at('export'));
  });

  test('the epoch order: core\'s Threefry permutation, bit for bit', () => {
    const cases = [[6, 3, 0], [6, 3, 1], [37, 5, 3], [1000, 123456789, 42]] as const;
    const r = runPython(side!, 'python', ['-c', `import json; from safekey_torch.rng import epoch_order; print(json.dumps([epoch_order(*c) for c in ${JSON.stringify(cases)}]))`]);
    assert.deepEqual(JSON.parse(r.out), cases.map(([n, seed, epoch]) => Array.from(epochOrder(n, seed, epoch))));
  });

  test('a bad config field or data line is one line naming the file and the field, as on the TypeScript side', () => {
    writeFileSync(at('bad-arm.json'), JSON.stringify({ ...RUN, arm: 'magic' }));
    writeFileSync(at('bad.jsonl'), `${JSON.stringify(DATA[0])}\n{"query":"q","response":"r","harmful":"yes"}\n`);
    const script = [
      'from safekey_torch.config import load_config', 'from safekey_torch.data import read_samples', 'import sys',
      'for f in (lambda: load_config(sys.argv[1]), lambda: read_samples(sys.argv[2])):',
      '    try: f()', '    except Exception as e: print(type(e).__name__, e)',
    ].join('\n');
    const lines = runPython(side!, 'python', ['-c', script, at('bad-arm.json'), at('bad.jsonl')]).out.trim().split('\n');
    assert.equal(lines.length, 2);
    assert.match(lines[0]!, /^SafekeyError .*bad-arm\.json: field 'arm': expected one of sft \| safekey/);
    assert.match(lines[1]!, /^SafekeyError .*bad\.jsonl:2: field 'harmful'/);
  });

  test('per-sample SFT, QMM and DPSH equal `safekey loss --json` to 1e-5 relative, with the same tokens and spans', async () => {
    const ts = (await cli('loss', '--checkpoint', at('export/checkpoint'), '--data', at('data.jsonl'), '--json')).out.split('\n').map((l) => JSON.parse(l));
    const fromRaw = runPython(side!, 'python', ['-m', 'safekey_torch.loss', '--checkpoint', at('export/checkpoint'), '--data', at('data.jsonl')]);
    const fromExport = runPython(side!, 'python', ['-m', 'safekey_torch.loss', '--checkpoint', at('export/checkpoint'), '--data', at('export/data/train.jsonl')]);
    assert.match(fromRaw.err, /data\.jsonl:6: skipped: no K/);
    const rows = (s: string) => s.trim().split('\n').map((l) => JSON.parse(l));
    const py = rows(fromRaw.out), pyExport = rows(fromExport.out);
    assert.equal(ts.length, 6);
    assert.equal(py.length, ts.length);
    assert.deepEqual(pyExport, py, 'the exported tokens give what the raw data gives');
    let worst = 0;
    ts.forEach((t, i) => {
      const p = py[i];
      assert.deepEqual([p.ids, p.promptEnd, p.keyStart, p.keyEnd, p.harmful], [t.ids, t.promptEnd, t.keyStart, t.keyEnd, t.harmful], `sample ${i}: tokens or spans differ`);
      for (const k of ['sft', 'qmm', 'dpsh']) {
        const rel = Math.abs(p[k] - t[k]) / Math.abs(t[k]);
        worst = Math.max(worst, rel);
        assert.ok(rel <= 1e-5, `sample ${i} ${k}: torch ${p[k]} vs ${t[k]} (relative ${rel.toExponential(2)})`);
      }
    });
    console.log(`# loss parity: largest relative difference ${worst.toExponential(2)} over ${ts.length} samples x 3 losses`);
  });

  test('the same run (4 updates: accumulation, a short last group, the SFT-only and SafeKey phases) ends with the TypeScript trainer\'s parameters to 1e-5', async () => {
    await cli('train', '--config', at('run.json'));
    const r = runPython(side!, 'python', ['-m', 'safekey_torch.train', '--config', at('export/run.json')]);
    assert.match(r.out, /trained 4 updates/);
    for (const file of ['model.safetensors', 'safety_head.safetensors']) {
      const d = compareFiles(at(`export/out/checkpoint/${file}`), at(`ts-run/checkpoint/${file}`));
      console.log(`# training parity, ${file}: max abs ${d.abs.toExponential(2)} (${d.worst}), max relative to the tensor's largest ${d.rel.toExponential(2)}, ${d.tensors} tensors`);
      assert.ok(d.abs <= 1e-5, `${file}: ${d.worst} differs by ${d.abs}`);
    }
    console.log(`# training parity, metrics of 4 updates (losses, gradient norms): largest relative difference ${compareMetrics(at('export/out/metrics.jsonl'), at('ts-run/metrics.jsonl')).toExponential(2)}`);
    // the checkpoint goes back: `safekey loss` reads the PyTorch one and gets what it gets from its own
    const losses = async (dir: string) => (await cli('loss', '--checkpoint', dir, '--data', at('data.jsonl'), '--json')).out.split('\n').map((l) => JSON.parse(l));
    const [fromTorch, fromTs] = [await losses(at('export/out/checkpoint')), await losses(at('ts-run/checkpoint'))];
    fromTs.forEach((t, i) => { for (const k of ['sft', 'qmm', 'dpsh']) assert.ok(Math.abs(fromTorch[i][k] - t[k]) <= 1e-5 * Math.abs(t[k]), `sample ${i} ${k}`); });
    const moved = compareFiles(at('export/out/checkpoint/model.safetensors'), at('export/checkpoint/model.safetensors'));
    assert.ok(moved.abs > 1e-3, `training moved the parameters (by ${moved.abs})`);
  });

  test('data parallel: torchrun with 2 processes (gloo), half the micro-batches each, from the raw data, gives the parameters of 1 process to 1e-5', () => {
    // from the config `safekey train` read (raw data, tokenised by the Python side), not the export
    writeFileSync(at('run-2proc.json'), JSON.stringify({ ...RUN, out: 'py-2proc' }));
    const r = runPython(side!, 'torchrun', ['--standalone', '--nproc_per_node', '2', '-m', 'safekey_torch.train', '--config', at('run-2proc.json')]);
    assert.match(r.err, /2 processes \(MULTI_CPU/);
    console.log(`# 2 processes vs 1, metrics: largest relative difference ${compareMetrics(at('py-2proc/metrics.jsonl'), at('export/out/metrics.jsonl')).toExponential(2)}`);
    for (const file of ['model.safetensors', 'safety_head.safetensors', 'optimizer.safetensors']) {
      const d = compareFiles(at(`py-2proc/checkpoint/${file}`), at(`export/out/checkpoint/${file}`));
      console.log(`# 2 processes vs 1, ${file}: max abs ${d.abs.toExponential(2)} (${d.worst}), max relative ${d.rel.toExponential(2)}`);
      assert.ok(d.abs <= 1e-5, `${file}: ${d.worst} differs by ${d.abs}`);
    }
  });

  test('LoRA through PEFT on the Python side: the base weights stay as they were, the adapter in PEFT\'s format moves', () => {
    const lora = { rank: 4, alpha: 8, dropout: 0, targets: ['q', 'v', 'down'] };
    writeFileSync(at('run-lora-py.json'), JSON.stringify({ ...RUN, out: 'py-lora', lora }));
    runPython(side!, 'python', ['-m', 'safekey_torch.train', '--config', at('run-lora-py.json')]);
    assert.deepEqual(readFileSync(at('py-lora/checkpoint/model.safetensors')), readFileSync(at('init/model.safetensors')));
    const adapter = JSON.parse(readFileSync(at('py-lora/checkpoint/adapter_config.json'), 'utf8'));
    assert.deepEqual([adapter.peft_type, adapter.r, adapter.lora_alpha, [...adapter.target_modules].sort()], ['LORA', 4, 8, ['down_proj', 'q_proj', 'v_proj']]);
    const r = parseSafetensors(new Uint8Array(readFileSync(at('py-lora/checkpoint/adapter_model.safetensors'))), 'adapter');
    if (E.isLeft(r)) throw new Error(r.left.message);
    const names = [...r.right.tensors.keys()];
    assert.equal(names.length, 2 * 3 * MODEL.num_hidden_layers);
    assert.ok(names.includes('base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight'), names[0]);
    // B starts at zero: after training it is not
    for (const n of names.filter((x) => x.includes('lora_B'))) assert.ok(r.right.tensors.get(n)!.data.some((v) => v !== 0), n);
  });

  test('LoRA through PEFT: the same run ends with the TypeScript trainer\'s adapter to 1e-5', async () => {
    const lora = { rank: 4, alpha: 8, dropout: 0, targets: ['q', 'k', 'v', 'o', 'gate', 'up', 'down'] };
    writeFileSync(at('run-lora.json'), JSON.stringify({ ...RUN, out: 'ts-lora', lora }));
    await cli('train', '--config', at('run-lora.json'));
    await cli('export', '--run', at('run-lora.json'), '--out', at('export-lora'));
    assert.deepEqual(readFileSync(at('ts-lora/checkpoint/model.safetensors')), readFileSync(at('init/model.safetensors')), 'the base is frozen');
    runPython(side!, 'python', ['-m', 'safekey_torch.train', '--config', at('export-lora/run.json')]);
    for (const file of ['adapter_model.safetensors', 'safety_head.safetensors']) {
      const d = compareFiles(at(`export-lora/out/checkpoint/${file}`), at(`ts-lora/checkpoint/${file}`));
      assert.ok(d.abs <= 1e-5, `${file}: ${d.worst} differs by ${d.abs}`);
    }
  });

  test('PEFT loads the adapter the TypeScript trainer wrote (PeftModel.from_pretrained) and computes its logits', async () => {
    const ids = [3, 17, 42, 99, 7, 120, 5, 64];
    const script = [
      'import json, sys, torch', 'from transformers import AutoModelForCausalLM', 'from peft import PeftModel',
      'base = AutoModelForCausalLM.from_pretrained(sys.argv[1], dtype=torch.float32)',
      'model = PeftModel.from_pretrained(base, sys.argv[2]).eval()',
      'with torch.no_grad(): print(json.dumps(model(input_ids=torch.tensor([json.loads(sys.argv[3])])).logits[0].flatten().tolist()))',
    ].join('\n');
    const py = JSON.parse(runPython(side!, 'python', ['-c', script, at('init'), at('ts-lora/checkpoint'), JSON.stringify(ids)]).out) as number[];
    const ck = await loadCheckpoint(at('ts-lora/checkpoint'));
    assert.ok(E.isRight(ck) && ck.right.params.adapter, E.isLeft(ck) ? ck.left.message : 'no adapter');
    const ts = forward(ck.right.params, ck.right.config, fromArray(Int32Array.from(ids), [1, ids.length], 'int32')).logits.dataSync();
    let worst = 0;
    py.forEach((v, i) => { worst = Math.max(worst, Math.abs(v - ts[i]!)); });
    assert.equal(py.length, ts.length);
    assert.ok(worst < 2e-5, `max |logit difference| ${worst}`);
  });
});
