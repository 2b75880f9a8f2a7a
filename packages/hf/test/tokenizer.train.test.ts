import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as E from 'fp-ts/lib/Either.js';
import { BYTE_TO_CHAR, DEFAULT_SPECIAL_TOKENS, countWords, encode, trainBpe, type Tokenizer } from '@safekey-ts/hf';
import { chatCorpus, plainCorpus } from './fixtures/corpus.js';

const trained = (texts: readonly string[], vocabSize: number, minPairCount?: number): Tokenizer => {
  const r = trainBpe(texts, { vocabSize, ...(minPairCount === undefined ? {} : { minPairCount }) });
  if (E.isLeft(r)) throw new Error(r.left.message);
  return r.right;
};

describe('trainBpe', () => {
  const corpus = chatCorpus(400);

  test('id layout: bytes 0..255 (id = byte), then the special tokens, then merges up to vocabSize', () => {
    const tok = trained(corpus, 400);
    assert.equal(tok.tokens.length, 400);
    for (let b = 0; b < 256; b++) assert.equal(tok.tokens[b], BYTE_TO_CHAR[b]);
    DEFAULT_SPECIAL_TOKENS.forEach((s, i) => {
      assert.equal(tok.tokens[256 + i], s);
      assert.equal(tok.addedIds.get(s), 256 + i);
    });
    assert.ok(tok.model.merges.length >= 400 - 256 - DEFAULT_SPECIAL_TOKENS.length);
    assert.equal(BYTE_TO_CHAR[0x20], 'Ġ');
    assert.equal(BYTE_TO_CHAR[0x0a], 'Ċ');
  });

  test('is deterministic and independent of runs', () => {
    const a = trained(corpus, 450);
    const b = trained([...corpus], 450);
    assert.deepEqual(a.tokens, b.tokens);
    assert.deepEqual(a.model.merges, b.model.merges);
  });

  test('merges the most frequent pair first, ties to the smaller left id, then right id', () => {
    // Words: 'ab' x1, ' ab' x2, ' cd' x3, ' xy' x1. Count 3: (Ġ,c), (a,b), (c,d); the smallest left id is Ġ (32).
    // Then (a,b) and (Ġc,d) tie at 3 and a (97) < Ġc (263); then (Ġc,d) at 3 beats (Ġ,ab) at 2.
    assert.deepEqual([...countWords(['ab ab ab cd cd cd xy'], [])], [['ab', 1], [' ab', 2], [' cd', 3], [' xy', 1]]);
    const tok = trained(['ab ab ab cd cd cd xy'], 256 + DEFAULT_SPECIAL_TOKENS.length + 3, 1);
    assert.deepEqual(tok.model.merges.map(([l, r]) => tok.tokens[l]! + tok.tokens[r]!), ['Ġc', 'ab', 'Ġcd']);
    assert.deepEqual(encode(tok, ' cd').ids.map((id) => tok.tokens[id]), ['Ġcd']);
  });

  test('special tokens in the corpus are never trained on or produced by merges', () => {
    const tok = trained(corpus, 600, 1);
    for (const s of DEFAULT_SPECIAL_TOKENS) assert.equal(tok.tokens.indexOf(s), tok.addedIds.get(s));
    const enc = encode(tok, corpus[0]!);
    assert.equal(enc.ids[0], tok.addedIds.get('<|user|>'));
    assert.equal(enc.ids.at(-1), tok.addedIds.get('<|eos|>'));
  });

  test('stops early when no pair is frequent enough', () => {
    const tok = trained(['abcdef'], 1000);
    assert.equal(tok.tokens.length, 256 + DEFAULT_SPECIAL_TOKENS.length);
    assert.equal(tok.model.merges.length, 0);
  });

  test('bad options come back as Left values that name the option', () => {
    const msg = (r: ReturnType<typeof trainBpe>) => (E.isLeft(r) ? r.left.message : 'Right');
    assert.match(msg(trainBpe([], { vocabSize: 100 })), /vocabSize 100 must be an integer from 263/);
    assert.match(msg(trainBpe([], { vocabSize: 300, specialTokens: ['<a>', '<a>'] })), /specialTokens\[1\] "<a>" repeats specialTokens\[0\]/);
    assert.match(msg(trainBpe([], { vocabSize: 300, specialTokens: [''] })), /specialTokens\[0\] is empty/);
    assert.match(msg(trainBpe([], { vocabSize: 300, minPairCount: 0 })), /minPairCount 0/);
  });

  test('a 512-token vocab from ~1 MB of text trains in seconds', () => {
    const texts = plainCorpus(1_000_000);
    const t0 = performance.now();
    const tok = trained(texts, 512);
    const ms = performance.now() - t0;
    assert.equal(tok.tokens.length, 512);
    assert.ok(ms < 10_000, `took ${ms.toFixed(0)} ms`);
  });
});
