import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { type Tensor, add, fromArray, leaves, mul, random } from '@safekey-ts/core';
import { grad } from '@safekey-ts/autograd';
import { type ModelConfig, type SafekeyParams, type SampleSpans, forward, initParams, initSafetyHead, makeBatch, safekeyLoss, dpshLoss, qmmLoss, sftLoss } from '@safekey-ts/safekey';

const config: ModelConfig = {
  vocab_size: 40, hidden_size: 16, intermediate_size: 24, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2,
  rms_norm_eps: 1e-5, rope_theta: 10000, max_position_embeddings: 64, tie_word_embeddings: false,
};
const params = (seed: number): SafekeyParams => ({ model: initParams(random.key(seed), config, 0.3), head: initSafetyHead(random.key(seed + 1), 16, 0.3) });

/** A sample whose prompt uses ids 30..39 and whose response uses ids 1..29, so they never share a token. */
const sampleArb = fc.record({
  prompt: fc.array(fc.integer({ min: 30, max: 39 }), { minLength: 1, maxLength: 4 }),
  u: fc.array(fc.integer({ min: 1, max: 29 }), { minLength: 1, maxLength: 3 }),
  k: fc.array(fc.integer({ min: 1, max: 29 }), { minLength: 1, maxLength: 3 }),
  rest: fc.array(fc.integer({ min: 1, max: 29 }), { minLength: 0, maxLength: 3 }),
  harmful: fc.constantFrom<0 | 1>(0, 1),
}).map((s): SampleSpans => ({
  ids: [...s.prompt, ...s.u, ...s.k, ...s.rest], promptEnd: s.prompt.length, keyStart: s.prompt.length + s.u.length,
  keyEnd: s.prompt.length + s.u.length + s.k.length, harmful: s.harmful,
}));
const batchArb = fc.array(sampleArb, { minLength: 1, maxLength: 3 });
const arr = (t: Tensor) => Array.from(t.dataSync());
const qmmOf = (p: SafekeyParams, samples: SampleSpans[]) => {
  const b = makeBatch(samples);
  return qmmLoss(forward(p.model, config, b.ids, { padding: b.padding, keyMask: b.promptMask }).logits, b);
};

