import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';

/** How a flag may appear: exactly once, at most once (with or without a default), any number of times, or bare. */
export type FlagKind = 'required' | 'optional' | 'default' | 'repeated' | 'switch';

/** One `--name VALUE` flag: its value decoded from the command-line string by an io-ts codec. */
export interface Flag<A, K extends FlagKind = FlagKind> {
  readonly kind: K;
  readonly codec: t.Decoder<unknown, A>;
  /** What the value is, for help: `FILE`, `N`, `TEXT`. */
  readonly placeholder: string;
  readonly help: string;
  readonly default?: A;
}

export type FlagSpecs = Readonly<Record<string, Flag<unknown>>>;

/** The decoded values: keys are the spec's keys (the flag is the key in kebab case: `maxNewTokens` is `--max-new-tokens`). */
export type FlagValues<S extends FlagSpecs> = {
  readonly [K in keyof S]: S[K] extends Flag<infer A, infer Kind>
    ? Kind extends 'required' | 'default' ? A : Kind extends 'optional' ? A | undefined : Kind extends 'repeated' ? readonly A[] : boolean
    : never;
};

export const required = <A>(codec: t.Decoder<unknown, A>, placeholder: string, help: string): Flag<A, 'required'> => ({ kind: 'required', codec, placeholder, help });
export const optional = <A>(codec: t.Decoder<unknown, A>, placeholder: string, help: string): Flag<A, 'optional'> => ({ kind: 'optional', codec, placeholder, help });
export const withDefault = <A>(codec: t.Decoder<unknown, A>, placeholder: string, help: string, value: A): Flag<A, 'default'> => ({ kind: 'default', codec, placeholder, help, default: value });
export const repeated = <A>(codec: t.Decoder<unknown, A>, placeholder: string, help: string): Flag<A, 'repeated'> => ({ kind: 'repeated', codec, placeholder, help });
export const switchFlag = (help: string): Flag<boolean, 'switch'> => ({ kind: 'switch', codec: t.boolean, placeholder: '', help });

/** `maxNewTokens` -> `max-new-tokens`. */
export const flagName = (key: string): string => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

const stringCodec = <A>(name: string, parse: (s: string) => A | string): t.Decoder<unknown, A> =>
  new t.Type<A, unknown, unknown>(name, (u): u is A => false, (u, c) => {
    if (typeof u !== 'string') return t.failure(u, c, `expected ${name}`);
    const r = parse(u);
    return typeof r === 'string' && r.startsWith('\0') ? t.failure(u, c, r.slice(1)) : t.success(r as A);
  }, (a) => a);
const reject = (why: string) => `\0${why}`;

/** Any text (may be empty). */
export const text = stringCodec<string>('text', (s) => s);
/** A non-empty path. */
export const pathArg = stringCodec<string>('a path', (s) => (s.length > 0 ? s : reject('expected a path, got an empty string')));

/** An integer within bounds. */
export const integer = (min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER) => {
  const what = max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer from ${min} to ${max}`;
  return stringCodec<number>(what, (s) => {
    const n = /^[+-]?\d+$/.test(s.trim()) ? Number(s) : Number.NaN;
    return Number.isSafeInteger(n) && n >= min && n <= max ? n : reject(`expected ${what}, got '${s}'`);
  });
};

/** A finite number within bounds (`above`: strictly greater than). */
export const number = (bounds: { readonly min?: number; readonly above?: number; readonly max?: number } = {}) => {
  const parts = [bounds.min !== undefined ? `>= ${bounds.min}` : '', bounds.above !== undefined ? `> ${bounds.above}` : '', bounds.max !== undefined ? `<= ${bounds.max}` : ''].filter(Boolean);
  const what = `a number${parts.length ? ` ${parts.join(' and ')}` : ''}`;
  return stringCodec<number>(what, (s) => {
    const n = s.trim() === '' ? Number.NaN : Number(s);
    const ok = Number.isFinite(n) && (bounds.min === undefined || n >= bounds.min) && (bounds.above === undefined || n > bounds.above) && (bounds.max === undefined || n <= bounds.max);
    return ok ? n : reject(`expected ${what}, got '${s}'`);
  });
};

const firstMessage = (errors: t.Errors): string => errors[0]?.message ?? 'invalid value';

/** The result of parsing: the values, or a request for help. */
export type Parsed<S extends FlagSpecs> = { readonly help: true } | { readonly help: false; readonly values: FlagValues<S> };

/**
 * Parses `--name VALUE`, `--name=VALUE` and bare switches against `spec`; `--help` or `-h` anywhere asks for
 * help. An unknown flag, a positional argument, a missing value, a repeated single flag, a missing required flag
 * or a value its codec rejects is a Left with one line naming the flag.
 */
export function parseFlags<S extends FlagSpecs>(spec: S, argv: readonly string[]): E.Either<string, Parsed<S>> {
  if (argv.includes('--help') || argv.includes('-h')) return E.right({ help: true });
  const byName = new Map(Object.keys(spec).map((k) => [flagName(k), k]));
  const raw = new Map<string, string[]>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--') || arg === '--') return E.left(`unexpected argument '${arg}'`);
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const key = byName.get(name);
    if (key === undefined) return E.left(`unknown flag --${name}`);
    const flag = spec[key]!;
    let value: string;
    if (flag.kind === 'switch') {
      if (eq >= 0) return E.left(`--${name} takes no value`);
      value = 'true';
    } else if (eq >= 0) value = arg.slice(eq + 1);
    else {
      const next = argv[i + 1];
      if (next === undefined || (next.startsWith('--') && next.length > 2)) return E.left(`--${name} needs a value ${flag.placeholder}`);
      value = next;
      i++;
    }
    const seen = raw.get(key) ?? [];
    if (seen.length > 0 && flag.kind !== 'repeated') return E.left(`--${name} given more than once`);
    raw.set(key, [...seen, value]);
  }
  const values: Record<string, unknown> = {};
  for (const [key, flag] of Object.entries(spec)) {
    const name = flagName(key);
    const given = raw.get(key) ?? [];
    if (flag.kind === 'switch') { values[key] = given.length > 0; continue; }
    if (given.length === 0) {
      if (flag.kind === 'required') return E.left(`missing --${name} ${flag.placeholder}`);
      values[key] = flag.kind === 'repeated' ? [] : flag.default;
      continue;
    }
    const decoded: unknown[] = [];
    for (const v of given) {
      const r = flag.codec.decode(v);
      if (E.isLeft(r)) return E.left(`--${name}: ${firstMessage(r.left)}`);
      decoded.push(r.right);
    }
    values[key] = flag.kind === 'repeated' ? decoded : decoded[0];
  }
  return E.right({ help: false, values: values as FlagValues<S> });
}

/** The flags part of a command's help, one line each. */
export function flagsHelp(spec: FlagSpecs): string {
  const rows = Object.entries(spec).map(([key, f]) => {
    const left = `--${flagName(key)}${f.placeholder ? ` ${f.placeholder}` : ''}`;
    const note = f.kind === 'required' ? ' (required)' : f.kind === 'repeated' ? ' (repeatable)' : f.kind === 'default' ? ` (default ${JSON.stringify(f.default)})` : '';
    return [left, `${f.help}${note}`] as const;
  });
  rows.push(['--help', 'show this help']);
  const width = Math.max(...rows.map(([l]) => l.length));
  return rows.map(([l, r]) => `  ${l.padEnd(width)}  ${r}`).join('\n');
}
