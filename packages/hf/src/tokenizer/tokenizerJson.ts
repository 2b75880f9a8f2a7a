import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { describeErrors } from '../codec/describeErrors.js';
import { NonNegativeInt } from '../codec/numbers.js';
import { tokenizerError, type TokenizerError } from './errors.js';
import type { SplitBehavior } from './normalized.js';
import { compilePattern } from './pattern.js';
import type {
  AddedTokenSpec, BpeSpec, DecoderSpec, NormalizerSpec, PatternSpec, PostProcessorSpec, PreTokenizerSpec, PrependScheme, TemplatePiece, TokenizerSpec,
} from './spec.js';

/**
 * Reading and writing Hugging Face `tokenizer.json`. Reading checks every component against what this package
 * runs and reports every part it cannot run in one message (`normalizer: ...; pre_tokenizer.pretokenizers[0]:
 * ...`), each naming the component and its path.
 */

type Problems = string[];

/** Decodes `u` at `path` with an io-ts codec; a failure is recorded and gives undefined. */
function take<A>(codec: t.Decoder<unknown, A>, u: unknown, path: string, problems: Problems): A | undefined {
  const r = codec.decode(u);
  if (E.isRight(r)) return r.right;
  const detail = describeErrors(r.left);
  problems.push(`${path}${detail.startsWith('(root)') ? detail.slice('(root)'.length) : `.${detail}`}`);
  return undefined;
}

const Typed = t.type({ type: t.string }, 'a component with a "type"');
const Pattern = t.union([t.type({ String: t.string }), t.type({ Regex: t.string })], 'pattern ({"String": ...} or {"Regex": ...})');
const Behavior = t.keyof({ Removed: null, Isolated: null, MergedWithPrevious: null, MergedWithNext: null, Contiguous: null }, 'split behavior');
const Scheme = t.keyof({ always: null, first: null, never: null }, 'prepend_scheme');

function pattern(u: unknown, path: string, problems: Problems): PatternSpec | undefined {
  const p = take(Pattern, u, path, problems);
  if (p === undefined) return undefined;
  const spec: PatternSpec = 'String' in p ? { string: p.String } : { regex: p.Regex };
  const compiled = compilePattern(spec);
  if (typeof compiled === 'string') { problems.push(`${path}: ${compiled}`); return undefined; }
  return spec;
}

const unsupported = (path: string, type: string, supported: readonly string[], problems: Problems) => {
  problems.push(`${path}: type ${JSON.stringify(type)} is not supported (supported: ${supported.join(', ')})`);
  return undefined;
};

const NORMALIZERS = ['NFC', 'Prepend', 'Replace', 'Sequence'] as const;
function normalizer(u: unknown, path: string, problems: Problems): NormalizerSpec | undefined {
  const c = take(Typed, u, path, problems);
  if (c === undefined) return undefined;
  switch (c.type) {
    case 'NFC': return { type: 'NFC' };
    case 'Prepend': {
      const v = take(t.type({ prepend: t.string }), u, path, problems);
      return v && { type: 'Prepend', prepend: v.prepend };
    }
    case 'Replace': {
      const v = take(t.type({ pattern: t.unknown, content: t.string }), u, path, problems);
      const p = v && pattern(v.pattern, `${path}.pattern`, problems);
      return v && p && { type: 'Replace', pattern: p, content: v.content };
    }
    case 'Sequence': {
      const v = take(t.type({ normalizers: t.array(t.unknown) }), u, path, problems);
      const parts = v?.normalizers.map((n, i) => normalizer(n, `${path}.normalizers[${i}]`, problems));
      return parts && parts.every((p) => p !== undefined) ? { type: 'Sequence', normalizers: parts as NormalizerSpec[] } : undefined;
    }
    default: return unsupported(path, c.type, NORMALIZERS, problems);
  }
}

