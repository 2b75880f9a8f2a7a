import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { type Tensor, leaves } from '@safekey-ts/core';
import { valueAndGrad } from '@safekey-ts/autograd';
import { type SafekeyParams, type SampleSpans, forward, makeBatch, safekeyLoss, safetyHeadFromNames, dpshLoss, qmmLoss, sftLoss, hfLayout, safetyHeadNames } from '@safekey-ts/safekey';
import { loadGolden, maxAbsDiff } from './golden.js';

const g = loadGolden();
const samples: SampleSpans[] = g.cases.samples.map((s) => ({ ids: s.ids, promptEnd: s.promptEnd, keyStart: s.keyStart, keyEnd: s.keyEnd, harmful: s.harmful as 0 | 1 }));
const batch = makeBatch(samples);
const params: SafekeyParams = { model: g.params, head: safetyHeadFromNames((n) => g.head.get(n)!) };
const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-8);

describe('SafeKey losses and gradients reproduce PyTorch (golden tiny-llama)', () => {
  const plain = forward(params.model, g.config, batch.ids, { padding: batch.padding });
  const masked = forward(params.model, g.config, batch.ids, { padding: batch.padding, keyMask: batch.promptMask });
  const sft = sftLoss(plain.logits, batch), qmm = qmmLoss(masked.logits, batch), dpsh = dpshLoss(plain.hidden, params.head, batch);

  test('per-sample SFT, QMM and DPSH (both heads)', () => {
    const [s, q, d, c, u] = [sft.perSample, qmm.perSample, dpsh.perSample, dpsh.context, dpsh.understanding].map((t) => t.dataSync());
    g.cases.samples.forEach((x, i) => {
      assert.ok(rel(s[i], x.sft) < 1e-5, `sft ${i}: ${s[i]} vs ${x.sft}`);
      assert.ok(rel(q[i], x.qmm) < 1e-5, `qmm ${i}: ${q[i]} vs ${x.qmm}`);
      assert.ok(rel(d[i], x.dpsh) < 1e-5, `dpsh ${i}: ${d[i]} vs ${x.dpsh}`);
      assert.ok(rel(c[i], x.dpshContext) < 1e-5 && rel(u[i], x.dpshUnderstanding) < 1e-5, `dpsh heads ${i}`);
    });
  });

  test('batch losses and the total', () => {
    const b = g.cases.batch;
    assert.ok(rel(sft.batch.item(), b.sft) < 1e-5 && rel(qmm.batch.item(), b.qmm) < 1e-5 && rel(dpsh.batch.item(), b.dpsh) < 1e-5);
    const parts = safekeyLoss(params, g.config, batch, { arm: 'safekey', weights: b.weights });
    assert.ok(rel(parts.total.item(), b.total) < 1e-5, `${parts.total.item()} vs ${b.total}`);
  });

  test('the gradient of the batch total for every tensor (model and safety head)', () => {
    const [value, grads] = valueAndGrad((p: SafekeyParams) => safekeyLoss(p, g.config, batch, { arm: 'safekey' }).total)(params);
    assert.ok(rel(value.item(), g.cases.batch.total) < 1e-5);
    const named: [string, Tensor][] = [
      ...hfLayout(g.config).map((e): [string, Tensor] => [e.name, e.get(grads.model)]),
      ...safetyHeadNames(grads.head),
    ];
    assert.equal(named.length, g.grads.size);
    for (const [name, t] of named) {
      const want = g.grads.get(name)!.dataSync();
      const scale = Math.max(...Array.from(want, Math.abs), 1e-6);
      const err = maxAbsDiff(t.dataSync(), want) / scale;
      assert.ok(err < 1e-4, `${name}: relative error ${err}`);
    }
    assert.equal(leaves(grads).length, g.grads.size);
  });
});
