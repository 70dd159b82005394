import { ProvkitError } from '../errors.js';
import { removeUncommittedFiles } from '../node/file-issuer-store.js';
import { isLogLevel, Logger } from '../log/logger.js';
import { CommandFailure, commandHelp, parseCommandArguments, type CommandContext, type CommandSpec } from './command.js';
import { DEVICE_COMMANDS } from './commands/device.js';
import { IDENTITY_COMMANDS } from './commands/identity.js';
import { INSPECT_COMMANDS } from './commands/inspect.js';
import { LAB_COMMANDS } from './commands/lab.js';
import { PROXY_COMMANDS } from './commands/proxy.js';
import { EXIT, EXIT_DESCRIPTIONS, exitCodeFor } from './exit-codes.js';

/** Every command, in the order `provkit --help` lists them. */
export const COMMANDS: CommandSpec[] = [...LAB_COMMANDS, ...DEVICE_COMMANDS, ...PROXY_COMMANDS, ...INSPECT_COMMANDS, ...IDENTITY_COMMANDS];

/** Name of the command this process runs, for the line printed when it is interrupted. */
let runningCommand: string | undefined;

/**
 * Handles SIGINT or SIGTERM: removes the temporary files and the lab lock this process holds,
 * prints one line and returns the exit status (8, cancelled). Output files and lab state are
 * replaced by atomic renames, so each is either complete or untouched.
 */
export function interrupted(signal: string, io: Pick<CliIo, 'stderr'> = defaultIo): number {
  removeUncommittedFiles();
  const name = runningCommand === undefined ? 'provkit' : `provkit ${runningCommand}`;
  io.stderr(`${name}: interrupted by ${signal}; files and lab records written before it are complete and nothing is half-written; check what was done (for a lab, with \"provkit lab report\") before running the command again [cancelled]\n`);
  return EXIT.environment;
}

/** Output streams and environment of the CLI; tests replace them. */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: Record<string, string | undefined>;
}

const defaultIo: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
};

function overallHelp(): string {
  const width = Math.max(...COMMANDS.map((command) => command.name.length)) + 2;
  const lines = [
    'Usage: provkit <command> [flags]',
    '',
    'Provision device identities with open CMS/X.509 files: a lab issuer, the device side and inspection tools.',
    '',
    'Commands:',
    ...COMMANDS.map((command) => `  ${command.name.padEnd(width)}${command.summary.split('. ')[0]!.replace(/\.$/, '')}`),
    '',
    'Run "provkit <command> --help" for the flags of a command.',
    'Passphrases are read from a file (--passphrase-file) or an environment variable (--passphrase-env), never from the command line.',
    '',
    'Exit status:',
    ...EXIT_DESCRIPTIONS.map(([code, description]) => `  ${code}  ${description}`),
  ];
  return `${lines.join('\n')}\n`;
}

function findCommand(argv: string[]): { command: CommandSpec; rest: string[] } | undefined {
  for (const command of COMMANDS) {
    const words = command.name.split(' ');
    if (words.every((word, index) => argv[index] === word)) return { command, rest: argv.slice(words.length) };
  }
  return undefined;
}

/** Keeps a message on one line, so that a failure is exactly one line on stderr. */
function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}

/** Description and remedy of each errno code a file system call may fail with, and its exit status. */
const SYSTEM_ERRORS: Record<string, { what: string; todo: string; exitCode: number }> = {
  EACCES: { what: 'permission denied', todo: 'check the permissions of the file and its directory, or run as a user who may use them', exitCode: EXIT.internal },
  EPERM: { what: 'operation not permitted', todo: 'check the permissions of the file and its directory, or run as a user who may use them', exitCode: EXIT.internal },
  EROFS: { what: 'the file system is read-only', todo: 'use a directory on a writable file system', exitCode: EXIT.internal },
  ENOTDIR: { what: 'a part of the path is a file, not a directory', todo: 'check the path', exitCode: EXIT.usage },
  ENOSPC: { what: 'no space left on the device', todo: 'free some space and run the command again [storage-full]', exitCode: EXIT.environment },
  EDQUOT: { what: 'the disk quota is exhausted', todo: 'free some space and run the command again [storage-full]', exitCode: EXIT.environment },
};