describe('SafeKey loss properties', () => {
  const p = params(7);

  test('L_QMM: zero gradient for prompt token embeddings, and unchanged by changing prompt tokens', () => {
    fc.assert(fc.property(batchArb, fc.integer({ min: 30, max: 39 }), (samples, other) => {
      const g = grad((m: SafekeyParams['model']) => qmmOf({ ...p, model: m }, samples).batch)(p.model);
      const emb = g.embed.dataSync();
      for (let id = 30; id < 40; id++) for (let j = 0; j < 16; j++) assert.equal(emb[id * 16 + j], 0, `embedding row ${id}`);
      const changed = samples.map((s) => ({ ...s, ids: s.ids.map((t, i) => (i < s.promptEnd ? other : t)) }));
      assert.deepEqual(arr(qmmOf(p, changed).perSample), arr(qmmOf(p, samples).perSample));
    }), { numRuns: 15 });
  });

  test('L_QMM on the prefix that ends at the last K token equals L_QMM on the whole sequence, gradients included', () => {
    // safekeyLoss runs the masked pass on that prefix; the full-length pass is the definition
    const qmmFull = (q: SafekeyParams, samples: SampleSpans[]) => {
      const b = makeBatch(samples), w = b.targets.shape[1];
      const keyTargets = fromArray(Uint8Array.from({ length: samples.length * w }, (_, i) => {
        const s = samples[Math.floor(i / w)], t = (i % w) + 1;
        return +(t >= s.keyStart && t < s.keyEnd);
      }), [samples.length, w], 'bool');
      const logits = forward(q.model, config, b.ids, { padding: b.padding, keyMask: b.promptMask }).logits;
      return qmmLoss(logits, { ...b, keyTargets }).batch;
    };
    const viaObjective = (q: SafekeyParams, samples: SampleSpans[]) => safekeyLoss(q, config, makeBatch(samples), { arm: 'safekey' }).qmm!.batch;
    fc.assert(fc.property(fc.array(sampleArb, { minLength: 2, maxLength: 3 }), (samples) => {
      const b = makeBatch(samples);
      assert.ok(b.keyTargets.shape[1] <= b.targets.shape[1]);
      const a = viaObjective(p, samples).item(), e = qmmFull(p, samples).item();
      assert.ok(Math.abs(a - e) <= 1e-6 * Math.max(1, Math.abs(e)), `${a} vs ${e}`);
      const ga = leaves(grad((q: SafekeyParams) => viaObjective(q, samples))(p)), ge = leaves(grad((q: SafekeyParams) => qmmFull(q, samples))(p));
      ga.forEach((l, i) => {
        const x = l.tensor.dataSync(), y = ge[i].tensor.dataSync();
        for (let j = 0; j < x.length; j++) assert.ok(Math.abs(x[j] - y[j]) <= 1e-5 * Math.max(1, Math.abs(y[j])), `${l.path}[${j}]: ${x[j]} vs ${y[j]}`);
      });
    }), { numRuns: 10 });
  });

  test('L_DPSH is unchanged by changing any token from the key start on (its spans end there)', () => {
    fc.assert(fc.property(batchArb, fc.integer({ min: 1, max: 29 }), (samples, other) => {
      const dpsh = (ss: SampleSpans[]) => { const b = makeBatch(ss); return dpshLoss(forward(p.model, config, b.ids, { padding: b.padding }).hidden, p.head, b); };
      const changed = samples.map((s) => ({ ...s, ids: s.ids.map((t, i) => (i >= s.keyStart ? other : t)) }));
      assert.deepEqual(arr(dpsh(changed).perSample), arr(dpsh(samples).perSample));
    }), { numRuns: 15 });
  });

  test('L_SFT counts response targets only and does not depend on padding', () => {
    fc.assert(fc.property(batchArb, fc.integer({ min: 1, max: 5 }), (samples, extra) => {
      const b = makeBatch(samples);
      const logits = forward(p.model, config, b.ids, { padding: b.padding }).logits;
      const per = arr(sftLoss(logits, b).perSample);
      // independent: log-softmax by hand over each sample's response targets
      const L = logits.dataSync(), T = b.ids.shape[1], V = config.vocab_size;
      samples.forEach((s, i) => {
        let total = 0;
        for (let t = s.promptEnd; t < s.ids.length; t++) {
          const row = Array.from(L.subarray((i * T + t - 1) * V, (i * T + t) * V));
          const m = Math.max(...row);
          total += m + Math.log(row.reduce((a, v) => a + Math.exp(v - m), 0)) - row[s.ids[t]];
        }
        assert.ok(Math.abs(per[i] - total / (s.ids.length - s.promptEnd)) < 1e-5);
      });
      // more padding (a longer sample in the batch) changes nothing for the others
      const longer = [...samples, { ...samples[0], ids: [...samples[0].ids, ...Array(extra).fill(3)] }];
      const b2 = makeBatch(longer);
      const per2 = arr(sftLoss(forward(p.model, config, b2.ids, { padding: b2.padding }).logits, b2).perSample);
      per.forEach((v, i) => assert.ok(Math.abs(v - per2[i]) < 1e-6, `sample ${i}: ${v} vs ${per2[i]}`));
    }), { numRuns: 10 });
  });

  test('the gradient of the total is the weighted sum of the gradients of the parts', () => {
    const samples = fc.sample(batchArb, { seed: 3, numRuns: 1 })[0];
    const b = makeBatch(samples);
    const weights = { qmm: 0.3, dpsh: 0.7 };
    const total = grad((q: SafekeyParams) => safekeyLoss(q, config, b, { arm: 'safekey', weights }).total)(p);
    const part = (pick: (l: ReturnType<typeof safekeyLoss>) => Tensor) => grad((q: SafekeyParams) => pick(safekeyLoss(q, config, b, { arm: 'safekey', weights })))(p);
    const [gs, gq, gd] = [part((l) => l.sft.batch), part((l) => l.qmm!.batch), part((l) => l.dpsh!.batch)];
    const lt = leaves(total), ls = leaves(gs), lq = leaves(gq), ld = leaves(gd);
    lt.forEach((l, i) => {
      const want = arr(add(add(ls[i].tensor, mul(lq[i].tensor, 0.3)), mul(ld[i].tensor, 0.7)));
      arr(l.tensor).forEach((v, j) => assert.ok(Math.abs(v - want[j]) < 1e-6 * Math.max(1, Math.abs(want[j])), `${l.path}[${j}]`));
    });
  });

  test('arms and the schedule: sft has no extra parts; extra=false is plain SFT for every arm', () => {
    const b = makeBatch(fc.sample(batchArb, { seed: 4, numRuns: 1 })[0]);
    const sft = safekeyLoss(p, config, b, { arm: 'sft' });
    assert.equal(sft.qmm, undefined); assert.equal(sft.dpsh, undefined);
    for (const arm of ['safekey', 'dpsh-only', 'qmm-only', 'qmm-nomask'] as const) {
      assert.equal(safekeyLoss(p, config, b, { arm, extra: false }).total.item(), sft.total.item());
    }
    assert.ok(safekeyLoss(p, config, b, { arm: 'dpsh-only' }).qmm === undefined);
    assert.ok(safekeyLoss(p, config, b, { arm: 'qmm-only' }).dpsh === undefined);
  });
});

test('a sample with an empty U is rejected with its spans named', () => {
  assert.throws(() => makeBatch([{ ids: [30, 1, 2], promptEnd: 1, keyStart: 1, keyEnd: 2, harmful: 0 }]), /sample 0: spans must satisfy.*promptEnd 1, keyStart 1/);
});
