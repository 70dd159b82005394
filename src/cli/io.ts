import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ProvkitError } from '../errors.js';
import { writeAtomically } from '../node/file-issuer-store.js';
import type { CommandArguments, CommandContext, OptionSpec } from './command.js';
import { stringOption } from './command.js';

/** Largest input file the CLI reads, in bytes; provkit's largest format limit is 1 MiB. */
const MAX_INPUT_BYTES = 4 * 1024 * 1024;

/** Reads an input file; throws ProvkitError('not-found') or ('oversized') naming it. */
export async function readInput(file: string, what: string): Promise<Uint8Array> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ProvkitError('not-found', `${what} ${file} does not exist; check the path`);
    if (code === 'EISDIR') throw new ProvkitError('invalid-argument', `${what} ${file} is a directory; give a file`);
    throw error;
  }
  if (bytes.length > MAX_INPUT_BYTES) {
    throw new ProvkitError('oversized', `${what} is ${bytes.length} bytes, more than the ${MAX_INPUT_BYTES} bytes provkit reads`, { file });
  }
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
}

/** Builds the two flags that name where a passphrase comes from, with `prefix` such as `passphrase` or `new-passphrase`. */
export function passphraseOptions(prefix: string, purpose: string, defaultEnv: string, note = ''): Record<string, OptionSpec> {
  const suffix = note === '' ? '' : ` ${note}`;
  return {
    [`${prefix}-file`]: { type: 'string', value: 'FILE', description: `Read the ${purpose} from FILE (UTF-8, one trailing newline removed).${suffix}` },
    [`${prefix}-env`]: { type: 'string', value: 'NAME', description: `Read the ${purpose} from environment variable NAME (default ${defaultEnv}).${suffix}` },
  };
}

/**
 * Reads a passphrase from `--PREFIX-file` or `--PREFIX-env` (default `defaultEnv`). Passphrases
 * are never accepted on the command line, where other users can read them from the process
 * list. Throws ProvkitError('invalid-argument') when none is available or it is empty.
 */
export async function readPassphrase(args: CommandArguments, context: CommandContext, prefix: string, purpose: string, defaultEnv: string): Promise<string> {
  const file = stringOption(args, `${prefix}-file`);
  const envName = stringOption(args, `${prefix}-env`);
  if (file !== undefined && envName !== undefined) {
    throw new ProvkitError('invalid-argument', `give either --${prefix}-file or --${prefix}-env for the ${purpose}, not both`);
  }
  let passphrase: string | undefined;
  if (file !== undefined) {
    passphrase = new TextDecoder('utf-8', { fatal: true }).decode(await readInput(file, `${purpose} file`)).replace(/\r?\n$/, '');
  } else {
    const name = envName ?? defaultEnv;
    passphrase = context.env[name];
    if (passphrase === undefined) {
      throw new ProvkitError('invalid-argument', `no ${purpose}: set environment variable ${name} or pass --${prefix}-file FILE`);
    }
  }
  if (passphrase === '') throw new ProvkitError('invalid-argument', `the ${purpose} is empty; provide a non-empty passphrase`);
  return passphrase;
}

/**
 * Writes output files only after every one of them is ready, each atomically, and refuses to
 * replace existing files unless `force` is set. Throws ProvkitError('invalid-state') before
 * writing anything when a target exists.
 */
export async function writeOutputs(outputs: Array<{ file: string; bytes: Uint8Array | string; mode?: number }>, force: boolean): Promise<void> {
  const { access, mkdir } = await import('node:fs/promises');
  if (!force) {
    for (const output of outputs) {
      const exists = await access(output.file).then(() => true, () => false);
      if (exists) throw new ProvkitError('invalid-state', `${output.file} already exists; remove it or pass --force`);
    }
  }
  for (const output of outputs) {
    await mkdir(path.dirname(path.resolve(output.file)), { recursive: true });
    await writeAtomically(output.file, output.bytes);
  }
}
