import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import * as E from 'fp-ts/lib/Either.js';
import fc from 'fast-check';
import { BYTE_TO_CHAR, CHAT_TEMPLATE_FILE, DEFAULT_CHAT_TEMPLATE, EMPTY_TOKENIZER_CONFIG, TOKENIZER_CONFIG_FILE, TOKENIZER_FILE, buildTokenizer, decode, encode, loadTokenizer, promptText, saveTokenizer, toTokenizerConfigJson, toTokenizerJson, tokenizerSpecFromJson, trainBpe, type Tokenizer } from '@safekey-ts/hf';
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
  '<|user|>How do I bake bread?<|end_of_turn|><|assistant|><think>\nThe user wants bread.\nStep one.\n</think>\n\nMix flour.<|eos|>',
  '<|eos|><|pad|>x<think></think><|user|><|assistant|><|end_of_turn|>',
  '<|user|<thinking> </think > <|eos',
  '\uFEFFbom 123456789 3.14159 $100 #tag @name',
];

/** `@huggingface/tokenizers` loaded from the tokenizer's JSON (what a saved tokenizer.json holds). */
const hfFor = (t: Tokenizer) => new HfTokenizer(toTokenizerJson(t), toTokenizerConfigJson(t.config));

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
    const specials = tok.addedTokens.map((s) => s.content);
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
    const big = `x${' '.repeat(200_000)}y${'7'.repeat(100_000)}`;
    assert.equal(decode(tok, encode(tok, big).ids), big);
  });

  test('a hand-built vocab where two merge paths make the same token', () => {
    // 'abc' is reachable as a+bc and as ab+c; both merges must resolve to the one id.
    const vocab = [...BYTE_TO_CHAR, '<|eos|>', 'ab', 'bc', 'abc'];
    const id = (s: string) => vocab.indexOf(s);
    const t = unwrap(buildTokenizer({
      normalizer: null,
      preTokenizer: { type: 'ByteLevel', addPrefixSpace: false, trimOffsets: true, useRegex: true },
      model: {
        vocab: vocab.map((v, i) => (i === 256 ? null : v)), unkToken: null, byteFallback: false, fuseUnk: false, ignoreMerges: false,
        merges: [[id('b'), id('c')], [id('a'), id('b')], [id('a'), id('bc')], [id('ab'), id('c')]],
      },
      addedTokens: [{ id: 256, content: '<|eos|>', special: true, normalized: false, lstrip: false, rstrip: false, singleWord: false }],
      postProcessor: null,
      decoder: { type: 'ByteLevel', addPrefixSpace: true, trimOffsets: true, useRegex: true },
      config: { ...EMPTY_TOKENIZER_CONFIG, chatTemplate: DEFAULT_CHAT_TEMPLATE, eosToken: '<|eos|>' },
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
    for (const key of ['normalizer', 'preTokenizer', 'model', 'addedTokens', 'postProcessor', 'decoder', 'config'] as const)
      assert.deepEqual(loaded[key], tok[key], key);
    assert.equal(await readFile(join(dir, CHAT_TEMPLATE_FILE), 'utf8'), DEFAULT_CHAT_TEMPLATE);
    const json = JSON.parse(await readFile(join(dir, TOKENIZER_FILE), 'utf8'));
    const config = JSON.parse(await readFile(join(dir, TOKENIZER_CONFIG_FILE), 'utf8'));
    assert.equal(json.model.type, 'BPE');
    assert.equal(json.pre_tokenizer.type, 'ByteLevel');
    assert.equal(json.decoder.type, 'ByteLevel');
    assert.ok(json.added_tokens.every((a: { special: boolean }) => a.special));
    assert.deepEqual({ eos: config.eos_token, pad: config.pad_token, cls: config.tokenizer_class }, { eos: '<|eos|>', pad: '<|pad|>', cls: 'PreTrainedTokenizerFast' });
    const hf = new HfTokenizer(json, config);
    for (const s of SAMPLES) {
      assert.deepEqual(hf.encode(s, { add_special_tokens: false }).ids, encode(loaded, s).ids);
      assert.equal(decode(loaded, encode(loaded, s).ids), s);
    }
  });

  test('a custom chat template is stored in chat_template.jinja and restored', async () => {
    const custom = "{% for m in messages %}Q: {{ m['content'] }}\nA:{% endfor %}";
    const t = unwrap(trainBpe(chatCorpus(50), { vocabSize: 300, chatTemplate: custom }));
    const dir = await tempDir();
    unwrap(await saveTokenizer(dir, t));
    const loaded = unwrap(await loadTokenizer(dir));
    assert.equal(loaded.config.chatTemplate, custom);
    assert.deepEqual(promptText(loaded, 'x'), E.right('Q: x\nA:'));
  });

  test('a template in tokenizer_config.json: a string, or the one named "default" of a list; chat_template.jinja wins', async () => {
    const dir = await tempDir();
    unwrap(await saveTokenizer(dir, { ...tok, config: { ...tok.config, chatTemplate: null } }));
    const config = JSON.parse(await readFile(join(dir, TOKENIZER_CONFIG_FILE), 'utf8'));
    const withConfig = async (chat_template: unknown) => {
      await writeFile(join(dir, TOKENIZER_CONFIG_FILE), JSON.stringify({ ...config, chat_template }));
      return loadTokenizer(dir);
    };
    assert.equal(unwrap(await withConfig('A{{ messages[0].content }}')).config.chatTemplate, 'A{{ messages[0].content }}');
    assert.equal(unwrap(await withConfig([{ name: 'tool_use', template: 'T' }, { name: 'default', template: 'D' }])).config.chatTemplate, 'D');
    const none = await withConfig([{ name: 'tool_use', template: 'T' }]);
    assert.ok(E.isLeft(none) && /tokenizer_config\.json: chat_template: a list of templates without one named "default" \(has "tool_use"\)/.test(none.left.message));
    const bad = await withConfig(42);
    assert.ok(E.isLeft(bad) && /tokenizer_config\.json: chat_template: expected chat_template \(a string or a list of \{name, template\}\), got 42/.test(bad.left.message), E.isLeft(bad) ? bad.left.message : '');
    await writeFile(join(dir, CHAT_TEMPLATE_FILE), 'J');
    assert.equal(unwrap(await withConfig('A')).config.chatTemplate, 'J');
  });

  test('malformed files give Left values naming the file and field', async () => {
    const json = toTokenizerJson(tok) as { model: Record<string, any>; pre_tokenizer: Record<string, unknown>; added_tokens: Record<string, unknown>[] };
    const message = (j: unknown) => {
      const r = tokenizerSpecFromJson(j);
      return E.isLeft(r) ? r.left.message : 'Right';
    };
    const clone = () => JSON.parse(JSON.stringify(json));

    let j = clone(); j.model.type = 'WordPiece';
    assert.match(message(j), /^tokenizer\.json: model\.type: type "WordPiece" is not supported \(supported: BPE\)/);
    j = clone(); delete j.model.merges;
    assert.match(message(j), /^tokenizer\.json: model\.merges: expected Array<.*>, got nothing/);
    j = clone(); j.model.merges[3] = 42;
    assert.match(message(j), /model\.merges\[3\]: expected merge/);
    j = clone(); j.model.merges[5] = ['Ġzz', 'qq'];
    assert.match(message(j), /model\.merges\[5\]: "Ġzz" is not in the vocab/);
    j = clone(); j.model.vocab['Ġ'] = 100000;
    assert.match(message(j), /^tokenizer\.json: model\.vocab: no token has id 32 /);
    j = clone(); j.model.vocab['Ġ'] = 33;
    assert.match(message(j), /^tokenizer\.json: 2 problems: model\.vocab: id 33 is used by both "Ġ" and "!"; model\.vocab: no token has id 32 /);
    j = clone(); j.added_tokens[0]!.id = 36;
    assert.match(message(j), /added_tokens\[0\]: id 36, but tokenizers gives "<\|pad\|>" id 256 /);
    // tokenizers numbers the added tokens that are not in the model's vocab after the model's tokens, whatever the file says
    j = clone(); delete j.model.vocab['<|pad|>'];
    assert.match(message(j), /added_tokens\[0\]: id 256, but tokenizers gives "<\|pad\|>" id 511 \(an added token not in model\.vocab takes the next id after the model's 511 tokens\)/);
    assert.match(message('nope'), /^tokenizer\.json: \(root\): expected tokenizer\.json, got "nope"/);
  });

  test('one load lists every part it cannot run, each named by its path', () => {
    const j = JSON.parse(JSON.stringify(toTokenizerJson(tok)));
    j.normalizer = { type: 'Sequence', normalizers: [{ type: 'NFC' }, { type: 'BertNormalizer', lowercase: true }] };
    j.pre_tokenizer = { type: 'Sequence', pretokenizers: [{ type: 'Whitespace' }, { type: 'Split', pattern: { Regex: '\\w+' }, behavior: 'Isolated', invert: false }] };
    j.post_processor = { type: 'RobertaProcessing', sep: ['</s>', 2], cls: ['<s>', 0] };
    j.decoder = { type: 'WordPiece', prefix: '##' };
    j.model.continuing_subword_prefix = '##';
    j.truncation = { max_length: 8 };
    const r = tokenizerSpecFromJson(j, 'x/tokenizer.json');
    assert.ok(E.isLeft(r));
    const msg = r.left.message;
    assert.match(msg, /^x\/tokenizer\.json: 7 problems: /);
    for (const part of [
      'truncation: truncation in tokenizer.json is not supported (it must be null)',
      'normalizer.normalizers[1]: type "BertNormalizer" is not supported (supported: NFC, Prepend, Replace, Sequence)',
      'pre_tokenizer.pretokenizers[0]: type "Whitespace" is not supported (supported: ByteLevel, Split, Metaspace, Digits, Sequence)',
      'pre_tokenizer.pretokenizers[1].pattern: regex "\\\\w+": the escape \\w is not supported',
      'model.continuing_subword_prefix: "##" is not supported (only null or "")',
      'post_processor: type "RobertaProcessing" is not supported (supported: ByteLevel, TemplateProcessing, Sequence)',
      'decoder: type "WordPiece" is not supported (supported: ByteLevel, Metaspace, ByteFallback, Fuse, Strip, Replace, Sequence)',
    ]) assert.ok(msg.includes(part), `${part}\nin: ${msg}`);
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
