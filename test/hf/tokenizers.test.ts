import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as E from 'fp-ts/lib/Either.js';
import { buildTokenizer, decode, encode, readTokenizerFile, toTokenizerJson, tokenizerSpecFromJson, type Tokenizer } from '@safekey-ts/hf';
import { KINDS, cli, codePointOffsets, encodings, hfDir } from './fixtures.js';

const { texts, kinds } = encodings();
const load = async (kind: string): Promise<Tokenizer> => {
  const t = await readTokenizerFile(`${hfDir}tokenizers/${kind}/tokenizer.json`);
  if (E.isLeft(t)) throw new Error(t.left.message);
  return t.right;
};

// Tokenizers built with the `tokenizers` library as the real models ship them; the expected values are its own
// encode/decode over unicode, CJK, emoji, code, whitespace runs, special tokens inside text, and random mixtures.
for (const kind of KINDS) {
  describe(`${kind} tokenizer against tokenizers`, async () => {
    const tok = await load(kind);
    const rows = kinds[kind]!;

    test(`encode: ids and character offsets of all ${texts.length} texts, with and without special tokens`, () => {
      texts.forEach((text, i) => {
        const want = rows[i]!;
        const e = encode(tok, text, { addSpecialTokens: true });
        assert.deepEqual(e.ids, want.ids, JSON.stringify(text));
        assert.deepEqual(codePointOffsets(text, e.offsets), want.offsets, `offsets of ${JSON.stringify(text)}`);
        assert.deepEqual(encode(tok, text).ids, want.plain_ids, JSON.stringify(text));
      });
    });

    test('decode, with and without special tokens', () => {
      texts.forEach((text, i) => {
        assert.equal(decode(tok, rows[i]!.ids), rows[i]!.decoded, JSON.stringify(text));
        assert.equal(decode(tok, rows[i]!.ids, { skipSpecialTokens: true }), rows[i]!.decoded_skip, JSON.stringify(text));
      });
    });

    test('written back as tokenizer.json, it reads as the same tokenizer', () => {
      const again = tokenizerSpecFromJson(JSON.parse(JSON.stringify(toTokenizerJson(tok))));
      assert.ok(E.isRight(again), E.isLeft(again) ? again.left.message : '');
      const rebuilt = buildTokenizer({ ...again.right, config: tok.config });
      assert.ok(E.isRight(rebuilt));
      for (const key of ['normalizer', 'preTokenizer', 'model', 'addedTokens', 'postProcessor', 'decoder'] as const)
        assert.deepEqual(rebuilt.right[key], tok[key], key);
    });

    test('safekey tokenizer encode --json prints tokenizers\' ids and code-point offsets', async () => {
      const some = texts.filter((_, i) => i % 7 === 0);
      const r = await cli('tokenizer', 'encode', '--tokenizer', `${hfDir}tokenizers/${kind}/tokenizer.json`, ...some.flatMap((t) => ['--text', t]), '--json');
      assert.equal(r.code, 0, r.err);
      const lines = r.out.split('\n').map((l) => JSON.parse(l));
      assert.equal(lines.length, some.length);
      lines.forEach((line, j) => {
        const want = rows[texts.indexOf(some[j]!)]!;
        assert.deepEqual(line, { ids: want.ids, offsets: want.offsets });
      });
    });
  });
}
