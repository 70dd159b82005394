import { parseArgs } from 'node:util';
import { ProvkitError } from '../errors.js';
import type { Logger } from '../log/logger.js';

/** A flag of a command, as `--help` documents it. */
export interface OptionSpec {
  type: 'string' | 'boolean';
  /** Placeholder shown in help, for example `FILE` or `DAYS`. */
  value?: string;
  /** Help text: the value the flag sets, with its unit and default. */
  description: string;
  multiple?: boolean;
  short?: string;
  required?: boolean;
}

/** Parsed flags and positional arguments of one invocation. */
export interface CommandArguments {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

/** Services a command receives besides its arguments. */
export interface CommandContext {
  logger: Logger;
  /** Writes one line (or block) of regular output to stdout. */
  print: (text: string) => void;
  /** Environment variables, for passphrases named by `--passphrase-env`. */
  env: Record<string, string | undefined>;
  /** Current time, overridable in tests through PROVKIT_NOW. */
  now: () => Date;
}

/** One `provkit` command. */
export interface CommandSpec {
  /** Words that select the command, for example `lab approve`. */
  name: string;
  summary: string;
  /** Positional arguments as shown in the usage line, for example `FILE...`. */
  positionals?: string;
  /** Minimum and maximum positional count; default none allowed. */
  positionalCount?: { min: number; max: number };
  options: Record<string, OptionSpec>;
  /** Extra help text after the flag list. */
  details?: string;
  run: (args: CommandArguments, context: CommandContext) => Promise<void>;
}

/**
 * A failure reported after the command printed its per-item output (for example one line per
 * submitted request): main prints only this summary line and exits with `exitCode`.
 */
export class CommandFailure extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

/** Flags every command accepts. */
export const COMMON_OPTIONS: Record<string, OptionSpec> = {
  help: { type: 'boolean', short: 'h', description: 'Show this help and exit.' },
  'log-level': { type: 'string', value: 'LEVEL', description: 'Least severe log level written to stderr: error, warn, info or debug (default error).' },
};

/** Parses `argv` against the command's flags; throws ProvkitError('invalid-argument') on a usage error. */
export function parseCommandArguments(spec: CommandSpec, argv: string[]): CommandArguments {
  const options = { ...COMMON_OPTIONS, ...spec.options };
  const config: Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }> = {};
  for (const [name, option] of Object.entries(options)) {
    config[name] = { type: option.type };
    if (option.multiple === true) config[name].multiple = true;
    if (option.short !== undefined) config[name].short = option.short;
  }
  let parsed: CommandArguments;
  try {
    const result = parseArgs({ args: argv, options: config, allowPositionals: true, strict: true });
    parsed = { values: result.values as CommandArguments['values'], positionals: result.positionals };
  } catch (error) {
    throw new ProvkitError('invalid-argument', `${describeParseError(error as Error)}; see "provkit ${spec.name} --help"`);
  }
  if (parsed.values.help === true) return parsed;

  for (const [name, option] of Object.entries(spec.options)) {
    if (option.required === true && parsed.values[name] === undefined) {
      throw new ProvkitError('invalid-argument', `--${name} is required; see "provkit ${spec.name} --help"`);
    }
  }
  const count = spec.positionalCount ?? { min: 0, max: 0 };
  if (parsed.positionals.length < count.min || parsed.positionals.length > count.max) {
    const expected = count.max === 0 ? 'no arguments' : spec.positionals ?? 'arguments';
    throw new ProvkitError('invalid-argument', `provkit ${spec.name} takes ${expected}, got ${parsed.positionals.length === 0 ? 'none' : parsed.positionals.join(' ')}; see "provkit ${spec.name} --help"`);
  }
  return parsed;
}

/**
 * Rewrites a `util.parseArgs` error as a short sentence. Node's own messages span several
 * lines or suggest `--` for positionals, which does not fit the one-line error of the CLI.
 */
