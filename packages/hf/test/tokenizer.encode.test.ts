import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as E from 'fp-ts/lib/Either.js';
import fc from 'fast-check';
import { charSpanToTokenSpan, charToTokenBoundary } from '@safekey-ts/safekey';
import { CHAT_SPECIAL_TOKENS, byteLevelToBytes, decode, encode, gpt2Pieces, promptText, trainBpe, type Tokenizer } from '@safekey-ts/hf';
import { chatCorpus } from './fixtures/corpus.js';

const tok: Tokenizer = (() => {
  const r = trainBpe(chatCorpus(600), { vocabSize: 512 });
  if (E.isLeft(r)) throw new Error(r.left.message);
  return r.right;
})();

const utf8 = (s: string) => new TextEncoder().encode(s);
const bytesOf = (id: number) => (tok.specialIds.has(id) ? null : byteLevelToBytes(tok.tokens[id]!));
const idOf = (s: string) => tok.addedIds.get(s)!;
const prompt = (q: string) => { const r = promptText(tok, q); if (E.isLeft(r)) throw new Error(r.left); return r.right; };
const response = (reasoning: string, answer: string) => `<think>\n${reasoning}\n</think>\n\n${answer}<|eos|>`;

/** The offsets rule: spans tile the text except where one character is split, and hold the token's bytes. */
function checkOffsets(text: string): void {
  const { ids, offsets } = encode(tok, text);
  assert.equal(ids.length, offsets.length);
  if (text.length === 0) return assert.equal(ids.length, 0);
  assert.equal(offsets[0]![0], 0);
  assert.equal(offsets.at(-1)![1], text.length);
  for (let i = 0; i < offsets.length; i++) {
    const [s, e] = offsets[i]!;
    assert.ok(s < e, `token ${i} has an empty span`);
    if (i > 0) {
      const [ps, pe] = offsets[i - 1]!;
      assert.ok(ps <= s && pe <= e && s <= pe, `spans ${i - 1} and ${i} out of order`);
    }
    const bytes = bytesOf(ids[i]!);
    const spanBytes = utf8(text.slice(s, e));
    if (bytes === null) { assert.equal(text.slice(s, e), tok.tokens[ids[i]!]); continue; }
    // The token's bytes lie inside its span's bytes; they are exactly the span's bytes unless the token shares a
    // split character with a neighbour.
    assert.ok(Buffer.from(spanBytes).includes(Buffer.from(bytes)), `token ${i} bytes not inside its span`);
    const sharesLeft = i > 0 && offsets[i - 1]![1] > s;
    const sharesRight = i + 1 < offsets.length && offsets[i + 1]![0] < e;
    if (!sharesLeft && !sharesRight) assert.deepEqual(bytes, spanBytes, `token ${i}`);
  }
}

