import * as E from 'fp-ts/lib/Either.js';
import { type FlagSpecs, type FlagValues, flagsHelp, parseFlags } from './flags.js';

/** Where a command writes: standard output for results, standard error for errors and progress. */
export interface CliIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}

/** Exit codes: 0 done, 1 the command failed (a missing file, a bad config), 2 bad usage (flags). */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

export interface CommandSpec<S extends FlagSpecs> {
  /** The words that name it: `['generate']`, `['tokenizer', 'train']`. */
  readonly path: readonly string[];
  readonly summary: string;
  /** More help text, shown under the usage line. */
  readonly details?: string;
  readonly flags: S;
  /** Runs the command; a Left is one line saying what failed (exit code 1). */
  readonly run: (flags: FlagValues<S>, io: CliIo) => Promise<E.Either<string, void>>;
}

/** A command with its flag types erased, as the registry holds it. */
export interface Command {
  readonly path: readonly string[];
  readonly summary: string;
  readonly help: () => string;
  /** Parses `argv` (the words after the command's path), runs, and returns the exit code. */
  readonly invoke: (argv: readonly string[], io: CliIo) => Promise<number>;
}

export const PROGRAM = 'safekey';

export function defineCommand<S extends FlagSpecs>(spec: CommandSpec<S>): Command {
  const name = [PROGRAM, ...spec.path].join(' ');
  const help = () => [`usage: ${name} [flags]`, '', spec.summary + (spec.details ? `\n\n${spec.details}` : ''), '', 'flags:', flagsHelp(spec.flags)].join('\n');
  return {
    path: spec.path,
    summary: spec.summary,
    help,
    invoke: async (argv, io) => {
      const parsed = parseFlags(spec.flags, argv);
      if (E.isLeft(parsed)) { io.err(`${name}: ${parsed.left} (see '${name} --help')`); return EXIT.usage; }
      if (parsed.right.help) { io.out(help()); return EXIT.ok; }
      const done = await spec.run(parsed.right.values, io);
      if (E.isLeft(done)) { io.err(`${name}: ${done.left}`); return EXIT.failed; }
      return EXIT.ok;
    },
  };
}
