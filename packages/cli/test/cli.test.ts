import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as E from 'fp-ts/lib/Either.js';
import { random } from '@safekey-ts/core';
import { generate } from '@safekey-ts/safekey';
import { encode, loadCheckpoint, promptText } from '@safekey-ts/hf';
import { COMMANDS, integer, number, optional, parseFlags, repeated, required, runCli, switchFlag, text, withDefault } from '@safekey-ts/cli';

const bin = fileURLToPath(new URL('../bin/safekey.mjs', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'safekey-cli-'));
after(() => rmSync(root, { recursive: true, force: true }));

interface Ran { code: number; out: string; err: string }
/** The CLI as a child process, as a user runs it. */
const cli = (...args: string[]) => new Promise<Ran>((resolve) => {
  execFile(process.execPath, [bin, ...args], { cwd: root }, (error, out, err) => resolve({ code: error ? (error.code as number) : 0, out, err }));
});
/** The CLI in this process (fast), with its output captured. */
async function inProcess(...args: string[]): Promise<Ran> {
  const out: string[] = [], err: string[] = [];
  const code = await runCli(args, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}
const oneLine = (r: Ran) => {
  assert.equal(r.err.trim().split('\n').length, 1, `one line on stderr, got:\n${r.err}`);
  assert.doesNotMatch(r.err, /\n\s+at /, 'no stack trace');
};

const config = {
  model_type: 'llama', vocab_size: 272, hidden_size: 16, intermediate_size: 24, num_hidden_layers: 1, num_attention_heads: 2, num_key_value_heads: 1,
  rms_norm_eps: 1e-5, rope_theta: 10000, max_position_embeddings: 64, tie_word_embeddings: true,
};
writeFileSync(join(root, 'config.json'), JSON.stringify(config));
writeFileSync(join(root, 'bad-config.json'), JSON.stringify({ ...config, num_attention_heads: 3 }));
writeFileSync(join(root, 'corpus.txt'), 'the cat sat on the mat\nthe cat sat on the hat\n'.repeat(5));

describe('safekey CLI (child processes: the bin, end to end)', () => {
  test('--help works through the bin', async () => {
    const r = await cli('--help');
    assert.equal(r.code, 0);
    for (const c of ['init', 'generate', 'tokenizer train']) assert.match(r.out, new RegExp(`\\n  ${c} `));
  });

  test('init, then generate: the printed answer is what the library generates from the saved checkpoint', async () => {
    const init = await cli('init', '--config', 'config.json', '--out', 'ck', '--seed', '5');
    assert.equal(init.code, 0, init.err);
    assert.match(init.out, /^wrote ck: llama model, \d+ parameters, safety head, tokenizer of 263 tokens/);
    const [greedy, sampled] = await Promise.all([
      cli('generate', '--checkpoint', 'ck', '--prompt', 'hi there', '--max-new-tokens', '6', '--json'),
      cli('generate', '--checkpoint', 'ck', '--prompt', 'hi', '--max-new-tokens', '5', '--temperature', '0.8', '--top-p', '0.9', '--seed', '2', '--prefix', 'Sure', '--json'),
    ]);
    assert.equal(greedy.code, 0, greedy.err);
    assert.equal(sampled.code, 0, sampled.err);
    const c = await loadCheckpoint(join(root, 'ck'));
    if (E.isLeft(c)) throw new Error(c.left.message);
    const { params, tokenizer: tok } = c.right;
    assert.ok(c.right.head, 'init writes a safety head');
    const g = JSON.parse(greedy.out);
    const prompt = (q: string) => { const p = promptText(tok, q); if (E.isLeft(p)) throw new Error(p.left); return p.right; };
    const ids = encode(tok, prompt('hi there')).ids;
    assert.deepEqual(g.prompt_ids, ids);
    const eos = c.right.tokenIds.eos;
    assert.deepEqual(eos, [tok.addedIds.get('<|eos|>')]);
    const expected = generate(params, c.right.config, ids, { maxNewTokens: 6, stopTokens: eos });
    assert.deepEqual(g.ids, expected.ids);
    assert.equal(g.finish_reason, expected.finishReason);
    const s = JSON.parse(sampled.out);
    const prefix = encode(tok, 'Sure').ids;
    assert.deepEqual(s.ids.slice(0, prefix.length), prefix);
    assert.ok(s.text.startsWith('Sure'));
    const again = generate(params, c.right.config, encode(tok, prompt('hi')).ids,
      { maxNewTokens: 5, temperature: 0.8, topP: 0.9, key: random.key(2), prefix, stopTokens: eos });
    assert.deepEqual(s.ids, again.ids);
  });

  test('tokenizer train, then init with that tokenizer', async () => {
    const r = await cli('tokenizer', 'train', '--corpus', 'corpus.txt', '--vocab-size', '270', '--out', 'tok/tokenizer.json');
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /wrote tok\/tokenizer\.json: 270 tokens, 7 merges/);
    assert.equal(JSON.parse(readFileSync(join(root, 'tok/tokenizer.json'), 'utf8')).model.type, 'BPE');
    const init = await cli('init', '--config', 'config.json', '--out', 'ck-tok', '--tokenizer', 'tok/tokenizer.json');
    assert.equal(init.code, 0, init.err);
    assert.match(init.out, /tokenizer of 270 tokens/);
  });

  test('a bad flag: one line and exit code 2; a missing file or a bad config: one line and exit code 1', async () => {
    const [flag, value, missing, bad] = await Promise.all([
      cli('generate', '--checkpoint', 'ck', '--prompt', 'x', '--tempreature', '1'),
      cli('init', '--config', 'config.json', '--out', 'x', '--seed', 'abc'),
      cli('generate', '--checkpoint', 'no-such-dir', '--prompt', 'x'),
      cli('init', '--config', 'bad-config.json', '--out', 'x'),
    ]);
    assert.equal(flag.code, 2); oneLine(flag);
    assert.match(flag.err, /^safekey generate: unknown flag --tempreature \(see 'safekey generate --help'\)\n$/);
    assert.equal(value.code, 2); oneLine(value);
    assert.match(value.err, /--seed: expected an integer >= 0, got 'abc'/);
    assert.equal(missing.code, 1); oneLine(missing);
    assert.match(missing.err, /no-such-dir: no such checkpoint directory/);
    assert.equal(bad.code, 1); oneLine(bad);
    assert.match(bad.err, /^safekey init: bad-config\.json: .*not divisible by/);
  });
});