/**
 * Turns an error from a file system call into one line that names the path and the fix, so
 * that it is not reported as an internal error. Returns undefined for any other error.
 */
function systemErrorLine(error: unknown): { message: string; exitCode: number } | undefined {
  if (!(error instanceof Error)) return undefined;
  const { code, path: file, syscall } = error as NodeJS.ErrnoException;
  const known = code === undefined ? undefined : SYSTEM_ERRORS[code];
  if (known === undefined || file === undefined) return undefined;
  return { message: `cannot ${syscall ?? 'use'} ${file}: ${known.what}; ${known.todo}`, exitCode: known.exitCode };
}

/**
 * Runs `provkit` with `argv` (without the node and script paths) and returns the exit status.
 * A failure prints exactly one line on stderr: what failed, the error code and what to do.
 */
export async function main(argv: string[], io: CliIo = defaultIo): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    io.stdout(overallHelp());
    return argv.length === 0 ? EXIT.usage : EXIT.ok;
  }
  if (argv[0] === '--version') {
    io.stdout('provkit 0.1.0\n');
    return EXIT.ok;
  }
  const found = findCommand(argv);
  if (found === undefined) {
    // For a command group such as "lab" or "identity", list the group's subcommands.
    const group = COMMANDS.filter((command) => command.name.startsWith(`${argv[0]} `)).map((command) => command.name.slice(argv[0]!.length + 1));
    const hint = group.length > 0 ? ` ${argv[0]![0]!.toUpperCase()}${argv[0]!.slice(1)} commands: ${group.join(', ')}.` : '';
    io.stderr(`provkit: unknown command "${argv.slice(0, group.length > 0 ? 2 : 1).join(' ')}".${hint} Run "provkit --help" for the list.\n`);
    return EXIT.usage;
  }
  const { command, rest } = found;
  runningCommand = command.name;

  const logger = new Logger({ level: 'error', source: 'provkit', sink: (record) => io.stderr(`${oneLine(`${record.level}: [${record.source}] ${record.message} ${Object.entries(record.fields ?? {}).map(([key, value]) => `${key}=${String(value)}`).join(' ')}`)}\n`) });
  const context: CommandContext = {
    logger,
    print: (text) => io.stdout(`${text}\n`),
    env: io.env,
    now: () => {
      // PROVKIT_NOW pins the clock for reproducible runs (tests, replays of a lab session).
      const pinned = io.env['PROVKIT_NOW'];
      return pinned === undefined ? new Date() : new Date(pinned);
    },
  };
  try {
    const pinned = io.env['PROVKIT_NOW'];
    if (pinned !== undefined && (!/^\d{4}-\d\d-\d\dT/.test(pinned) || Number.isNaN(new Date(pinned).getTime()))) {
      throw new ProvkitError('invalid-argument', `environment variable PROVKIT_NOW must be an RFC 3339 time such as 2026-05-01T12:00:00Z, got ${JSON.stringify(pinned)}; unset it to use the system clock`);
    }
    const args = parseCommandArguments(command, rest);
    if (args.values['help'] === true) {
      io.stdout(commandHelp(command));
      return EXIT.ok;
    }
    const level = args.values['log-level'];
    if (typeof level === 'string') {
      if (!isLogLevel(level)) throw new ProvkitError('invalid-argument', `--log-level must be error, warn, info or debug, got ${JSON.stringify(level)}`);
      logger.setLevel(level);
    }
    await command.run(args, context);
    return EXIT.ok;
  } catch (error) {
    if (error instanceof CommandFailure) {
      io.stderr(`provkit ${command.name}: ${oneLine(error.message)}\n`);
      return error.exitCode;
    }
    if (error instanceof ProvkitError) {
      io.stderr(`provkit ${command.name}: ${oneLine(error.message)} [${error.code}]\n`);
      return exitCodeFor(error.code);
    }
    const system = systemErrorLine(error);
    if (system !== undefined) {
      io.stderr(`provkit ${command.name}: ${oneLine(system.message)}\n`);
      return system.exitCode;
    }
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    io.stderr(`provkit ${command.name}: internal error: ${oneLine(message)}; please report it with the command line that caused it\n`);
    return EXIT.internal;
  }
}
