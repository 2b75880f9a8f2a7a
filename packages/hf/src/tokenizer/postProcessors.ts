import { BYTE_TO_CHAR } from './byteLevel.js';
import type { PostProcessorSpec } from './spec.js';

/** Token ids, their original spans and their texts, as post-processors see an encoding. */
export interface RawEncoding { readonly ids: number[]; readonly offsets: [number, number][]; readonly tokens: string[] }

const SPACE = BYTE_TO_CHAR[0x20]!;
const isSpaceLike = (c: string) => c === SPACE || /\p{White_Space}/u.test(c);

/**
 * The crate's ByteLevel `process_offsets`: a token's span loses its leading and trailing spaces ('Ġ' or white
 * space in the token's text), except the one space `add_prefix_space` put before the first token.
 */
function trimOffsets(e: RawEncoding, addPrefixSpace: boolean): RawEncoding {
  const offsets = e.offsets.map(([start, end], i): [number, number] => {
    const chars = [...e.tokens[i]!];
    let leading = 0;
    while (leading < chars.length && isSpaceLike(chars[leading]!)) leading++;
    let trailing = 0;
    while (trailing < chars.length && isSpaceLike(chars[chars.length - 1 - trailing]!)) trailing++;
    if (leading > 0 && (i === 0 || start === 0) && addPrefixSpace && leading === 1) leading = 0;
    let s = start, t = end;
    if (leading > 0) s = Math.min(start + leading, end);
    if (trailing > 0 && t >= trailing) t = Math.max(t - trailing, s);
    return [s, t];
  });
  return { ...e, offsets };
}

export type PostProcessFn = (e: RawEncoding, addSpecialTokens: boolean) => RawEncoding;

/** A post-processor for one sequence (no pairs): trims offsets (ByteLevel) and adds template tokens. */
export function compilePostProcessor(spec: PostProcessorSpec): PostProcessFn {
  switch (spec.type) {
    case 'ByteLevel':
      return (e) => (spec.trimOffsets ? trimOffsets(e, spec.addPrefixSpace) : e);
    case 'TemplateProcessing':
      return (e, add) => {
        if (!add) return e;
        const out: RawEncoding = { ids: [], offsets: [], tokens: [] };
        for (const piece of spec.single) {
          if ('sequence' in piece) { out.ids.push(...e.ids); out.offsets.push(...e.offsets); out.tokens.push(...e.tokens); continue; }
          const special = spec.specialTokens[piece.specialToken]!;
          special.ids.forEach((id, k) => { out.ids.push(id); out.offsets.push([0, 0]); out.tokens.push(special.tokens[k] ?? ''); });
        }
        return out;
      };
    case 'Sequence': {
      const parts = spec.processors.map(compilePostProcessor);
      return (e, add) => parts.reduce((acc, f) => f(acc, add), e);
    }
  }
}
