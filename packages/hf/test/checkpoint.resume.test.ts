import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import * as E from 'fp-ts/lib/Either.js';
import {
  type Tensor, add, crossEntropy, fromArray, leaves, matmul, mean, mul, narrow, random, scalar, square,
} from '@safekey-ts/core';
import { valueAndGrad } from '@safekey-ts/autograd';
import { type AdamWState, type ModelConfig, type SafetyHead, type ModelParams, adamwUpdate, clipByGlobalNorm, cosineLr, forward, initAdamW, initParams, initSafetyHead } from '@safekey-ts/safekey';
import { type TrainerState, byteLevelTokenizer, loadCheckpoint, saveCheckpoint } from '@safekey-ts/hf';

const root = mkdtempSync(join(tmpdir(), 'safekey-resume-'));
after(() => rmSync(root, { recursive: true, force: true }));

const config: ModelConfig = {
  vocab_size: 264, hidden_size: 8, intermediate_size: 12, num_hidden_layers: 1, num_attention_heads: 2, num_key_value_heads: 1,
  rms_norm_eps: 1e-5, rope_theta: 10000, max_position_embeddings: 16, tie_word_embeddings: false,
};
const tokenizer = byteLevelTokenizer();
const data = ['hello!', 'world?', 'tiny..', 'model.'].map((s) => Array.from(Buffer.from(s)));
const schedule = { peakLr: 0.01, warmupSteps: 1, totalSteps: 6 };
const adam = { beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1 };

type Params = { model: ModelParams; head: SafetyHead };
interface Run { params: Params; opt: AdamWState<Params>; trainer: TrainerState & { rngKey: import('@safekey-ts/core').random.Key } }

/** A tiny trainer: epochs of 2 shuffled batches of 2, random token dropout from the carried key, a head term, clipping, AdamW, cosine lr. */
function trainStep(r: Run): Run {
  const order = random.permutation(random.foldIn(random.key(7), r.trainer.epoch), data.length).dataSync();
  const rows = [order[2 * r.trainer.position]!, order[2 * r.trainer.position + 1]!].map((i) => data[i]!);
  const ids = fromArray(Int32Array.from(rows.flat()), [2, 6], 'int32');
  const [nextKey, dropKey] = random.split(r.trainer.rngKey);
  const keep = random.bernoulli(dropKey, 0.8, [2, 5]);
  const loss = (p: Params) => {
    const out = forward(p.model, config, ids);
    const ce = crossEntropy(narrow(out.logits, 1, 0, 5), narrow(ids, 1, 1, 5), keep);
    const probe = add(matmul(mean(out.hidden, 1), p.head.context.weight, { transB: true }), p.head.context.bias);
    return add(ce, mul(mean(square(probe)), 0.1));
  };
  const [, grads] = valueAndGrad(loss)(r.params);
  const { grads: clipped } = clipByGlobalNorm(grads, 1);
  const next = adamwUpdate(r.params, clipped, r.opt, scalar(cosineLr(schedule, r.trainer.step)), adam);
  const position = (r.trainer.position + 1) % 2;
  return {
    params: next.params, opt: next.state,
    trainer: { step: r.trainer.step + 1, epoch: r.trainer.epoch + (position === 0 ? 1 : 0), position, rngKey: nextKey },
  };
}
const steps = (r: Run, n: number) => { for (let i = 0; i < n; i++) r = trainStep(r); return r; };
const bits = (x: unknown) => leaves(x).map((l) => [l.path, Array.from(new Uint32Array((l.tensor as Tensor).dataSync().slice().buffer))]);

test('exact resume: N steps straight equal k steps, save, load, N-k steps (bit-identical)', async () => {
  const params = { model: initParams(random.key(1), config, 0.1), head: initSafetyHead(random.key(2), 8) };
  const start: Run = { params, opt: initAdamW(params), trainer: { step: 0, epoch: 0, position: 0, rngKey: random.key(3) } };
  const N = 5, k = 3;
  const straight = steps(start, N);

  const half = steps(start, k);
  const dir = join(root, 'ckpt');
  const saved = await saveCheckpoint(dir, { config, params: half.params.model, head: half.params.head, tokenizer, train: { optimizer: half.opt, trainer: half.trainer } });
  assert.ok(E.isRight(saved), E.isLeft(saved) ? saved.left.message : '');
  const loaded = await loadCheckpoint(dir);
  if (E.isLeft(loaded)) throw new Error(loaded.left.message);
  const c = loaded.right;
  assert.deepEqual(c.train!.trainer, { step: 3, epoch: 1, position: 1, rngKey: [...half.trainer.rngKey] });
  const resumedStart: Run = {
    params: { model: c.params, head: c.head! },
    opt: c.train!.optimizer as AdamWState<Params>,
    trainer: c.train!.trainer as Run['trainer'],
  };
  const resumed = steps(resumedStart, N - k);

  assert.deepEqual(resumed.trainer, JSON.parse(JSON.stringify(straight.trainer)));
  assert.deepEqual(bits(resumed.params), bits(straight.params));
  assert.deepEqual(bits(resumed.opt), bits(straight.opt));
  assert.notDeepEqual(bits(straight.params), bits(params), 'training moved the parameters');
});
