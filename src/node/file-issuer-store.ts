import { mkdir, open, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { ProvkitError } from '../errors.js';
import { SnapshotIssuerStore, emptyIssuerData, type IssuerData } from '../issuer/store.js';

/** Name of the state file inside a lab directory. */
export const LAB_STATE_FILE = 'issuer.json';
const LOCK_FILE = 'issuer.lock';
/** A lock older than this is treated as left behind by a crashed process, in milliseconds. */
const STALE_LOCK_MS = 10 * 60 * 1000;

/**
 * An issuer store kept in a lab directory as one JSON file. Each transaction takes an
 * exclusive lock file and reads the state. On success it writes the new state to a temporary
 * file, flushes it and renames it over the old one. A crash therefore leaves either the old
 * or the new state, never a half-written file.
 */
export class FileIssuerStore extends SnapshotIssuerStore {
  readonly directory: string;
  readonly #stateFile: string;
  readonly #lockFile: string;

  constructor(directory: string) {
    super();
    this.directory = path.resolve(directory);
    this.#stateFile = path.join(this.directory, LAB_STATE_FILE);
    this.#lockFile = path.join(this.directory, LOCK_FILE);
  }

  /** Creates the directory and an empty state file; throws ProvkitError('invalid-state') when a lab already exists there. */
  async initialise(): Promise<void> {
    await mkdir(this.directory, { recursive: true });
    if (await this.exists()) {
      throw new ProvkitError('invalid-state', `${this.#stateFile} already exists; choose another --lab directory`);
    }
    await writeAtomically(this.#stateFile, serialiseIssuerData(emptyIssuerData()));
  }

  /** Returns true when the directory contains a lab state file. */
  async exists(): Promise<boolean> {
    try {
      await readFile(this.#stateFile);
      return true;
    } catch (error) {
      if (isNodeError(error, 'ENOENT')) return false;
      throw error;
    }
  }

  protected override async lock(): Promise<() => Promise<void>> {
    if (!(await this.exists())) {
      throw new ProvkitError('not-found', `no lab at ${this.directory}; create one with "provkit lab init --lab ${this.directory}"`);
    }
    return acquireLock(this.#lockFile);
  }

  protected async load(): Promise<IssuerData> {
    let text: string;
    try {
      text = await readFile(this.#stateFile, 'utf8');
    } catch (error) {
      if (isNodeError(error, 'ENOENT')) {
        throw new ProvkitError('not-found', `no lab at ${this.directory}; create one with "provkit lab init --lab ${this.directory}"`);
      }
      throw error;
    }
    return parseIssuerData(text, this.#stateFile);
  }

  protected async save(data: IssuerData): Promise<void> {
    await writeAtomically(this.#stateFile, serialiseIssuerData(data));
  }
}

/**
 * Writes `content` to `file` through a temporary file in the same directory, flushed before
 * the rename, so readers see the old or the new content and never a partial one.
 */
export async function writeAtomically(file: string, content: string | Uint8Array): Promise<void> {
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temporary, 'wx', 0o600);
  try {
    await handle.writeFile(content);
    await handle.sync();
  } catch (error) {
    await handle.close();
    await rm(temporary, { force: true });
    throw error;
  }
  await handle.close();
  try {
    await rename(temporary, file);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

async function acquireLock(lockFile: string): Promise<() => Promise<void>> {
  for (let attempt = 0; ; attempt++) {
    try {
      const handle = await open(lockFile, 'wx', 0o600);
      await handle.writeFile(`${process.pid} ${new Date().toISOString()}\n`);
      await handle.close();
      return () => rm(lockFile, { force: true });
    } catch (error) {
      if (!isNodeError(error, 'EEXIST')) throw error;
    }
    if (await isStaleLock(lockFile)) {
      await rm(lockFile, { force: true });
      continue;
    }
    if (attempt >= 100) {
      throw new ProvkitError('invalid-state', `${lockFile} is held by another provkit process; wait for it to finish or remove the file if no provkit process runs`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function isStaleLock(lockFile: string): Promise<boolean> {
  let text: string;
  try {
    text = await readFile(lockFile, 'utf8');
  } catch (error) {
    if (isNodeError(error, 'ENOENT')) return true;
    throw error;
  }
  const [pidText, timeText] = text.trim().split(' ');
  const pid = Number(pidText);
  const age = Date.now() - Date.parse(timeText ?? '');
  if (!Number.isInteger(pid) || Number.isNaN(age)) return age > STALE_LOCK_MS || Number.isNaN(age);
  try {
    // Signal 0 only checks that the process exists.
    process.kill(pid, 0);
    return age > STALE_LOCK_MS;
  } catch {
    return true;
  }
}

function isNodeError(error: unknown, code: string): boolean {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === code;
}

/** Serialises store content as JSON, with byte arrays as `{"$base64": "..."}`. */
export function serialiseIssuerData(data: IssuerData): string {
  return `${JSON.stringify(
    data,
    (_key, value: unknown) => (value instanceof Uint8Array ? { $base64: Buffer.from(value).toString('base64') } : value),
    2,
  )}\n`;
}

/** Parses what {@link serialiseIssuerData} wrote; throws ProvkitError('malformed') naming the file. */
export function parseIssuerData(text: string, file: string): IssuerData {
  let data: unknown;
  try {
    data = JSON.parse(text, (_key, value: unknown) => {
      if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
        const encoded = (value as { $base64?: unknown }).$base64;
        if (typeof encoded === 'string' && Object.keys(value).length === 1) {
          return new Uint8Array(Buffer.from(encoded, 'base64'));
        }
      }
      return value;
    });
  } catch (error) {
    throw new ProvkitError('malformed', `lab state is not valid JSON (${(error as Error).message}); restore it from a backup`, { file });
  }
  if (data === null || typeof data !== 'object' || (data as { version?: unknown }).version !== 1) {
    throw new ProvkitError('bad-version', 'lab state has no version 1 marker; this provkit reads version 1 only', { file });
  }
  return data as IssuerData;
}

/** Writes bytes to a new file, failing rather than overwriting; used for outputs the user names. */
export async function writeNewFile(file: string, content: Uint8Array | string, options: { overwrite?: boolean; mode?: number } = {}): Promise<void> {
  if (options.overwrite === true) {
    await writeAtomically(file, content);
    return;
  }
  try {
    await writeFile(file, content, { flag: 'wx', mode: options.mode ?? 0o644 });
  } catch (error) {
    if (isNodeError(error, 'EEXIST')) {
      throw new ProvkitError('invalid-state', `${file} already exists; remove it or pass --force`);
    }
    throw error;
  }
}
