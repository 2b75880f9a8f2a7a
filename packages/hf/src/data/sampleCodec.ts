import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import type { RawSample } from '@safekey-ts/safekey';
import { describeField } from '../codec/describeErrors.js';
import { unitToCodePoint } from './codePoints.js';

const Label = t.union([t.literal(0), t.literal(1)]);
const Offset = t.refinement(t.number, (n) => Number.isInteger(n) && n >= 0, 'non-negative integer');

/** The project's own format. */
export const SampleCodec = t.intersection([
  t.type({ query: t.string, response: t.string, harmful: Label }),
  t.partial({ uEnd: Offset, kEnd: Offset }),
], 'Sample');

/** The public SafeKey / STAR-1 training format; `source: "4o_rewrite"` marks a benign sample. */
export const PublicSampleCodec = t.intersection([
  t.type({ question: t.string, response: t.string }),
  t.partial({ summary_end_idx: Offset, next_sentence_end_idx: Offset, source: t.string }),
], 'PublicSample');

const Message = t.type({ role: t.string, content: t.string }, 'message');

/**
 * The chat form TRL users keep: `messages` is one user turn then one assistant turn (the reasoning inside the
 * assistant's content); the label and the optional offsets (into the assistant's content) as in `SampleCodec`.
 */
export const MessagesSampleCodec = t.intersection([
  t.type({ messages: t.array(Message), harmful: Label }),
  t.partial({ uEnd: Offset, kEnd: Offset }),
], 'MessagesSample');

/** Span fields that come in pairs: both or neither (without them K is located by sentences). */
function pairProblem(u: object, a: string, b: string): string | undefined {
  const has = (k: string) => k in u && (u as Record<string, unknown>)[k] !== undefined;
  if (has(a) === has(b)) return undefined;
  const [given, missing] = has(a) ? [a, b] : [b, a];
  return `field '${missing}': missing while '${given}' is given (give both, or neither to locate K by sentences)`;
}

/** Fields of two formats on one record: which format it is would be a guess. */
function mixProblem(u: object): string | undefined {
  const has = (k: string) => k in u;
  if (has('question') && has('query')) return "fields 'question' and 'query' are both given (the public format's and the project's); give one";
  if (has('question') && has('harmful')) return "field 'harmful' with 'question': the public format (question, response) takes the label from 'source' ('4o_rewrite' is benign); use query/response/harmful for an explicit label";
  if (has('messages') && (has('query') || has('question'))) return "field 'messages' with 'query' or 'question': give the chat form or the plain one, not both";
  if ((has('summary_end_idx') || has('next_sentence_end_idx')) && !has('question')) return "fields 'summary_end_idx' / 'next_sentence_end_idx' belong to the public format (with 'question'); the project's format names them uEnd / kEnd";
  if ((has('uEnd') || has('kEnd')) && has('question')) return "fields 'uEnd' / 'kEnd' with 'question': the public format names them summary_end_idx / next_sentence_end_idx";
  return undefined;
}

/**
 * Reads any of the three formats; the first problem names the field. Offsets are as the file has them (code
 * points: see `parseSamples`). A record that mixes formats, or gives one of a pair of span fields, is refused.
 */
export function decodeSample(u: unknown): E.Either<string, RawSample> {
  if (typeof u !== 'object' || u === null || Array.isArray(u)) return E.left(`expected a JSON object, got ${JSON.stringify(u)?.slice(0, 40)}`);
  const mixed = mixProblem(u);
  if (mixed) return E.left(mixed);
  if ('messages' in u) {
    const r = MessagesSampleCodec.decode(u);
    if (E.isLeft(r)) return E.left(describeField(r.left));
    const m = r.right.messages;
    if (m.length !== 2 || m[0]!.role !== 'user' || m[1]!.role !== 'assistant')
      return E.left(`field 'messages': expected one user message then one assistant message, got roles ${JSON.stringify(m.map((x) => x.role))}`);
    const pair = pairProblem(u, 'uEnd', 'kEnd');
    if (pair) return E.left(pair);
    return E.right({
      query: m[0]!.content, response: m[1]!.content, harmful: r.right.harmful,
      ...(r.right.uEnd !== undefined ? { uEnd: r.right.uEnd, kEnd: r.right.kEnd! } : {}),
    });
  }
  if ('question' in u) {
    const r = PublicSampleCodec.decode(u);
    if (E.isLeft(r)) return E.left(describeField(r.left));
    const pair = pairProblem(u, 'summary_end_idx', 'next_sentence_end_idx');
    if (pair) return E.left(pair);
    const p = r.right;
    return E.right({
      query: p.question, response: p.response, harmful: p.source === '4o_rewrite' ? 0 : 1,
      ...(p.summary_end_idx !== undefined ? { uEnd: p.summary_end_idx, kEnd: p.next_sentence_end_idx! } : {}),
    });
  }
  const r = SampleCodec.decode(u);
  if (E.isLeft(r)) return E.left(describeField(r.left));
  const pair = pairProblem(u, 'uEnd', 'kEnd');
  return pair ? E.left(pair) : E.right(r.right);
}

/** A sample as a data file holds it: offsets in code points (the in-memory ones count UTF-16 units). */
export const toFileOffsets = <S extends RawSample>(s: S): S =>
  s.uEnd === undefined || s.kEnd === undefined ? s : { ...s, uEnd: unitToCodePoint(s.response, s.uEnd), kEnd: unitToCodePoint(s.response, s.kEnd) };

/** The public format, for training a real reasoning model with the public PyTorch code. */
export const toPublicFormat = (s: RawSample & { readonly uEnd: number; readonly kEnd: number }) => ({
  question: s.query, response: s.response, summary_end_idx: unitToCodePoint(s.response, s.uEnd), next_sentence_end_idx: unitToCodePoint(s.response, s.kEnd),
  source: s.harmful ? 'harmful' : '4o_rewrite',
});