const ByteLevelCodec = t.intersection([
  t.partial({ add_prefix_space: t.boolean, trim_offsets: t.boolean, use_regex: t.boolean }),
  t.type({}),
]);
const byteLevel = (u: unknown, path: string, problems: Problems) => {
  const v = take(ByteLevelCodec, u, path, problems);
  return v && { type: 'ByteLevel' as const, addPrefixSpace: v.add_prefix_space ?? true, trimOffsets: v.trim_offsets ?? true, useRegex: v.use_regex ?? true };
};
const MetaspaceCodec = t.intersection([
  t.type({ replacement: t.string }),
  t.partial({ prepend_scheme: Scheme, add_prefix_space: t.boolean, split: t.boolean }),
]);
function metaspace(u: unknown, path: string, problems: Problems) {
  const v = take(MetaspaceCodec, u, path, problems);
  if (v === undefined) return undefined;
  if ([...v.replacement].length !== 1) { problems.push(`${path}.replacement: must be one character, got ${JSON.stringify(v.replacement)}`); return undefined; }
  // files from before `prepend_scheme` say `add_prefix_space`
  const prependScheme: PrependScheme = v.prepend_scheme ?? (v.add_prefix_space === false ? 'never' : 'always');
  return { type: 'Metaspace' as const, replacement: v.replacement, prependScheme, split: v.split ?? true };
}

const PRE_TOKENIZERS = ['ByteLevel', 'Split', 'Metaspace', 'Digits', 'Sequence'] as const;
function preTokenizer(u: unknown, path: string, problems: Problems): PreTokenizerSpec | undefined {
  const c = take(Typed, u, path, problems);
  if (c === undefined) return undefined;
  switch (c.type) {
    case 'ByteLevel': return byteLevel(u, path, problems);
    case 'Metaspace': return metaspace(u, path, problems);
    case 'Split': {
      const v = take(t.type({ pattern: t.unknown, behavior: Behavior, invert: t.boolean }), u, path, problems);
      const p = v && pattern(v.pattern, `${path}.pattern`, problems);
      return v && p && { type: 'Split', pattern: p, behavior: v.behavior as SplitBehavior, invert: v.invert };
    }
    case 'Digits': {
      const v = take(t.partial({ individual_digits: t.boolean }), u, path, problems);
      return v && { type: 'Digits', individualDigits: v.individual_digits ?? false };
    }
    case 'Sequence': {
      const v = take(t.type({ pretokenizers: t.array(t.unknown) }), u, path, problems);
      const parts = v?.pretokenizers.map((n, i) => preTokenizer(n, `${path}.pretokenizers[${i}]`, problems));
      return parts && parts.every((p) => p !== undefined) ? { type: 'Sequence', pretokenizers: parts as PreTokenizerSpec[] } : undefined;
    }
    default: return unsupported(path, c.type, PRE_TOKENIZERS, problems);
  }
}

const TemplatePieceCodec = t.union([
  t.type({ SpecialToken: t.type({ id: t.string, type_id: NonNegativeInt }) }),
  t.type({ Sequence: t.type({ id: t.keyof({ A: null, B: null }), type_id: NonNegativeInt }) }),
], 'template piece');
const TemplateCodec = t.type({
  single: t.array(TemplatePieceCodec), pair: t.array(TemplatePieceCodec),
  special_tokens: t.record(t.string, t.type({ id: t.string, ids: t.array(NonNegativeInt), tokens: t.array(t.string) })),
});
const pieces = (ps: t.TypeOf<typeof TemplatePieceCodec>[]): TemplatePiece[] =>
  ps.map((p) => ('SpecialToken' in p ? { specialToken: p.SpecialToken.id, typeId: p.SpecialToken.type_id } : { sequence: p.Sequence.id, typeId: p.Sequence.type_id }));

