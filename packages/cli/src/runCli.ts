import { type CliIo, type Command, EXIT, PROGRAM } from './command.js';
import { COMMANDS } from './registry.js';
import { describeIoError, isIoError } from '@safekey-ts/hf';

const isWord = (s: string | undefined): s is string => s !== undefined && !s.startsWith('-');

function listing(commands: readonly Command[], prefix: readonly string[]): string {
  const rows = commands.filter((c) => prefix.every((w, i) => c.path[i] === w)).map((c) => [c.path.join(' '), c.summary] as const);
  const width = Math.max(...rows.map(([l]) => l.length));
  const usage = [PROGRAM, ...prefix, '<command>'].join(' ');
  return [`usage: ${usage} [flags]`, '', 'commands:', ...rows.map(([l, r]) => `  ${l.padEnd(width)}  ${r}`), '', `Run '${PROGRAM} <command> --help' for a command's flags.`].join('\n');
}

/**
 * Runs the command named by the leading words of `argv` and returns the exit code (0 done, 1 failed, 2 bad
 * usage). `--help` on its own, or after a group word (`tokenizer`), lists the commands. Every failure is one
 * line on `io.err`; an unexpected exception too (never a stack trace).
 */
export async function runCli(argv: readonly string[], io: CliIo, commands: readonly Command[] = COMMANDS): Promise<number> {
  const words: string[] = [];
  while (isWord(argv[words.length])) words.push(argv[words.length]!);
  const rest = argv.slice(words.length);
  let match: Command | undefined;
  for (const c of commands) if (c.path.length <= words.length && c.path.every((w, i) => words[i] === w) && (!match || c.path.length > match.path.length)) match = c;
  try {
    if (match) {
      const extra = words.slice(match.path.length);
      if (extra.length > 0) {
        const name = [PROGRAM, ...match.path].join(' ');
        io.err(`${name}: unexpected argument '${extra[0]}' (see '${name} --help')`);
        return EXIT.usage;
      }
      return await match.invoke(rest, io);
    }
    const group = commands.some((c) => c.path.length > words.length && words.every((w, i) => c.path[i] === w));
    if (group && (rest.includes('--help') || rest.includes('-h'))) { io.out(listing(commands, words)); return EXIT.ok; }
    if (words.length === 0 && rest.length === 0) { io.err(listing(commands, [])); return EXIT.usage; }
    if (group && words.length > 0 && rest.length === 0) { io.err(listing(commands, words)); return EXIT.usage; }
    const what = words.length > 0 ? `unknown command '${words.join(' ')}'` : `unknown flag ${rest[0]}`;
    io.err(`${PROGRAM}: ${what} (see '${PROGRAM} --help')`);
    return EXIT.usage;
  } catch (cause) {
    const name = [PROGRAM, ...(match?.path ?? [])].join(' ');
    if (isIoError(cause)) { io.err(`${name}: ${describeIoError(cause.path ?? '(unknown path)', cause)}`); return EXIT.failed; }
    io.err(`${name}: internal error: ${cause instanceof Error ? cause.message.split('\n')[0] : String(cause)}`);
    return EXIT.failed;
  }
}

