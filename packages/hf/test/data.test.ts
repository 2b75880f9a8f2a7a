import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as E from 'fp-ts/lib/Either.js';
import fc from 'fast-check';
import { encodeSample, encodeSamples, locateSpans, sentenceEnds, type RawSample } from '@safekey-ts/safekey';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decode, formatDataError, parseSamples, readSamples, sampleEncoder, trainBpe } from '@safekey-ts/hf';

const words = ['the', 'user', 'wants', 'to', 'know', 'how', 'bake', 'bread', 'Hmm', 'this', 'is', 'fine', 'let', 'me', 'explain', 'steps', 'harm', 'people'];
const sentenceArb = fc.array(fc.constantFrom(...words), { minLength: 1, maxLength: 6 }).chain((ws) =>
  fc.constantFrom('.', '?', '!').map((p) => ws.join(' ') + p));
const sampleArb = fc.record({
  query: fc.array(fc.constantFrom(...words), { minLength: 1, maxLength: 6 }).map((w) => w.join(' ') + '?'),
  sentences: fc.array(sentenceArb, { minLength: 2, maxLength: 5 }),
  answer: fc.array(fc.constantFrom(...words), { minLength: 1, maxLength: 5 }).map((w) => w.join(' ')),
  harmful: fc.constantFrom<0 | 1>(0, 1),
});
const tok = (() => {
  const texts = fc.sample(sampleArb, { seed: 1, numRuns: 200 }).map((s) => `${s.query} ${s.sentences.join(' ')} ${s.answer}`);
  const r = trainBpe(texts, { vocabSize: 400 });
  if (E.isLeft(r)) throw new Error(String(r.left));
  return r.right;
})();
const enc = (() => { const e = sampleEncoder(tok); if (E.isLeft(e)) throw new Error(e.left); return e.right; })();

describe('data files', () => {
  test('a bad line is reported with file, line number and field', () => {
    const text = ['{"query":"q","response":"<think>\\nA. B.\\n</think>\\n\\nx","harmful":1}', '', '{"query":"q","response":"r","harmful":2}'].join('\n');
    const r = parseSamples(text, 'train.jsonl');
    assert.ok(E.isLeft(r));
    assert.equal(r.left.line, 3);
    assert.match(formatDataError(r.left), /^train\.jsonl:3: field 'harmful'/);
    const notJson = parseSamples('{"query": ', 'x.jsonl');
    assert.ok(E.isLeft(notJson) && /x\.jsonl:1: not JSON/.test(formatDataError(notJson.left)));
    const badOffsets = parseSamples('{"query":"q","response":"abc","harmful":0,"uEnd":2,"kEnd":9}', 'y.jsonl');
    assert.ok(E.isLeft(badOffsets) && /uEnd < kEnd <= response length/.test(badOffsets.left.message));
  });

  test('the public SafeKey / STAR-1 field names are read; source 4o_rewrite means benign', () => {
    const r = parseSamples([
      JSON.stringify({ question: 'q1', response: 'r one. two.', summary_end_idx: 4, next_sentence_end_idx: 11, source: '4o_rewrite' }),
      JSON.stringify({ question: 'q2', response: 'r', source: 'strongreject' }),
    ].join('\n'), 'public.jsonl');
    assert.ok(E.isRight(r));
    assert.deepEqual(r.right[0], { query: 'q1', response: 'r one. two.', harmful: 0, uEnd: 4, kEnd: 11, source: 'public.jsonl:1' });
    assert.equal(r.right[1].harmful, 1);
  });

  test('the chat messages form (TRL): one user turn, one assistant turn with the reasoning, a label', () => {
    const line = (o: unknown) => JSON.stringify(o);
    const r = parseSamples(line({ messages: [{ role: 'user', content: 'q' }, { role: 'assistant', content: '<think>\nA. B.\n</think>\n\nx' }], harmful: 1, uEnd: 10, kEnd: 13 }), 'chat.jsonl');
    assert.deepEqual(r, E.right([{ query: 'q', response: '<think>\nA. B.\n</think>\n\nx', harmful: 1, uEnd: 10, kEnd: 13, source: 'chat.jsonl:1' }]));
    const roles = parseSamples(line({ messages: [{ role: 'system', content: 's' }, { role: 'user', content: 'q' }, { role: 'assistant', content: 'a' }], harmful: 0 }), 'chat.jsonl');
    assert.ok(E.isLeft(roles));
    assert.equal(formatDataError(roles.left), 'chat.jsonl:1: field \'messages\': expected one user message then one assistant message, got roles ["system","user","assistant"]');
    const noLabel = parseSamples(line({ messages: [{ role: 'user', content: 'q' }, { role: 'assistant', content: 'a' }] }), 'chat.jsonl');
    assert.ok(E.isLeft(noLabel) && /^field 'harmful'/.test(noLabel.left.message));
  });
});