const POST_PROCESSORS = ['ByteLevel', 'TemplateProcessing', 'Sequence'] as const;
function postProcessor(u: unknown, path: string, problems: Problems): PostProcessorSpec | undefined {
  const c = take(Typed, u, path, problems);
  if (c === undefined) return undefined;
  switch (c.type) {
    case 'ByteLevel': return byteLevel(u, path, problems);
    case 'TemplateProcessing': {
      const v = take(TemplateCodec, u, path, problems);
      if (v === undefined) return undefined;
      const missing = [...v.single, ...v.pair].flatMap((p) => ('SpecialToken' in p && !(p.SpecialToken.id in v.special_tokens) ? [p.SpecialToken.id] : []));
      if (missing.length > 0) { problems.push(`${path}: special token ${JSON.stringify(missing[0])} is used but not in special_tokens`); return undefined; }
      return { type: 'TemplateProcessing', single: pieces(v.single), pair: pieces(v.pair), specialTokens: v.special_tokens };
    }
    case 'Sequence': {
      const v = take(t.type({ processors: t.array(t.unknown) }), u, path, problems);
      const parts = v?.processors.map((n, i) => postProcessor(n, `${path}.processors[${i}]`, problems));
      return parts && parts.every((p) => p !== undefined) ? { type: 'Sequence', processors: parts as PostProcessorSpec[] } : undefined;
    }
    default: return unsupported(path, c.type, POST_PROCESSORS, problems);
  }
}

const DECODERS = ['ByteLevel', 'Metaspace', 'ByteFallback', 'Fuse', 'Strip', 'Replace', 'Sequence'] as const;
function decoder(u: unknown, path: string, problems: Problems): DecoderSpec | undefined {
  const c = take(Typed, u, path, problems);
  if (c === undefined) return undefined;
  switch (c.type) {
    case 'ByteLevel': return byteLevel(u, path, problems);
    case 'Metaspace': return metaspace(u, path, problems);
    case 'ByteFallback': return { type: 'ByteFallback' };
    case 'Fuse': return { type: 'Fuse' };
    case 'Strip': {
      const v = take(t.type({ content: t.string, start: NonNegativeInt, stop: NonNegativeInt }), u, path, problems);
      if (v && [...v.content].length !== 1) { problems.push(`${path}.content: must be one character`); return undefined; }
      return v && { type: 'Strip', content: v.content, start: v.start, stop: v.stop };
    }
    case 'Replace': {
      const v = take(t.type({ pattern: t.unknown, content: t.string }), u, path, problems);
      const p = v && pattern(v.pattern, `${path}.pattern`, problems);
      return v && p && { type: 'Replace', pattern: p, content: v.content };
    }
    case 'Sequence': {
      const v = take(t.type({ decoders: t.array(t.unknown) }), u, path, problems);
      const parts = v?.decoders.map((n, i) => decoder(n, `${path}.decoders[${i}]`, problems));
      return parts && parts.every((p) => p !== undefined) ? { type: 'Sequence', decoders: parts as DecoderSpec[] } : undefined;
    }
    default: return unsupported(path, c.type, DECODERS, problems);
  }
}

const MergeCodec = t.union([t.string, t.tuple([t.string, t.string])], 'merge ("left right" or [left, right])');
const BpeCodec = t.intersection([
  t.type({ vocab: t.record(t.string, NonNegativeInt), merges: t.array(MergeCodec) }),
  t.partial({
    type: t.string, dropout: t.union([t.null, t.number]), unk_token: t.union([t.null, t.string]),
    continuing_subword_prefix: t.union([t.null, t.string]), end_of_word_suffix: t.union([t.null, t.string]),
    fuse_unk: t.boolean, byte_fallback: t.boolean, ignore_merges: t.boolean,
  }),
], 'BPE model');

const AddedTokenCodec = t.intersection([
  t.type({ id: NonNegativeInt, content: t.string }),
  t.partial({ special: t.boolean, single_word: t.boolean, lstrip: t.boolean, rstrip: t.boolean, normalized: t.boolean }),
], 'added token');

