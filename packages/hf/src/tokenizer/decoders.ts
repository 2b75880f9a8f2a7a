import { CHAR_TO_BYTE } from './byteLevel.js';
import { type Matcher, compilePattern } from './pattern.js';
import type { DecoderSpec } from './spec.js';
import { utf8Decode, utf8Encode } from './utf8.js';

/** A decoder step: token texts in, texts out (the crate's `decode_chain`). */
export type DecodeFn = (tokens: string[]) => string[];

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export function compileDecoder(spec: DecoderSpec): DecodeFn {
  switch (spec.type) {
    case 'ByteLevel':
      return (tokens) => {
        const bytes: number[] = [];
        for (const t of tokens) {
          const mapped = [...t].map((c) => CHAR_TO_BYTE.get(c));
          if (mapped.every((b) => b !== undefined)) bytes.push(...(mapped as number[]));
          else bytes.push(...utf8Encode(t));
        }
        return [utf8Decode(Uint8Array.from(bytes))];
      };
    case 'Metaspace':
      return (tokens) => tokens.map((t, i) => [...t].flatMap((c) => (c !== spec.replacement ? [c] : i === 0 && spec.prependScheme !== 'never' ? [] : [' '])).join(''));
    case 'ByteFallback':
      return (tokens) => {
        const out: string[] = [];
        let pending: number[] = [];
        const flush = () => {
          if (pending.length === 0) return;
          try { out.push(strictUtf8.decode(Uint8Array.from(pending))); } catch { for (const _ of pending) out.push('\uFFFD'); }
          pending = [];
        };
        for (const t of tokens) {
          const m = /^<0x([0-9A-Fa-f]{2})>$/.exec(t);
          if (m) pending.push(parseInt(m[1]!, 16));
          else { flush(); out.push(t); }
        }
        flush();
        return out;
      };
    case 'Fuse':
      return (tokens) => [tokens.join('')];
    case 'Strip':
      return (tokens) => tokens.map((t) => {
        const chars = [...t];
        let a = 0;
        while (a < spec.start && a < chars.length && chars[a] === spec.content) a++;
        let b = chars.length;
        for (let i = 0; i < spec.stop && b > a && chars[b - 1] === spec.content; i++) b--;
        return chars.slice(a, b).join('');
      });
    case 'Replace': {
      const find = compilePattern(spec.pattern) as Matcher;
      return (tokens) => tokens.map((t) => find(t).map((s) => (s.isMatch ? spec.content : t.slice(s.start, s.end))).join(''));
    }
    case 'Sequence': {
      const parts = spec.decoders.map(compileDecoder);
      return (tokens) => parts.reduce((acc, f) => f(acc), tokens);
    }
  }
}
