import { mkdir, open, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { ProvkitError } from '../errors.js';
import { commitStagedFile, discardStagedFile, stageFile, type StagedFile } from '../node/file-issuer-store.js';
import type { CommandArguments, CommandContext, OptionSpec } from './command.js';
import { stringOption } from './command.js';

/** Largest input file the CLI reads, in bytes; provkit's largest format limit is 1 MiB. */
const MAX_INPUT_BYTES = 4 * 1024 * 1024;

/**
 * Reads an input file of at most MAX_INPUT_BYTES. It reads through a bounded buffer rather
 * than `readFile`, so that a device or a pipe given as input (`/dev/zero`, a FIFO that never
 * ends) fails as oversized instead of exhausting memory. Throws ProvkitError('not-found'),
 * ('invalid-argument') for a directory, or ('oversized'), each naming the file.
 */
export async function readInput(file: string, what: string): Promise<Uint8Array> {
  let handle: FileHandle;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ProvkitError('not-found', `${what} ${file} does not exist; check the path`);
    if (code === 'EISDIR') throw new ProvkitError('invalid-argument', `${what} ${file} is a directory; give a file`);
    throw error;
  }
  try {
    if ((await handle.stat()).isDirectory()) throw new ProvkitError('invalid-argument', `${what} ${file} is a directory; give a file`);
    // One byte more than the limit distinguishes a file at the limit from a larger one.
    const buffer = Buffer.alloc(MAX_INPUT_BYTES + 1);
    let length = 0;
    for (;;) {
      let bytesRead: number;
      try {
        ({ bytesRead } = await handle.read(buffer, length, buffer.length - length, null));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EISDIR') throw new ProvkitError('invalid-argument', `${what} ${file} is a directory; give a file`);
        throw error;
      }
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > MAX_INPUT_BYTES) {
        throw new ProvkitError('oversized', `${what} is larger than the ${MAX_INPUT_BYTES} bytes provkit reads; check that this is the right file`, { file });
      }
    }
    return new Uint8Array(buffer.buffer, buffer.byteOffset, length);
  } finally {
    await handle.close();
  }
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
    // A user may type the passphrase itself where the file name belongs, so errors about
    // the file name the flag instead of echoing the value.
    let bytes: Uint8Array;
    try {
      bytes = await readInput(file, `${purpose} file`);
    } catch (error) {
      if (!(error instanceof ProvkitError)) throw error;
      // readInput reports a missing file, an oversized one, or a directory (invalid-argument).
      let problem = 'is a directory';
      if (error.code === 'not-found') problem = 'does not exist';
      if (error.code === 'oversized') problem = 'is too large to be a passphrase file';
      throw new ProvkitError(error.code, `the ${purpose} file given with --${prefix}-file ${problem}; give the path of a file that contains the passphrase`);
    }
    try {
      passphrase = new TextDecoder('utf-8', { fatal: true }).decode(bytes).replace(/\r?\n$/, '');
    } catch {
      // The message names the file only: the bytes may be the passphrase in another encoding.
      throw new ProvkitError('invalid-argument', `the ${purpose} file given with --${prefix}-file is not UTF-8 text; save the passphrase as UTF-8`);
    }
  } else {
    const name = envName ?? defaultEnv;
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      throw new ProvkitError('invalid-argument', `--${prefix}-env takes the name of an environment variable (letters, digits and "_"), not the passphrase itself`);
    }
    passphrase = context.env[name];
    if (passphrase === undefined) {
      throw new ProvkitError('invalid-argument', `no ${purpose}: set environment variable ${name} or pass --${prefix}-file FILE`);
    }
  }
  if (passphrase === '') throw new ProvkitError('invalid-argument', `the ${purpose} is empty; provide a non-empty passphrase`);
  return passphrase;
}

/**
 * Writes output files only after every one of them is ready: each is first written and flushed
 * under a temporary name, and the renames follow only when all of them succeeded, so a failure
 * leaves no output behind. Refuses to replace existing files unless `force` is set; throws
 * ProvkitError('invalid-state') before writing anything when a target exists.
 */
export async function writeOutputs(outputs: Array<{ file: string; bytes: Uint8Array | string }>, force: boolean): Promise<void> {
  await checkOutputs(outputs.map((output) => output.file), force);
  const staged: StagedFile[] = [];
  try {
    for (const output of outputs) {
      await mkdir(path.dirname(path.resolve(output.file)), { recursive: true });
      staged.push(await stageFile(output.file, output.bytes));
    }
  } catch (error) {
    for (const file of staged) await discardStagedFile(file);
    throw error;
  }
  for (const file of staged) await commitStagedFile(file);
}

/**
 * Checks that output files can be written: none is a directory, and none exists unless
 * `force` is set. Commands call it before they change any state, so that a name clash fails
 * before a request is recorded or a profile issued. Throws ProvkitError('invalid-state') or
 * ('invalid-argument').
 */
export async function checkOutputs(files: readonly string[], force: boolean): Promise<void> {
  for (const file of files) {
    const existing = await stat(file).catch(() => undefined);
    if (existing === undefined) continue;
    if (existing.isDirectory()) throw new ProvkitError('invalid-argument', `output ${file} is a directory; give a file name`);
    if (!force) throw new ProvkitError('invalid-state', `${file} already exists; remove it or pass --force`);
  }
}
