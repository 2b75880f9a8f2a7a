import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import * as E from 'fp-ts/lib/Either.js';
import fc from 'fast-check';
import { BYTE_TO_CHAR, DEFAULT_CHAT_TEMPLATE, TOKENIZER_CONFIG_FILE, TOKENIZER_FILE, buildTokenizer, decode, encode, formatPrompt, formatResponse, loadTokenizer, saveTokenizer, toTokenizerConfig, toTokenizerJson, tokenizerFromJson, trainBpe, type Tokenizer } from '@safekey-ts/hf';
import { chatCorpus } from './fixtures/corpus.js';

const unwrap = <A>(r: E.Either<{ message: string }, A>): A => {
  if (E.isLeft(r)) throw new Error(r.left.message);
  return r.right;
};

const tok: Tokenizer = unwrap(trainBpe(chatCorpus(600), { vocabSize: 512 }));

const SAMPLES = [
  'The user wants to know how to bake bread. Let me lay out the steps.',
  "What is 17 + 25 - 8? It's 34, isn't it? We'll see... they're sure.",
  '  multiple   spaces\n\n\tand tabs  \r\n',
  '日本語のテキスト、中文，한국어 🎉 👩‍👩‍👧 café naïve e\u0301 Ωmega \u{1F9EC}',
  formatPrompt(tok, 'How do I bake bread?') + formatResponse(tok, { reasoning: 'The user wants bread.\nStep one.', answer: 'Mix flour.' }),
  '<|eos|><|pad|>x<think></think><|user|><|assistant|><|end_of_turn|>',
  '<|user|<thinking> </think > <|eos',
  '\uFEFFbom 123456789 3.14159 $100 #tag @name',
];

/** `@huggingface/tokenizers` loaded from the tokenizer's JSON (what a saved tokenizer.json holds). */
const hfFor = (t: Tokenizer) => new HfTokenizer(toTokenizerJson(t), toTokenizerConfig(t));

describe('@huggingface/tokenizers reproduces our ids', () => {
  const hf = hfFor(tok);

  test('sample texts: plain, special tokens, unicode', () => {
    for (const s of [...SAMPLES, ...chatCorpus(40, 99)]) {
      const ours = encode(tok, s).ids;
      assert.deepEqual(hf.encode(s, { add_special_tokens: false }).ids, ours, JSON.stringify(s));
      assert.equal(hf.decode(ours, { clean_up_tokenization_spaces: false }), s);
    }
  });

  test('random texts (property)', () => {
    const specials = tok.specialTokens.map((s) => s.content);
    const piece = fc.oneof(
      { weight: 4, arbitrary: fc.string({ unit: 'grapheme', maxLength: 12 }) },
      { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 6 }) },
      { weight: 1, arbitrary: fc.constantFrom(...specials) },
    );
    fc.assert(fc.property(fc.array(piece, { maxLength: 6 }), (parts) => {
      const s = parts.join('');
      assert.deepEqual(hf.encode(s, { add_special_tokens: false }).ids, encode(tok, s).ids);
    }), { numRuns: 300 });
  });

  test('long runs (one pre-token of thousands of bytes) encode fast and agree', () => {
    for (const s of [' '.repeat(3000), '1'.repeat(3000), '='.repeat(3000), 'ab'.repeat(1500), '日本'.repeat(700)]) {
      const ours = encode(tok, s).ids;
      assert.deepEqual(hf.encode(s, { add_special_tokens: false }).ids, ours, s.slice(0, 5));
    }
    const t0 = performance.now();
    const big = `x${' '.repeat(200_000)}y${'7'.repeat(100_000)}`;
    assert.equal(decode(tok, encode(tok, big).ids), big);
    assert.ok(performance.now() - t0 < 5000);
  });

  test('a hand-built vocab where two merge paths make the same token', () => {
    // 'abc' is reachable as a+bc and as ab+c; both merges must resolve to the one id.
    const vocab = [...BYTE_TO_CHAR, '<|eos|>', 'ab', 'bc', 'abc'];
    const id = (s: string) => vocab.indexOf(s);
    const t = unwrap(buildTokenizer({
      vocab,
      merges: [[id('b'), id('c')], [id('a'), id('b')], [id('a'), id('bc')], [id('ab'), id('c')]],
      specialTokens: [{ content: '<|eos|>', id: 256 }],
      chatTemplate: DEFAULT_CHAT_TEMPLATE,
    }));
    const h = hfFor(t);
    for (const s of ['abc', 'abcabc', 'aabcc', 'ab bc abc<|eos|>', 'cba']) {
      assert.deepEqual(h.encode(s, { add_special_tokens: false }).ids, encode(t, s).ids, s);
    }
    assert.deepEqual(encode(t, 'abc').ids, [id('abc')]);
  });
});

