import { rmSync } from 'node:fs';
import { link, mkdir, open, readFile, rename, rm, stat, writeFile, type FileHandle } from 'node:fs/promises';
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
    try {
      await mkdir(this.directory, { recursive: true });
    } catch (error) {
      if (isNodeError(error, 'EEXIST') || isNodeError(error, 'ENOTDIR')) throw this.#notADirectory();
      throw error;
    }
    if (await this.exists()) {
      throw new ProvkitError('invalid-state', `${this.#stateFile} already exists; choose another --lab directory`);
    }
    await writeAtomically(this.#stateFile, serialiseIssuerData(emptyIssuerData()));
  }

  /** Returns true when the directory contains a lab state file; throws ProvkitError('invalid-argument') when the path is not a directory. */
  async exists(): Promise<boolean> {
    try {
      return (await stat(this.#stateFile)).isFile();
    } catch (error) {
      if (isNodeError(error, 'ENOENT')) return false;
      if (isNodeError(error, 'ENOTDIR')) throw this.#notADirectory();
      throw error;
    }
  }

  #notADirectory(): ProvkitError {
    return new ProvkitError('invalid-argument', `lab directory ${this.directory} is a file or lies under a file; give a directory`);
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
 * Paths a running command has created but not yet committed: temporary files and the lab lock.
 * An interrupted command (SIGINT, SIGTERM) removes them with {@link removeUncommittedFiles}, so
 * that no partial temporary file and no lock of a dead process stays behind.
 */
const uncommitted = new Set<string>();

/** Removes every temporary file and lock this process still holds; for signal handlers, so it is synchronous. */
export function removeUncommittedFiles(): void {
  for (const file of uncommitted) rmSync(file, { force: true });
  uncommitted.clear();
}

/** A file written and flushed under a temporary name, waiting for {@link commitStagedFile}. */
export interface StagedFile {
  file: string;
  temporary: string;
}

/**
 * Writes `content` to a temporary file beside `file` and flushes it, without touching `file`.
 * Throws the system error (the temporary file is removed) when the directory is not writable.
 */
export async function stageFile(file: string, content: string | Uint8Array): Promise<StagedFile> {
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  let handle;
  try {
    handle = await open(temporary, 'wx', 0o600);
  } catch (error) {
    // Report the file the user named rather than the temporary name beside it.
    if (error instanceof Error) (error as NodeJS.ErrnoException).path = file;
    throw error;
  }
  uncommitted.add(temporary);
  try {
    await handle.writeFile(content);
    await handle.sync();
  } catch (error) {
    await handle.close();
    await discardStagedFile({ file, temporary });
    throw error;
  }
  await handle.close();
  return { file, temporary };
}

/** Renames a staged file over its target; a rename within one directory is atomic. */
export async function commitStagedFile(staged: StagedFile): Promise<void> {
  try {
    await rename(staged.temporary, staged.file);
  } catch (error) {
    await discardStagedFile(staged);
    throw error;
  }
  uncommitted.delete(staged.temporary);
}

/** Removes a staged file that will not be committed. */
export async function discardStagedFile(staged: StagedFile): Promise<void> {
  await rm(staged.temporary, { force: true });
  uncommitted.delete(staged.temporary);
}

/**
 * Writes `content` to `file` through a temporary file in the same directory, flushed before
 * the rename, so readers see the old or the new content and never a partial one.
 */
export async function writeAtomically(file: string, content: string | Uint8Array): Promise<void> {
  await commitStagedFile(await stageFile(file, content));
}

/** How long a command waits for another process's lock before it gives up, in milliseconds. */
const LOCK_WAIT_MS = 30_000;
const LOCK_POLL_MS = 25;

/**
 * Takes the lab lock: creates the lock file exclusively and writes `PID TIME TOKEN` into it.
 * The returned release function removes the lock only while it still holds this token, so a
 * process never removes a lock that another process took after breaking a stale one.
 */
async function acquireLock(lockFile: string): Promise<() => Promise<void>> {
  const owner = `${process.pid} ${new Date().toISOString()} ${randomBytes(8).toString('hex')}\n`;
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    let handle: FileHandle | undefined;
    try {
      handle = await open(lockFile, 'wx', 0o600);
    } catch (error) {
      if (!isNodeError(error, 'EEXIST')) throw error;
    }
    if (handle !== undefined) {
      uncommitted.add(lockFile);
      try {
        await handle.writeFile(owner);
      } catch (error) {
        await handle.close();
        await rm(lockFile, { force: true });
        uncommitted.delete(lockFile);
        throw error;
      }
      await handle.close();
      return async () => {
        const current = await readFile(lockFile, 'utf8').catch(() => undefined);
        if (current === owner) await rm(lockFile, { force: true });
        uncommitted.delete(lockFile);
      };
    }
    const holder = await readLockFile(lockFile);
    if (holder !== undefined && holder.stale) {
      await breakStaleLock(lockFile, holder.text);
      continue;
    }
    if (Date.now() >= deadline) {
      throw new ProvkitError('invalid-state', `${lockFile} is held by another provkit process; wait for it to finish or remove the file if no provkit process runs`);
    }
    await new Promise((resolve) => setTimeout(resolve, LOCK_POLL_MS + Math.floor(Math.random() * LOCK_POLL_MS)));
  }
}

/**
 * Reads the lock file and decides whether its owner is gone: a dead PID, or an age above
 * STALE_LOCK_MS. Another process creates the file and writes its owner line in two steps, so
 * empty or unparsable content means "being written" and only its modification time can make
 * it stale. Returns undefined when the lock disappeared meanwhile.
 */
async function readLockFile(lockFile: string): Promise<{ text: string; stale: boolean } | undefined> {
  let text: string;
  let modified: number;
  try {
    text = await readFile(lockFile, 'utf8');
    modified = (await stat(lockFile)).mtimeMs;
  } catch (error) {
    if (isNodeError(error, 'ENOENT')) return undefined;
    throw error;
  }
  const match = /^(\d+) (\S+) [0-9a-f]+\n$/.exec(text);
  const written = match === null ? Number.NaN : Date.parse(match[2]!);
  if (match === null || Number.isNaN(written)) return { text, stale: Date.now() - modified > STALE_LOCK_MS };
  if (Date.now() - written > STALE_LOCK_MS) return { text, stale: true };
  try {
    // Signal 0 only checks that the process exists.
    process.kill(Number(match[1]), 0);
    return { text, stale: false };
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return { text, stale: !isNodeError(error, 'EPERM') };
  }
}

/**
 * Removes a stale lock. The lock is first renamed away, and removed only when it still holds
 * the stale owner line; when another process replaced it meanwhile, it is linked back.
 */
async function breakStaleLock(lockFile: string, staleText: string): Promise<void> {
  const aside = `${lockFile}.${process.pid}.${randomBytes(6).toString('hex')}.stale`;
  try {
    await rename(lockFile, aside);
  } catch (error) {
    if (isNodeError(error, 'ENOENT')) return;
    throw error;
  }
  const moved = await readFile(aside, 'utf8').catch(() => undefined);
  // NOTE: when a third process takes the lock between the rename and the link, the link fails
  // and the lock moved aside is lost. That needs a crashed holder and two waiters at once.
  if (moved !== staleText) {
    await link(aside, lockFile).catch(() => undefined);
  }
  await rm(aside, { force: true });
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