/**
 * The ids `tokenizers` gives added tokens when it reads a file (it does not take the file's ids): a token in the
 * model's vocab keeps that id, any other takes the next id after the model's tokens, in file order.
 */
export function tokenizersAddedIds(modelVocab: ReadonlyMap<string, number>, modelSize: number, added: readonly { readonly content: string }[]): number[] {
  const assigned = new Map<string, number>();
  let next = modelSize;
  return added.map((a) => {
    const id = assigned.get(a.content) ?? modelVocab.get(a.content) ?? next++;
    assigned.set(a.content, id);
    return id;
  });
}

/** The model's vocab (merged with the added tokens into ids 0..N-1) and merges as ids. */
function model(u: unknown, added: readonly AddedTokenSpec[], path: string, problems: Problems): BpeSpec | undefined {
  if (typeof u !== 'object' || u === null) { problems.push(`${path}: expected the model object, got ${u === undefined ? 'nothing (is this a tokenizer.json?)' : JSON.stringify(u)}`); return undefined; }
  const c = take(t.partial({ type: t.string }), u, path, problems);
  if (c === undefined) return undefined;
  if (c.type !== undefined && c.type !== 'BPE') return unsupported(`${path}.type`, c.type, ['BPE'], problems);
  const m = take(BpeCodec, u, path, problems);
  if (m === undefined) return undefined;
  const before = problems.length;
  if (m.dropout !== undefined && m.dropout !== null && m.dropout !== 0) problems.push(`${path}.dropout: BPE dropout (${m.dropout}) is not supported`);
  for (const key of ['continuing_subword_prefix', 'end_of_word_suffix'] as const)
    if (m[key]) problems.push(`${path}.${key}: ${JSON.stringify(m[key])} is not supported (only null or "")`);
  const byId = new Map<number, string>();
  for (const [token, id] of Object.entries(m.vocab)) {
    const other = byId.get(id);
    if (other !== undefined) problems.push(`${path}.vocab: id ${id} is used by both ${JSON.stringify(other)} and ${JSON.stringify(token)}`);
    byId.set(id, token);
  }
  const vocab: (string | null)[] = [];
  for (const [id, token] of byId) vocab[id] = token;
  const given = tokenizersAddedIds(new Map(Object.entries(m.vocab)), byId.size, added);
  for (const [i, a] of added.entries()) {
    if (given[i] !== a.id) {
      problems.push(`added_tokens[${i}]: id ${a.id}, but tokenizers gives ${JSON.stringify(a.content)} id ${given[i]} (an added token not in ${path}.vocab takes the next id after the model's ${byId.size} tokens)`);
      continue;
    }
    const there = byId.get(a.id);
    if (there === undefined) byId.set(a.id, a.content);
    else if (there !== a.content) problems.push(`added_tokens: id ${a.id} is ${JSON.stringify(a.content)} but ${path}.vocab has ${JSON.stringify(there)} there`);
  }
  for (let id = 0; id < byId.size; id++) if (!byId.has(id)) { problems.push(`${path}.vocab: no token has id ${id} (ids must be 0..N-1 over the vocab and added_tokens)`); break; }
  for (let id = 0; id < byId.size; id++) vocab[id] ??= null;
  if (m.unk_token !== undefined && m.unk_token !== null && !(m.unk_token in m.vocab)) problems.push(`${path}.unk_token: ${JSON.stringify(m.unk_token)} is not in the vocab`);
  const merges: [number, number][] = [];
  for (const [i, merge] of m.merges.entries()) {
    const parts = typeof merge === 'string' ? merge.split(' ') : merge;
    if (parts.length !== 2) { problems.push(`${path}.merges[${i}]: ${JSON.stringify(merge)} is not two tokens separated by one space`); break; }
    const [l, r] = [m.vocab[parts[0]!], m.vocab[parts[1]!]];
    if (l === undefined || r === undefined) { problems.push(`${path}.merges[${i}]: ${JSON.stringify(l === undefined ? parts[0] : parts[1])} is not in the vocab`); break; }
    if (m.vocab[parts[0]! + parts[1]!] === undefined) { problems.push(`${path}.merges[${i}]: ${JSON.stringify(parts[0]! + parts[1]!)} is not in the vocab`); break; }
    merges.push([l, r]);
  }
  if (problems.length > before) return undefined;
  return { vocab, merges, unkToken: m.unk_token ?? null, byteFallback: m.byte_fallback ?? false, fuseUnk: m.fuse_unk ?? false, ignoreMerges: m.ignore_merges ?? false };
}