describe('safekey CLI (in process)', () => {
  test('--help on every command and group', async () => {
    for (const c of COMMANDS) {
      const r = await inProcess(...c.path, '--help');
      assert.equal(r.code, 0);
      assert.match(r.out, new RegExp(`^usage: safekey ${c.path.join(' ')} \\[flags\\]`));
      assert.match(r.out, /--help +show this help/);
    }
    const group = await inProcess('tokenizer', '--help');
    assert.equal(group.code, 0);
    assert.match(group.out, /tokenizer train/);
    const init = await inProcess('init', '-h');
    assert.match(init.out, /--config FILE +a Hugging Face config\.json \(model_type llama, qwen2 or mistral\) \(required\)/);
    assert.match(init.out, /--seed N +the random seed \(default 0\)/);
  });
  test('usage errors: exit 2 and one line', async () => {
    for (const args of [[], ['frob'], ['--frob'], ['tokenizer'], ['init', 'extra'], ['init', '--config'], ['init', '--out', 'x'],
      ['generate', '--checkpoint', 'a', '--prompt', 'b', '--top-p', '1.5'], ['generate', '--checkpoint', 'a', '--checkpoint', 'b', '--prompt', 'c'],
      ['generate', '--raw=yes', '--checkpoint', 'a', '--prompt', 'b'], ['tokenizer', 'train', '--corpus', 'c', '--out', 'o', '--vocab-size', '10']]) {
      const r = await inProcess(...args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.err}`);
      if (args.length > 1 || args[0]?.startsWith('--')) oneLine(r);
    }
  });
});

describe('flag parsing', () => {
  const spec = {
    name: required(text, 'TEXT', 'a name'),
    count: withDefault(integer(1, 9), 'N', 'a count', 3),
    scale: optional(number({ above: 0 }), 'X', 'a scale'),
    tag: repeated(text, 'TAG', 'tags'),
    loud: switchFlag('shout'),
  };
  test('values are decoded and typed; defaults fill in', () => {
    const r = parseFlags(spec, ['--name', 'a b', '--tag', 'x', '--scale=0.5', '--tag=y', '--loud']);
    assert.deepEqual(r, E.right({ help: false, values: { name: 'a b', count: 3, scale: 0.5, tag: ['x', 'y'], loud: true } }));
    assert.deepEqual(parseFlags(spec, ['--name=', '--count', '9']), E.right({ help: false, values: { name: '', count: 9, scale: undefined, tag: [], loud: false } }));
  });
  test('every mistake is one message naming the flag', () => {
    const msg = (argv: string[]) => { const r = parseFlags(spec, argv); return E.isLeft(r) ? r.left : 'ok'; };
    assert.equal(msg([]), 'missing --name TEXT');
    assert.equal(msg(['--name', 'a', '--count', '10']), "--count: expected an integer from 1 to 9, got '10'");
    assert.equal(msg(['--name', 'a', '--scale', '-1']), "--scale: expected a number > 0, got '-1'");
    assert.equal(msg(['--name', 'a', '--nme', 'b']), 'unknown flag --nme');
    assert.equal(msg(['--name']), '--name needs a value TEXT');
    assert.equal(msg(['--name', 'a', 'b']), "unexpected argument 'b'");
    assert.equal(msg(['--name', 'a', '--name', 'b']), '--name given more than once');
    assert.equal(msg(['--name', 'a', '--loud=1']), '--loud takes no value');
  });
});