describe('data exactly as written', () => {
  const one = (o: object) => parseSamples(JSON.stringify(o), 'd.jsonl');
  const problem = (o: object): string => { const r = one(o); assert.ok(E.isLeft(r), 'refused'); return formatDataError(r.left); };

  test('offsets count code points: an emoji before U does not shift K', () => {
    const response = '<think>\n\u{1F600} Fine. Then this.\n</think>\n\nok';
    // in code points '<think>\n' is 8, the emoji 1, ' Fine.' 6: U ends at 15; ' Then this.' ends at 26
    const r = one({ query: 'q', response, harmful: 0, uEnd: 15, kEnd: 26 });
    assert.ok(E.isRight(r));
    const s = r.right[0]!;
    assert.equal(response.slice(0, s.uEnd), '<think>\n\u{1F600} Fine.');
    assert.equal(response.slice(s.uEnd, s.kEnd), ' Then this.');
  });

  test('property: code-point spans select what Python slicing selects, for text with astral, CJK and combining characters', () => {
    const char = fc.constantFrom('a', ' ', '.', '\u00e9', 'e\u0301', '\u4e2d', '\u{1F600}', '\u{1D11E}', '\u{10FFFF}', '\n');
    fc.assert(fc.property(fc.array(char, { minLength: 2, maxLength: 40 }), fc.nat(), fc.nat(), (chars, x, y) => {
      const response = chars.join('');
      const points = Array.from(response); // one entry per code point, as Python's str
      const u = x % points.length, k = u + 1 + (y % (points.length - u));
      const r = one({ query: 'q', response, harmful: 1, uEnd: u, kEnd: k });
      assert.ok(E.isRight(r), E.isLeft(r) ? r.left.message : '');
      const s = r.right[0]!;
      return response.slice(0, s.uEnd) === points.slice(0, u).join('') && response.slice(s.uEnd, s.kEnd) === points.slice(u, k).join('');
    }));
  });

  test('an offset past the response, counted in code points, names the line', () => {
    assert.equal(problem({ query: 'q', response: '\u{1F600}\u{1F600}', harmful: 0, uEnd: 1, kEnd: 3 }),
      'd.jsonl:1: offsets must satisfy uEnd < kEnd <= response length (2 code points), got uEnd 1, kEnd 3');
    assert.match(problem({ query: 'q', response: 'abc', harmful: 0, uEnd: -1, kEnd: 2 }), /^d\.jsonl:1: field 'uEnd': expected non-negative integer/);
    assert.match(problem({ query: 'q', response: 'abc', harmful: 0, uEnd: 1.5, kEnd: 2 }), /field 'uEnd'/);
  });

  test('conflicting or partial span and label fields are errors, not guesses', () => {
    assert.match(problem({ question: 'q', response: 'r', harmful: 0 }), /^d\.jsonl:1: field 'harmful' with 'question': the public format .* takes the label from 'source'/);
    assert.equal(problem({ query: 'q', response: 'a. b. c.', harmful: 0, uEnd: 2 }), "d.jsonl:1: field 'kEnd': missing while 'uEnd' is given (give both, or neither to locate K by sentences)");
    assert.match(problem({ question: 'q', response: 'a. b.', next_sentence_end_idx: 4 }), /field 'summary_end_idx': missing while 'next_sentence_end_idx' is given/);
    assert.match(problem({ query: 'q', question: 'q', response: 'r', harmful: 0 }), /fields 'question' and 'query' are both given/);
    assert.match(problem({ query: 'q', response: 'r', harmful: 0, summary_end_idx: 1, next_sentence_end_idx: 2 }), /belong to the public format/);
    assert.match(problem({ question: 'q', response: 'a. b.', uEnd: 1, kEnd: 2 }), /the public format names them summary_end_idx/);
  });

  test('files: invalid UTF-8 names line and byte, a BOM is skipped, an empty file is an error', () => {
    const dir = mkdtempSync(join(tmpdir(), 'safekey-data-'));
    try {
      const good = Buffer.from(`${JSON.stringify({ query: 'q', response: 'r', harmful: 0 })}\n`);
      writeFileSync(join(dir, 'bad.jsonl'), Buffer.concat([good, Buffer.from('{"query":"caf'), Buffer.from([0xc3, 0x28]), Buffer.from('","response":"r","harmful":0}')]));
      const bad = readSamples(join(dir, 'bad.jsonl'));
      assert.ok(E.isLeft(bad));
      assert.equal(formatDataError(bad.left), `${join(dir, 'bad.jsonl')}:2: not valid UTF-8 (byte ${good.length + 13} of the file, 0xc3)`);
      writeFileSync(join(dir, 'bom.jsonl'), Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), good]));
      assert.deepEqual(readSamples(join(dir, 'bom.jsonl')), E.right([{ query: 'q', response: 'r', harmful: 0, source: `${join(dir, 'bom.jsonl')}:1` }]));
      writeFileSync(join(dir, 'empty.jsonl'), '\n\n');
      const empty = readSamples(join(dir, 'empty.jsonl'));
      assert.ok(E.isLeft(empty));
      assert.equal(formatDataError(empty.left), `${join(dir, 'empty.jsonl')}: the file is empty: no samples`);
    } finally { rmSync(dir, { recursive: true, force: true }); }
  });
});

