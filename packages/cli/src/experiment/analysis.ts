import { type Tensor, add, bceWithLogits, div, expandDims, fromArray, matmul, mean, mul, reshape, sqrt, sub, sum, tidy } from '@safekey-ts/core';
import { noGrad, valueAndGrad } from '@safekey-ts/autograd';
import { type ModelConfig, type ModelParams, type SampleSpans, forward, makeBatch } from '@safekey-ts/safekey';

const chunks = <T>(xs: readonly T[], n: number): T[][] => Array.from({ length: Math.ceil(xs.length / n) }, (_, i) => xs.slice(i * n, i * n + n));

export interface AttentionShares {
  /** Mean last-layer attention mass from K tokens onto U, and onto the prompt (the query), per sample averaged. */
  readonly toU: number;
  readonly toQuery: number;
}

/** Where K looks: the last layer's attention from each K token, summed over U and over the prompt, mean over heads. */
export function attentionShares(params: ModelParams, config: ModelConfig, samples: readonly SampleSpans[], batchSize = 16): AttentionShares {
  let toU = 0, toQuery = 0;
  noGrad(() => chunks(samples, batchSize).forEach((part) => tidy(() => {
    const b = makeBatch(part);
    const att = forward(params, config, b.ids, { padding: b.padding, attention: true }).attentions!.at(-1)!;
    const t = att.shape[2];
    const w = mean(att, 1).dataSync(); // [B, T, T]
    part.forEach((s, i) => {
      let u = 0, q = 0;
      for (let r = s.keyStart; r < s.keyEnd; r++) for (let c = 0; c < t; c++) {
        const v = w[(i * t + r) * t + c];
        if (c < s.promptEnd) q += v; else if (c < s.keyStart) u += v;
      }
      const n = s.keyEnd - s.keyStart;
      toU += u / n; toQuery += q / n;
    });
  })));
  return { toU: toU / samples.length, toQuery: toQuery / samples.length };
}

/** The mean final normed hidden state over `[0, keyStart)` of each sample: what a probe reads before K. */
export function hiddenBeforeK(params: ModelParams, config: ModelConfig, samples: readonly SampleSpans[], batchSize = 16): Float32Array[] {
  const out: Float32Array[] = [];
  noGrad(() => chunks(samples, batchSize).forEach((part) => tidy(() => {
    const b = makeBatch(part);
    const h = forward(params, config, b.ids, { padding: b.padding }).hidden;
    const w = expandDims(b.context, -1);
    const m = Float32Array.from(div(sum(mul(h, w), 1), sum(w, 1)).dataSync());
    const d = h.shape[2];
    part.forEach((_, i) => out.push(m.slice(i * d, (i + 1) * d)));
  })));
  return out;
}

/**
 * Accuracy on the test set of an L2-regularised logistic-regression probe trained (full-batch gradient
 * descent, standardised features) on the train set.
 */
export function probeAccuracy(train: readonly Float32Array[], trainLabels: readonly number[], test: readonly Float32Array[], testLabels: readonly number[], steps = 300, lr = 0.5, l2 = 1e-2): number {
  const d = train[0].length;
  const matrix = (rows: readonly Float32Array[]) => fromArray(Float32Array.from(rows.flatMap((r) => Array.from(r))), [rows.length, d], 'float32');
  const X = matrix(train), Xt = matrix(test);
  const mu = mean(X, 0, true), sd = add(sqrt(mean(mul(sub(X, mu), sub(X, mu)), 0, true)), 1e-6);
  const norm = (x: Tensor) => div(sub(x, mu), sd);
  const Xn = norm(X), Xtn = norm(Xt);
  const y = fromArray(Float32Array.from(trainLabels), [train.length], 'float32');
  let p: { w: Tensor; b: Tensor } = { w: fromArray(new Float32Array(d), [d, 1], 'float32'), b: fromArray(new Float32Array(1), [1], 'float32') };
  const logits = (q: typeof p, x: Tensor) => reshape(add(matmul(x, q.w), q.b), [x.shape[0]]);
  const step = valueAndGrad((q: typeof p) => add(mean(bceWithLogits(logits(q, Xn), y)), mul(sum(mul(q.w, q.w)), l2)));
  for (let i = 0; i < steps; i++) {
    const [, g] = step(p);
    p = noGrad(() => ({ w: sub(p.w, mul(g.w, lr)), b: sub(p.b, mul(g.b, lr)) }));
  }
  const z = logits(p, Xtn).dataSync();
  let correct = 0;
  z.forEach((v, i) => { if ((v > 0 ? 1 : 0) === testLabels[i]) correct++; });
  return correct / test.length;
}