const TopCodec = t.intersection([
  t.type({ model: t.unknown }),
  t.partial({
    version: t.string, added_tokens: t.array(t.unknown), normalizer: t.unknown, pre_tokenizer: t.unknown, post_processor: t.unknown,
    decoder: t.unknown, truncation: t.unknown, padding: t.unknown,
  }),
], 'tokenizer.json');

/** A decoded `tokenizer.json` as a spec; every unsupported or invalid part is listed in one Left, named by its path. */
export function tokenizerSpecFromJson(json: unknown, source = 'tokenizer.json'): E.Either<TokenizerError, TokenizerSpec> {
  const problems: Problems = [];
  const top = take(TopCodec, json, '(root)', problems);
  if (top === undefined) return E.left(tokenizerError(`${source}: ${problems.join('; ')}`));
  for (const key of ['truncation', 'padding'] as const)
    if (top[key] !== undefined && top[key] !== null) problems.push(`${key}: ${key} in tokenizer.json is not supported (it must be null)`);
  const added = (top.added_tokens ?? []).flatMap((a, i) => {
    const v = take(AddedTokenCodec, a, `added_tokens[${i}]`, problems);
    if (v && v.content.length === 0) { problems.push(`added_tokens[${i}]: empty content`); return []; }
    return v ? [{
      id: v.id, content: v.content, special: v.special ?? false, normalized: v.normalized ?? !(v.special ?? false),
      lstrip: v.lstrip ?? false, rstrip: v.rstrip ?? false, singleWord: v.single_word ?? false,
    }] : [];
  });
  const nullable = <A>(u: unknown, f: () => A | undefined): A | null | undefined => (u === undefined || u === null ? null : f());
  const spec = {
    normalizer: nullable(top.normalizer, () => normalizer(top.normalizer, 'normalizer', problems)),
    preTokenizer: nullable(top.pre_tokenizer, () => preTokenizer(top.pre_tokenizer, 'pre_tokenizer', problems)),
    model: model(top.model, added, 'model', problems),
    addedTokens: added,
    postProcessor: nullable(top.post_processor, () => postProcessor(top.post_processor, 'post_processor', problems)),
    decoder: nullable(top.decoder, () => decoder(top.decoder, 'decoder', problems)),
  };
  if (problems.length > 0) return E.left(tokenizerError(`${source}: ${problems.length > 1 ? `${problems.length} problems: ` : ''}${problems.join('; ')}`));
  return E.right(spec as TokenizerSpec);
}

// ---------------------------------------------------------------- writing

const patternJson = (p: PatternSpec) => ('string' in p ? { String: p.string } : { Regex: p.regex });
const byteLevelJson = (c: { addPrefixSpace: boolean; trimOffsets: boolean; useRegex: boolean }) =>
  ({ type: 'ByteLevel', add_prefix_space: c.addPrefixSpace, trim_offsets: c.trimOffsets, use_regex: c.useRegex });
const metaspaceJson = (c: { replacement: string; prependScheme: PrependScheme; split: boolean }) =>
  ({ type: 'Metaspace', replacement: c.replacement, prepend_scheme: c.prependScheme, split: c.split });