describe('spans', () => {
  test('sentences end after . ? ! followed by white space, never inside an ellipsis', () => {
    assert.deepEqual(sentenceEnds('Wait... what? Yes. Done!'), [13, 18, 24]);
    const r = '<think>\nThe user wants X. Hmm... this is bad. Go on.\n</think>\n\nNo.';
    const s = locateSpans(r)!;
    assert.equal(r.slice(8, s.uEnd), 'The user wants X.');
    assert.equal(r.slice(s.uEnd, s.kEnd), ' Hmm... this is bad.');
    assert.equal(locateSpans('<think>\nOne sentence only.\n</think>\n\nx'), null);
  });

  test('decoding the K token span gives the K text, and U and K tile the response', () => {
    fc.assert(fc.property(sampleArb, fc.boolean(), (s, withOffsets) => {
      const response = `<think>\n${s.sentences.join(' ')}\n</think>\n\n${s.answer}`;
      const located = locateSpans(response)!;
      const raw: RawSample = withOffsets ? { query: s.query, response, harmful: s.harmful, ...located } : { query: s.query, response, harmful: s.harmful };
      const e = encodeSample(enc, raw, { maxLength: 512 });
      assert.ok(E.isRight(e), E.isLeft(e) ? e.left : '');
      const { ids, promptEnd, keyStart, keyEnd } = e.right;
      assert.equal(decode(tok, ids.slice(keyStart, keyEnd)), response.slice(located.uEnd, located.kEnd));
      assert.equal(decode(tok, ids.slice(promptEnd, keyStart)), response.slice(0, located.uEnd));
      assert.equal(decode(tok, ids.slice(0, promptEnd)), `<|user|>${s.query}<|end_of_turn|><|assistant|>`);
    }), { numRuns: 100 });
  });

  test('samples without K or with K past the length limit are skipped and reported', () => {
    const ok: RawSample = { query: 'how to bake bread?', response: '<think>\nThe user wants bread. Let me explain.\n</think>\n\nSteps.', harmful: 0 };
    const noK: RawSample = { ...ok, response: '<think>\nOnly one sentence.\n</think>\n\nx' };
    const set = encodeSamples(enc, [ok, noK, ok], { maxLength: 12 });
    assert.equal(set.samples.length, 0);
    assert.equal(set.skipped.length, 3);
    assert.match(set.skipped[0].reason, /beyond the length limit 12/);
    assert.match(set.skipped[1].reason, /no K/);
    assert.equal(encodeSamples(enc, [ok, noK], { maxLength: 512 }).samples.length, 1);
  });
});
