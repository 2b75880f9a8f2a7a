import { type Normalized, prepend, replaceSpans, transform } from './normalized.js';
import { type Matcher, compilePattern } from './pattern.js';
import type { NormalizerSpec } from './spec.js';
import { nfcChanges } from './unicodeNormalize.js';

export type NormalizeFn = (n: Normalized) => Normalized;

const matcher = (p: Parameters<typeof compilePattern>[0]): Matcher => {
  const m = compilePattern(p);
  if (typeof m === 'string') throw new Error(m); // checked when the file was read
  return m;
};

/** A normalizer as a function on pieces, as the `tokenizers` crate runs it (alignments included). */
export function compileNormalizer(spec: NormalizerSpec): NormalizeFn {
  switch (spec.type) {
    case 'NFC':
      return (n) => (n.text.normalize('NFC') === n.text ? n : transform(n, nfcChanges(n.text)));
    case 'Prepend':
      return (n) => prepend(n, spec.prepend);
    case 'Replace': {
      const find = matcher(spec.pattern);
      return (n) => replaceSpans(n, find(n.text), spec.content);
    }
    case 'Sequence': {
      const parts = spec.normalizers.map(compileNormalizer);
      return (n) => parts.reduce((acc, f) => f(acc), n);
    }
  }
}