function normalizerJson(n: NormalizerSpec): unknown {
  switch (n.type) {
    case 'NFC': return { type: 'NFC' };
    case 'Prepend': return { type: 'Prepend', prepend: n.prepend };
    case 'Replace': return { type: 'Replace', pattern: patternJson(n.pattern), content: n.content };
    case 'Sequence': return { type: 'Sequence', normalizers: n.normalizers.map(normalizerJson) };
  }
}
function preTokenizerJson(p: PreTokenizerSpec): unknown {
  switch (p.type) {
    case 'ByteLevel': return byteLevelJson(p);
    case 'Metaspace': return metaspaceJson(p);
    case 'Split': return { type: 'Split', pattern: patternJson(p.pattern), behavior: p.behavior, invert: p.invert };
    case 'Digits': return { type: 'Digits', individual_digits: p.individualDigits };
    case 'Sequence': return { type: 'Sequence', pretokenizers: p.pretokenizers.map(preTokenizerJson) };
  }
}
const piecesJson = (ps: readonly TemplatePiece[]) =>
  ps.map((p) => ('specialToken' in p ? { SpecialToken: { id: p.specialToken, type_id: p.typeId } } : { Sequence: { id: p.sequence, type_id: p.typeId } }));
function postProcessorJson(p: PostProcessorSpec): unknown {
  switch (p.type) {
    case 'ByteLevel': return byteLevelJson(p);
    case 'TemplateProcessing': return { type: 'TemplateProcessing', single: piecesJson(p.single), pair: piecesJson(p.pair), special_tokens: p.specialTokens };
    case 'Sequence': return { type: 'Sequence', processors: p.processors.map(postProcessorJson) };
  }
}
function decoderJson(d: DecoderSpec): unknown {
  switch (d.type) {
    case 'ByteLevel': return byteLevelJson(d);
    case 'Metaspace': return metaspaceJson(d);
    case 'ByteFallback': return { type: 'ByteFallback' };
    case 'Fuse': return { type: 'Fuse' };
    case 'Strip': return { type: 'Strip', content: d.content, start: d.start, stop: d.stop };
    case 'Replace': return { type: 'Replace', pattern: patternJson(d.pattern), content: d.content };
    case 'Sequence': return { type: 'Sequence', decoders: d.decoders.map(decoderJson) };
  }
}

/**
 * The Hugging Face `tokenizer.json` object of a spec. Added tokens stay out of the model's vocab when `tokenizers`
 * then gives them their ids (they follow the model's tokens); otherwise the vocab holds them too, at their ids.
 */
export function toTokenizerJson(spec: TokenizerSpec): Record<string, unknown> {
  const vocab: Record<string, number> = Object.create(null);
  spec.model.vocab.forEach((token, id) => { if (token !== null) vocab[token] = id; });
  const modelVocab = new Map(Object.entries(vocab));
  const given = tokenizersAddedIds(modelVocab, modelVocab.size, spec.addedTokens);
  if (spec.addedTokens.some((a, i) => given[i] !== a.id)) for (const a of spec.addedTokens) vocab[a.content] = a.id;
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: spec.addedTokens.map((a) => ({
      id: a.id, content: a.content, single_word: a.singleWord, lstrip: a.lstrip, rstrip: a.rstrip, normalized: a.normalized, special: a.special,
    })),
    normalizer: spec.normalizer && normalizerJson(spec.normalizer),
    pre_tokenizer: spec.preTokenizer && preTokenizerJson(spec.preTokenizer),
    post_processor: spec.postProcessor && postProcessorJson(spec.postProcessor),
    decoder: spec.decoder && decoderJson(spec.decoder),
    model: {
      type: 'BPE', dropout: null, unk_token: spec.model.unkToken, continuing_subword_prefix: null, end_of_word_suffix: null,
      fuse_unk: spec.model.fuseUnk, byte_fallback: spec.model.byteFallback, ignore_merges: spec.model.ignoreMerges,
      vocab, merges: spec.model.merges.map(([l, r]) => [spec.model.vocab[l], spec.model.vocab[r]]),
    },
  };
}
