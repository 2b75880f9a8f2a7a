import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import type { RawSample } from '@safekey-ts/safekey';
import { describeField } from '../codec/describeErrors.js';

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

/** Reads any of the three formats; the first io-ts error names the field. */
export function decodeSample(u: unknown): E.Either<string, RawSample> {
  if (typeof u === 'object' && u !== null && 'messages' in u) {
    const r = MessagesSampleCodec.decode(u);
    if (E.isLeft(r)) return E.left(describeField(r.left));
    const m = r.right.messages;
    if (m.length !== 2 || m[0]!.role !== 'user' || m[1]!.role !== 'assistant')
      return E.left(`field 'messages': expected one user message then one assistant message, got roles ${JSON.stringify(m.map((x) => x.role))}`);
    return E.right({
      query: m[0]!.content, response: m[1]!.content, harmful: r.right.harmful,
      ...(r.right.uEnd !== undefined ? { uEnd: r.right.uEnd } : {}),
      ...(r.right.kEnd !== undefined ? { kEnd: r.right.kEnd } : {}),
    });
  }
  if (typeof u === 'object' && u !== null && 'question' in u) {
    const r = PublicSampleCodec.decode(u);
    if (E.isLeft(r)) return E.left(describeField(r.left));
    const p = r.right;
    return E.right({
      query: p.question, response: p.response, harmful: p.source === '4o_rewrite' ? 0 : 1,
      ...(p.summary_end_idx !== undefined ? { uEnd: p.summary_end_idx } : {}),
      ...(p.next_sentence_end_idx !== undefined ? { kEnd: p.next_sentence_end_idx } : {}),
    });
  }
  const r = SampleCodec.decode(u);
  return E.isLeft(r) ? E.left(describeField(r.left)) : E.right(r.right);
}


/** The public format, for training a real reasoning model with the public PyTorch code. */
export const toPublicFormat = (s: RawSample & { readonly uEnd: number; readonly kEnd: number }) => ({
  question: s.query, response: s.response, summary_end_idx: s.uEnd, next_sentence_end_idx: s.kEnd,
  source: s.harmful ? 'harmful' : '4o_rewrite',
});
