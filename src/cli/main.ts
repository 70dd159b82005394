import { ProvkitError } from '../errors.js';
import { isLogLevel, Logger } from '../log/logger.js';
import { CommandFailure, commandHelp, parseCommandArguments, type CommandContext, type CommandSpec } from './command.js';
import { DEVICE_COMMANDS } from './commands/device.js';
import { INSPECT_COMMANDS } from './commands/inspect.js';
import { LAB_COMMANDS } from './commands/lab.js';
import { EXIT, EXIT_DESCRIPTIONS, exitCodeFor } from './exit-codes.js';

/** Every command, in the order `provkit --help` lists them. */
export const COMMANDS: CommandSpec[] = [...LAB_COMMANDS, ...DEVICE_COMMANDS, ...INSPECT_COMMANDS];

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
    const lab = argv[0] === 'lab' ? ` Lab commands: ${COMMANDS.filter((command) => command.name.startsWith('lab ')).map((command) => command.name.slice(4)).join(', ')}.` : '';
    io.stderr(`provkit: unknown command "${argv.slice(0, argv[0] === 'lab' ? 2 : 1).join(' ')}".${lab} Run "provkit --help" for the list.\n`);
    return EXIT.usage;
  }
  const { command, rest } = found;

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
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    io.stderr(`provkit ${command.name}: internal error: ${oneLine(message)}; please report it with the command line that caused it\n`);
    return EXIT.internal;
  }
}