describe('tokenizer.json files', () => {
  const dirs: string[] = [];
  const tempDir = async () => { const d = await mkdtemp(join(tmpdir(), 'safekey-tok-')); dirs.push(d); return d; };
  after(async () => { for (const d of dirs) await rm(d, { recursive: true, force: true }); });

  test('save then load gives the same tokenizer; the files load in @huggingface/tokenizers', async () => {
    const dir = await tempDir();
    unwrap(await saveTokenizer(dir, tok));
    const loaded = unwrap(await loadTokenizer(dir));
    assert.deepEqual(loaded.vocab, tok.vocab);
    assert.deepEqual(loaded.merges, tok.merges);
    assert.deepEqual(loaded.specialTokens, tok.specialTokens);
    assert.deepEqual(loaded.chatTemplate, tok.chatTemplate);
    const json = JSON.parse(await readFile(join(dir, TOKENIZER_FILE), 'utf8'));
    const config = JSON.parse(await readFile(join(dir, TOKENIZER_CONFIG_FILE), 'utf8'));
    assert.equal(json.model.type, 'BPE');
    assert.equal(json.pre_tokenizer.type, 'ByteLevel');
    assert.equal(json.decoder.type, 'ByteLevel');
    assert.ok(json.added_tokens.every((a: { special: boolean }) => a.special));
    const hf = new HfTokenizer(json, config);
    for (const s of SAMPLES) {
      assert.deepEqual(hf.encode(s, { add_special_tokens: false }).ids, encode(loaded, s).ids);
      assert.equal(decode(loaded, encode(loaded, s).ids), s);
    }
  });

  test('a custom chat template is stored and restored', async () => {
    const custom = { prompt: 'Q: {query}\nA:', response: '<think>{reasoning}</think>{answer}<|eos|>' };
    const t = unwrap(trainBpe(chatCorpus(50), { vocabSize: 300, chatTemplate: custom }));
    const dir = await tempDir();
    unwrap(await saveTokenizer(dir, t));
    const loaded = unwrap(await loadTokenizer(dir));
    assert.deepEqual(loaded.chatTemplate, custom);
    assert.equal(formatPrompt(loaded, 'x'), 'Q: x\nA:');
  });

  test('malformed files give Left values naming the file and field', async () => {
    const json = toTokenizerJson(tok) as { model: Record<string, unknown>; pre_tokenizer: Record<string, unknown> };
    const config = toTokenizerConfig(tok);
    const message = (j: unknown, c: unknown = config) => {
      const r = tokenizerFromJson(j, c);
      return E.isLeft(r) ? r.left.message : 'Right';
    };
    const clone = () => JSON.parse(JSON.stringify(json));

    let j = clone(); j.model.type = 'WordPiece';
    assert.match(message(j), /^tokenizer\.json: model\.type: expected "BPE", got "WordPiece"/);
    j = clone(); delete j.model.merges;
    assert.match(message(j), /^tokenizer\.json: model\.merges: expected Array<.*>, got nothing/);
    j = clone(); j.model.merges[3] = 42;
    assert.match(message(j), /model\.merges\[3\]: expected merge/);
    j = clone(); j.model.merges[5] = 'Ġzz qq';
    assert.match(message(j), /model\.merges\[5\]: "Ġzz" is not in model\.vocab/);
    j = clone(); j.pre_tokenizer.add_prefix_space = true;
    assert.match(message(j), /pre_tokenizer\.add_prefix_space: expected false, got true/);
    j = clone(); j.model.vocab['Ġ'] = 100000;
    assert.match(message(j), /^tokenizer\.json: model\.vocab: no token has id 32 /);
    j = clone(); delete j.model.vocab['Ċ'];
    assert.match(message(j), /^tokenizer\.json: model\.vocab: no token has id 10 \(ids must be 0\.\.N-1\)/);
    j = clone(); j.model.merges = []; j.model.vocab[tok.vocab[511]!] = 10; delete j.model.vocab['Ċ'];
    assert.match(message(j), /^tokenizer\.json: vocab: no token for byte 0x0a \("Ċ"\)/);
    j = clone(); j.model.vocab['Ġ'] = 33;
    assert.match(message(j), /^tokenizer\.json: model\.vocab: id 33 is used by both "Ġ" and "!"/);
    j = clone(); j.added_tokens[0].id = 36;
    assert.match(message(j), /added_tokens\[0\]: id 36 is "<\|pad\|>" but model\.vocab has "\$" there/);
    j = clone(); j.added_tokens[0].lstrip = true;
    assert.match(message(j), /added_tokens\[0\]\.lstrip: expected false, got true/);
    assert.match(message(json, { safekey_chat_template: { prompt: 'x', response: '{reasoning}{answer}' } }),
      /^tokenizer_config\.json: safekey_chat_template: prompt: missing placeholder \{query\}/);
    assert.match(message(json, {}), /^tokenizer_config\.json: safekey_chat_template: expected ChatTemplate, got nothing/);
    assert.match(message('nope'), /^tokenizer\.json: \(root\): expected tokenizer\.json, got "nope"/);
  });

  test('missing or non-JSON files give Left values naming the path', async () => {
    const dir = await tempDir();
    const missing = await loadTokenizer(dir);
    assert.ok(E.isLeft(missing) && missing.left.message.includes(join(dir, TOKENIZER_FILE)));
    await writeFile(join(dir, TOKENIZER_FILE), '{ not json');
    const bad = await loadTokenizer(dir);
    assert.ok(E.isLeft(bad) && /tokenizer\.json: not valid JSON/.test(bad.left.message), E.isLeft(bad) ? bad.left.message : '');
  });
});