describe('encode / decode', () => {
  test('round trip for arbitrary Unicode (graphemes: emoji, CJK, combining marks)', () => {
    fc.assert(fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), (s) => decode(tok, encode(tok, s).ids) === s), { numRuns: 300 });
  });

  test('round trip for any code points, control characters and BOM included', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (s) => decode(tok, encode(tok, s).ids) === s), { numRuns: 300 });
    for (const s of ['', '\uFEFF', '\uFEFFa', '\u0000\u0001', 'a\u0301', '🎉🎉', '\r\n', ' \n ', '\u{10FFFF}'])
      assert.equal(decode(tok, encode(tok, s).ids), s);
  });

  test('round trip with special tokens mixed into text', () => {
    const specials = Object.values(CHAT_SPECIAL_TOKENS);
    const piece = fc.oneof(fc.string({ unit: 'grapheme', maxLength: 8 }), fc.constantFrom(...specials), fc.constantFrom('<|', '|>', '<think', '</'));
    fc.assert(fc.property(fc.array(piece, { maxLength: 8 }), (parts) => {
      const s = parts.join('');
      return decode(tok, encode(tok, s).ids) === s;
    }), { numRuns: 300 });
  });

  test('offsets: spans cover the text in order and hold their tokens\' bytes', () => {
    for (const s of ['café 🎉 naïve', '日本語のテキスト', '<|user|>hi<|eos|>', 'x\u0301\u0302 y', 'a  b\n\n\tc', '👩‍👩‍👧'])
      checkOffsets(s);
    fc.assert(fc.property(fc.string({ unit: 'grapheme', maxLength: 30 }), (s) => { checkOffsets(s); }), { numRuns: 200 });
  });

  test('offsets: a character split between tokens is covered by each of them', () => {
    // A 4-byte emoji that BPE does not know as a whole becomes several tokens, all spanning it.
    const text = 'a\u{1F9EC}';
    const { ids, offsets } = encode(tok, text);
    const emojiTokens = offsets.filter(([s, e]) => s <= 1 && e >= 3);
    assert.ok(emojiTokens.length >= 2, `expected a split emoji, got ${ids.map((i) => tok.tokens[i])}`);
    for (const [s, e] of emojiTokens) assert.equal(e, 3, `${s}`);
  });

  test('special tokens are whole tokens, leftmost-longest, never split by BPE', () => {
    const { ids } = encode(tok, '<|user|><|user|>x</think><think>');
    const sp = idOf;
    assert.equal(ids[0], sp('<|user|>'));
    assert.equal(ids[1], sp('<|user|>'));
    assert.equal(ids.at(-2), sp('</think>'));
    assert.equal(ids.at(-1), sp('<think>'));
    // Near misses are ordinary text.
    const near = encode(tok, '<|user| > <thinking>').ids;
    assert.ok(near.every((id) => bytesOf(id) !== null));
  });

  test('pre-tokenisation follows the GPT-2 pattern and covers every character', () => {
    assert.deepEqual(gpt2Pieces("Hello world's 123 abc!!  \n x"), ['Hello', ' world', "'s", ' 123', ' abc', '!!', '  \n', ' x']);
    // Oniguruma's \s (White_Space): U+0085 is space, U+FEFF is not
    assert.deepEqual(gpt2Pieces('a\u0085\u0085b \uFEFFc'), ['a', '\u0085', '\u0085', 'b', ' \uFEFF', 'c']);
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 30 }), (s) => gpt2Pieces(s).join('') === s));
  });

  test('decode leaves out ids without a token (embedding rows past the vocabulary), as tokenizers does', () => {
    assert.equal(decode(tok, [idOf('<|user|>'), tok.tokens.length, -1, 1.5, idOf('<|eos|>')]), '<|user|><|eos|>');
  });
});

describe('chat template and spans', () => {
  test('the default Jinja template renders the project\'s format, the query as data', () => {
    assert.equal(prompt('Hi {answer} {{ x }} {% if %}?'), '<|user|>Hi {answer} {{ x }} {% if %}?<|end_of_turn|><|assistant|>');
    const ids = encode(tok, prompt('Hi')).ids;
    assert.equal(ids[0], idOf('<|user|>'));
    assert.deepEqual(ids.slice(-2), [idOf('<|end_of_turn|>'), idOf('<|assistant|>')]);
  });

  test('character spans map to token spans that tile the sequence', () => {
    const promptStr = prompt('How do I bake bread?');
    const u = 'The user wants to know how to bake bread.';
    const k = ' Let me lay out the steps.';
    const text = promptStr + response(`${u}${k} Step one.`, 'Mix flour.');
    const { ids, offsets } = encode(tok, text);
    const p = charToTokenBoundary(offsets, promptStr.length);
    const uStart = promptStr.length + '<think>\n'.length;
    const [k0, k1] = charSpanToTokenSpan(offsets, uStart + u.length, uStart + u.length + k.length);
    assert.equal(ids[p], idOf('<think>'));
    assert.equal(decode(tok, ids.slice(0, p)), promptStr);
    assert.equal(decode(tok, ids.slice(p + 2, k0)), u); // after '<think>' and '\n'
    assert.equal(decode(tok, ids.slice(k0, k1)), k);
    assert.equal(charToTokenBoundary(offsets, 0), 0);
    assert.equal(charToTokenBoundary(offsets, text.length), ids.length);
  });

  test('a token straddling a span boundary goes to the later span', () => {
    // Token 0 holds character 0 and part of character 1; token 1 the rest of character 1 and character 2.
    const offsets: [number, number][] = [[0, 2], [1, 3], [3, 4]];
    assert.equal(charToTokenBoundary(offsets, 1), 0);
    assert.equal(charToTokenBoundary(offsets, 2), 1);
    assert.equal(charToTokenBoundary(offsets, 3), 2);
    assert.deepEqual(charSpanToTokenSpan(offsets, 1, 3), [0, 2]);
  });
});
