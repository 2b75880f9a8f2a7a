/**
 * Oniguruma patterns (what `tokenizers` compiles a `{"Regex": ...}` with) as JavaScript regular expressions with
 * the same matches, for the syntax tokenizer files use: `\s` and `\S` are Unicode White_Space (JavaScript's
 * `\s` also takes U+FEFF and not U+0085), `.` (all but a newline) and the line anchors `^` and `$`, `(?i:...)` groups (JavaScript before ES2025 has no inline flags) with
 * Unicode simple case folding of their ASCII letters (`s` also matches U+017F, `k` U+212A), `\p{...}`
 * properties, classes, quantifiers, lookaround. Anything else is refused with a message naming it.
 */

const WHITE_SPACE = '\\t\\n\\v\\f\\r \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';

/** ASCII letters whose simple case folding has a non-ASCII member. */
const EXTRA_FOLDS: Readonly<Record<string, string>> = { s: '\u017f', k: '\u212a' };

const foldClass = (c: string): string => {
  const lower = c.toLowerCase();
  return `[${lower}${lower.toUpperCase()}${EXTRA_FOLDS[lower] ?? ''}]`;
};

/** Escapes JavaScript's `u`-mode accepts after a backslash as they are. */
const JS_ESCAPES = new Set([...'dDwWbBtnrvf0', ...'^$\\.*+?()[]{}|/-']);

export type Translated = { readonly ok: true; readonly source: string } | { readonly ok: false; readonly problem: string };

/** The JavaScript source (for `new RegExp(source, 'gu')`) of an Oniguruma pattern. */
export function translateOniguruma(pattern: string): Translated {
  let out = '';
  let inClass = false;
  const groups: boolean[] = []; // per open group: was it a (?i: group
  let fold = 0;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\') {
      const n = pattern[i + 1];
      if (n === undefined) return { ok: false, problem: 'the pattern ends in a backslash' };
      i++;
      if (n === 's') { out += inClass ? WHITE_SPACE : `[${WHITE_SPACE}]`; continue; }
      if (n === 'S') {
        if (inClass) return { ok: false, problem: '\\S inside a character class is not supported' };
        out += `[^${WHITE_SPACE}]`;
        continue;
      }
      if (n === 'p' || n === 'P') {
        const close = pattern.indexOf('}', i);
        if (pattern[i + 1] !== '{' || close < 0) return { ok: false, problem: `\\${n} without {...} is not supported` };
        out += pattern.slice(i - 1, close + 1);
        i = close;
        continue;
      }
      if (n === 'x' || n === 'u') { out += `\\${n}`; continue; }
      if (/[A-Za-z]/.test(n) && !JS_ESCAPES.has(n)) return { ok: false, problem: `the escape \\${n} is not supported` };
      if (n === 'd' || n === 'D' || n === 'w' || n === 'W' || n === 'b' || n === 'B')
        return { ok: false, problem: `the escape \\${n} is not supported (Oniguruma's is Unicode-aware, JavaScript's ASCII)` };
      if (n === '-') { out += inClass ? '\\-' : '-'; continue; }
      out += JS_ESCAPES.has(n) ? `\\${n}` : /[A-Za-z0-9]/.test(n) ? `\\${n}` : n === ' ' ? ' ' : `\\u{${n.codePointAt(0)!.toString(16)}}`;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      if (c === '[') return { ok: false, problem: 'nested character classes are not supported' };
      if (fold > 0 && /[A-Za-z]/.test(c)) return { ok: false, problem: 'a character class inside (?i:...) is not supported' };
      out += c;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += c;
      if (pattern[i + 1] === '^') { out += '^'; i++; }
      if (pattern[i + 1] === ']') { out += '\\]'; i++; }
      continue;
    }
    if (c === '(') {
      if (pattern.startsWith('(?i:', i)) { groups.push(true); fold++; out += '(?:'; i += 3; continue; }
      if (pattern[i + 1] === '?' && !/^\(\?(?::|=|!|<=|<!)/.test(pattern.slice(i, i + 4)))
        return { ok: false, problem: `the group ${pattern.slice(i, i + 4)}... is not supported` };
      groups.push(false);
      out += c;
      continue;
    }
    if (c === ')') {
      if (groups.pop()) fold--;
      out += c;
      continue;
    }
    // Ruby syntax: '.' excludes only a newline, '^' and '$' are line anchors
    if (c === '.') { out += '[^\\n]'; continue; }
    if (c === '^') { out += '(?<![^\\n])'; continue; }
    if (c === '$') { out += '(?![^\\n])'; continue; }
    out += fold > 0 && /[A-Za-z]/.test(c) ? foldClass(c) : c;
  }
  if (inClass) return { ok: false, problem: 'an unclosed character class' };
  try { new RegExp(out, 'gu'); } catch (e) { return { ok: false, problem: `not a valid pattern here (${(e as Error).message})` }; }
  return { ok: true, source: out };
}
