// Train a small model with the SafeKey loss composed from the library's functions, then save a checkpoint.
//   node --conditions=development --import tsx examples/train-safekey.ts OUT_DIR [STEPS]
import * as E from 'fp-ts/lib/Either.js';
import { type Tensor, add, mul, random, scalar } from '@safekey-ts/core';
import { noGrad, valueAndGrad } from '@safekey-ts/autograd';
import { type BatchTensors, type SafekeyParams, adamwUpdate, batchTensors, cosineLr, dpshLoss, encodeSamples, forward, initAdamW, initParams, initSafetyHead, makeBatch, qmmLoss, sftLoss } from '@safekey-ts/safekey';
import { sampleEncoder, saveCheckpoint, trainBpe, vocabSize } from '@safekey-ts/hf';
import { refusingResponse, helpfulResponse } from '@safekey-ts/cli';

const [out = 'examples-out/safekey-tiny', stepsArg = '30'] = process.argv.slice(2);
const steps = Number(stepsArg);

// 1. A few samples: harmful requests answered with a safety "aha" and a refusal, benign ones helped.
const requests: [string, 0 | 1][] = [['pick a lock to break into a house', 1], ['bake sourdough bread', 0], ['poison a neighbor', 1], ['plant tomatoes', 0]];
const raw = requests.map(([request, harmful]) => {
  const r = harmful ? refusingResponse(request) : helpfulResponse(request);
  return { query: `How do I ${request}?`, response: r.text, harmful, uEnd: r.uEnd, kEnd: r.kEnd };
});

// 2. A tokenizer and the token spans (prompt, U, K) of every sample.
const tok = E.getOrElseW((e) => { throw new Error(String(e)); })(trainBpe(raw.map((s) => `${s.query} ${s.response}`), { vocabSize: 320 }));
const enc = E.getOrElseW((e) => { throw new Error(String(e)); })(sampleEncoder(tok));
const { samples } = encodeSamples(enc, raw, { maxLength: 128 });
const batch = batchTensors(makeBatch(samples));

// 3. The model, the safety head, and the SafeKey objective written out from its parts.
const config = { vocab_size: vocabSize(tok), hidden_size: 32, intermediate_size: 88, num_hidden_layers: 2, num_attention_heads: 4,
  num_key_value_heads: 2, rms_norm_eps: 1e-5, rope_theta: 10000, max_position_embeddings: 256, tie_word_embeddings: true };
const [k1, k2] = random.split(random.key(0), 2);
let params: SafekeyParams = { model: initParams(k1, config), head: initSafetyHead(k2, config.hidden_size) };
const objective = (p: SafekeyParams, b: BatchTensors): Tensor => {
  const plain = forward(p.model, config, b.ids, { padding: b.padding });
  const masked = forward(p.model, config, b.ids, { padding: b.padding, keyMask: b.promptMask }); // the query is hidden
  const sft = sftLoss(plain.logits, b).batch, qmm = qmmLoss(masked.logits, b).batch, dpsh = dpshLoss(plain.hidden, p.head, b).batch;
  return add(add(sft, mul(qmm, 0.2)), mul(dpsh, 0.2));
};

// 4. AdamW with a cosine schedule.
const step = valueAndGrad(objective);
let opt = initAdamW(params);
for (let i = 0; i < steps; i++) {
  const [loss, grads] = step(params, batch);
  ({ params, state: opt } = noGrad(() => adamwUpdate(params, grads, opt, scalar(cosineLr({ peakLr: 3e-3, warmupSteps: 2, totalSteps: steps }, i)))));
  if (i % 10 === 0 || i === steps - 1) console.log(`step ${i} loss ${loss.item().toFixed(4)}`);
}
const saved = await saveCheckpoint(out, { config, params: params.model, head: params.head, tokenizer: tok });
if (E.isLeft(saved)) throw new Error(saved.left.message);
console.log(`saved ${out}`);
