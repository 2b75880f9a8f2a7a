import type { SplitBehavior } from './normalized.js';

/**
 * The parts of a Hugging Face `tokenizer.json` this package runs, as plain data: each component type with the
 * fields of its JSON form (camel-cased). `tokenizerJson.ts` reads and writes them; the pipeline in `encode.ts`
 * runs them as the `tokenizers` crate does.
 */

/** A pattern: a literal string or an Oniguruma regular expression. */
export type PatternSpec = { readonly string: string } | { readonly regex: string };

export type NormalizerSpec =
  | { readonly type: 'NFC' }
  | { readonly type: 'Prepend'; readonly prepend: string }
  | { readonly type: 'Replace'; readonly pattern: PatternSpec; readonly content: string }
  | { readonly type: 'Sequence'; readonly normalizers: readonly NormalizerSpec[] };

export type PrependScheme = 'always' | 'first' | 'never';

export type PreTokenizerSpec =
  | { readonly type: 'ByteLevel'; readonly addPrefixSpace: boolean; readonly trimOffsets: boolean; readonly useRegex: boolean }
  | { readonly type: 'Split'; readonly pattern: PatternSpec; readonly behavior: SplitBehavior; readonly invert: boolean }
  | { readonly type: 'Metaspace'; readonly replacement: string; readonly prependScheme: PrependScheme; readonly split: boolean }
  | { readonly type: 'Digits'; readonly individualDigits: boolean }
  | { readonly type: 'Sequence'; readonly pretokenizers: readonly PreTokenizerSpec[] };

/**
 * A BPE model: its own tokens by id (`vocab[id]`; null at the ids only an added token has), merges by rank as
 * ids. Ids run 0..N-1 over the model's tokens and the added tokens together.
 */
export interface BpeSpec {
  readonly vocab: readonly (string | null)[];
  readonly merges: readonly (readonly [number, number])[];
  readonly unkToken: string | null;
  readonly byteFallback: boolean;
  readonly fuseUnk: boolean;
  readonly ignoreMerges: boolean;
}

/** An added token and its matching flags (the crate's `AddedToken`). */
export interface AddedTokenSpec {
  readonly id: number;
  readonly content: string;
  readonly special: boolean;
  readonly normalized: boolean;
  readonly lstrip: boolean;
  readonly rstrip: boolean;
  readonly singleWord: boolean;
}

/** One piece of a TemplateProcessing template: a named special token, or the sequence (A or B). */
export type TemplatePiece =
  | { readonly specialToken: string; readonly typeId: number }
  | { readonly sequence: 'A' | 'B'; readonly typeId: number };

export type PostProcessorSpec =
  | { readonly type: 'ByteLevel'; readonly addPrefixSpace: boolean; readonly trimOffsets: boolean; readonly useRegex: boolean }
  | {
    readonly type: 'TemplateProcessing'; readonly single: readonly TemplatePiece[]; readonly pair: readonly TemplatePiece[];
    readonly specialTokens: Readonly<Record<string, { readonly id: string; readonly ids: readonly number[]; readonly tokens: readonly string[] }>>;
  }
  | { readonly type: 'Sequence'; readonly processors: readonly PostProcessorSpec[] };

export type DecoderSpec =
  | { readonly type: 'ByteLevel'; readonly addPrefixSpace: boolean; readonly trimOffsets: boolean; readonly useRegex: boolean }
  | { readonly type: 'Metaspace'; readonly replacement: string; readonly prependScheme: PrependScheme; readonly split: boolean }
  | { readonly type: 'ByteFallback' }
  | { readonly type: 'Fuse' }
  | { readonly type: 'Strip'; readonly content: string; readonly start: number; readonly stop: number }
  | { readonly type: 'Replace'; readonly pattern: PatternSpec; readonly content: string }
  | { readonly type: 'Sequence'; readonly decoders: readonly DecoderSpec[] };

/** A whole `tokenizer.json`. */
export interface TokenizerSpec {
  readonly normalizer: NormalizerSpec | null;
  readonly preTokenizer: PreTokenizerSpec | null;
  readonly model: BpeSpec;
  readonly addedTokens: readonly AddedTokenSpec[];
  readonly postProcessor: PostProcessorSpec | null;
  readonly decoder: DecoderSpec | null;
}
