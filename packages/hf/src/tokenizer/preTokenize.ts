/**
 * The GPT-2 pre-tokenisation pattern, character for character the one `@huggingface/tokenizers` (and the Rust
 * `tokenizers` crate) use for a `ByteLevel` pre-tokenizer with `use_regex: true`: English contractions, letter runs,
 * digit runs and other-symbol runs (each with an optional leading space), then whitespace runs (a run followed by
 * a non-space keeps its last space for the next piece). Every character of the input lands in exactly one piece.
 *
 * `\s` here is JavaScript's: it includes U+FEFF and not U+0085, where the Rust crate's (Oniguruma) is the other
 * way round; texts with those two characters may pre-tokenise differently in Python.
 */
export const PRE_TOKENIZE_PATTERN = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

export interface PreToken {
  readonly text: string;
  /** UTF-16 offset of the piece in the string given to `preTokenize`. */
  readonly start: number;
}

export function preTokenize(text: string): PreToken[] {
  const out: PreToken[] = [];
  for (const m of text.matchAll(PRE_TOKENIZE_PATTERN)) out.push({ text: m[0], start: m.index });
  return out;
}