function describeParseError(error: Error): string {
  const code = (error as NodeJS.ErrnoException).code;
  const flagName = /'(-[^' ]+)/.exec(error.message)?.[1] ?? 'a flag';
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return `unknown flag ${flagName}`;
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    if (error.message.includes('argument missing')) return `${flagName} needs a value`;
    if (error.message.includes('ambiguous')) return `the value after ${flagName} starts with "-"; write ${flagName}=VALUE for such a value`;
    if (error.message.includes('does not take an argument')) return `${flagName} takes no value`;
  }
  return error.message.split('\n')[0]!.replace(/\.$/, '');
}

/** Renders the `--help` text of a command. */
export function commandHelp(spec: CommandSpec): string {
  const lines = [`Usage: provkit ${spec.name} [flags]${spec.positionals === undefined ? '' : ` ${spec.positionals}`}`, '', spec.summary, '', 'Flags:'];
  const options = { ...spec.options, ...COMMON_OPTIONS };
  const labels = Object.entries(options).map(([name, option]) => {
    const short = option.short === undefined ? '    ' : `-${option.short}, `;
    const value = option.type === 'string' ? ` ${option.value ?? 'VALUE'}` : '';
    return `  ${short}--${name}${value}`;
  });
  const width = Math.max(...labels.map((label) => label.length)) + 2;
  Object.values(options).forEach((option, index) => {
    const notes = [option.required === true ? 'required' : '', option.multiple === true ? 'repeatable' : ''].filter((note) => note !== '');
    const suffix = notes.length === 0 ? '' : ` (${notes.join(', ')})`;
    lines.push(`${labels[index]!.padEnd(width)}${option.description}${suffix}`);
  });
  if (spec.details !== undefined) lines.push('', spec.details.trimEnd());
  return `${lines.join('\n')}\n`;
}

/** Returns a string flag or undefined. */
export function stringOption(args: CommandArguments, name: string): string | undefined {
  const value = args.values[name];
  return typeof value === 'string' ? value : undefined;
}

/** Returns a required string flag; throws ProvkitError('invalid-argument') when it is missing. */
export function requiredString(args: CommandArguments, name: string, command: string): string {
  const value = stringOption(args, name);
  if (value === undefined || value === '') {
    throw new ProvkitError('invalid-argument', `--${name} is required; see "provkit ${command} --help"`);
  }
  return value;
}

/** Returns the values of a repeatable string flag. */
export function stringList(args: CommandArguments, name: string): string[] {
  const value = args.values[name];
  if (Array.isArray(value)) return value;
  return typeof value === 'string' ? [value] : [];
}

/** Returns a boolean flag. */
export function flag(args: CommandArguments, name: string): boolean {
  return args.values[name] === true;
}

/** Parses a positive integer flag; throws ProvkitError('invalid-argument') naming it. */
export function integerOption(args: CommandArguments, name: string, range: { min: number; max: number }): number | undefined {
  const text = stringOption(args, name);
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < range.min || value > range.max) {
    throw new ProvkitError('invalid-argument', `--${name} must be an integer from ${range.min} to ${range.max}, got ${JSON.stringify(text)}`);
  }
  return value;
}

/** Parses a time flag (RFC 3339, or seconds since 1970 prefixed with @); throws ProvkitError('invalid-argument'). */
export function timeOption(args: CommandArguments, name: string): Date | undefined {
  const text = stringOption(args, name);
  if (text === undefined) return undefined;
  const date = /^@\d+$/.test(text) ? new Date(Number(text.slice(1)) * 1000) : new Date(text);
  if (!/^@\d+$|^\d{4}-\d\d-\d\d/.test(text) || Number.isNaN(date.getTime())) {
    throw new ProvkitError('invalid-argument', `--${name} must be an RFC 3339 time such as 2026-05-01T12:00:00Z or @SECONDS, got ${JSON.stringify(text)}`);
  }
  return date;
}
