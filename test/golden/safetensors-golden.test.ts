// The golden checkpoint's files, written by PyTorch (test/fixtures/golden/tiny-llama), read by the project's
// safetensors reader: names, shapes and values as config.json and the fixture say.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import * as E from 'fp-ts/lib/Either.js';
import { expectTensor, parseSafetensors, readSafetensorsFile, serializeSafetensors, type Safetensors } from '@safekey-ts/hf';
import { goldenPath } from './golden.js';

const unwrap = <A>(e: E.Either<unknown, A>): A => { if (E.isLeft(e)) throw new Error(JSON.stringify(e.left)); return e.right; };
const golden = goldenPath;

describe('golden tiny-llama checkpoint', () => {
  test('reads the PyTorch-written file; names and shapes follow config.json', async () => {
    const cfg = JSON.parse(readFileSync(join(golden, 'config.json'), 'utf8')) as Record<string, number>;
    const file = join(golden, 'model.safetensors');
    const st: Safetensors = unwrap(await readSafetensorsFile(file));
    const [V, D, F, L] = [cfg['vocab_size']!, cfg['hidden_size']!, cfg['intermediate_size']!, cfg['num_hidden_layers']!];
    const kv = (D / cfg['num_attention_heads']!) * cfg['num_key_value_heads']!;
    const expected: [string, number[]][] = [['model.embed_tokens.weight', [V, D]], ['model.norm.weight', [D]], ['lm_head.weight', [V, D]]];
    for (let l = 0; l < L; l++) {
      const p = `model.layers.${l}.`;
      expected.push([`${p}input_layernorm.weight`, [D]], [`${p}post_attention_layernorm.weight`, [D]],
        [`${p}self_attn.q_proj.weight`, [D, D]], [`${p}self_attn.k_proj.weight`, [kv, D]], [`${p}self_attn.v_proj.weight`, [kv, D]],
        [`${p}self_attn.o_proj.weight`, [D, D]], [`${p}mlp.gate_proj.weight`, [F, D]], [`${p}mlp.up_proj.weight`, [F, D]],
        [`${p}mlp.down_proj.weight`, [D, F]]);
    }
    for (const [name, shape] of expected) assert.equal(unwrap(expectTensor(st.tensors, name, shape, file)).dtype, 'F32');
    assert.equal(st.tensors.size, expected.length);
    const norm = st.tensors.get('model.norm.weight')!.data;
    assert.deepEqual(Array.from(norm.subarray(0, 2)), [1.0163277387619019, 0.9959955215454102]);
    const emb = st.tensors.get('model.embed_tokens.weight')!.data;
    let sum = 0;
    for (const x of emb) sum += x;
    assert.ok(Math.abs(sum - -4.677903211086232) < 1e-9, `${sum}`);
    const head = unwrap(await readSafetensorsFile(join(golden, 'safety_head.safetensors')));
    unwrap(expectTensor(head.tensors, 'safety_head.context.weight', [1, D], 'safety_head.safetensors'));
    // Re-serialising gives a file that parses to the same tensors.
    const again = unwrap(parseSafetensors(serializeSafetensors(Object.fromEntries(
      [...st.tensors].map(([k, t]) => [k, { dtype: 'F32' as const, shape: t.shape, data: t.data }]))), 'again'));
    assert.deepEqual(again.tensors, st.tensors);
  });
});
