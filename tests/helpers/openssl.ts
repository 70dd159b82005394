/**
 * Runs the system OpenSSL as an independent check of what provkit writes and reads. Each
 * call is a separate process; files go into temporary folders removed afterwards.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** Path of the OpenSSL binary: $PROVKIT_OPENSSL or /usr/bin/openssl. */
export const OPENSSL_PATH = process.env['PROVKIT_OPENSSL'] ?? '/usr/bin/openssl';

/** Exit status and output of one OpenSSL run. */
export interface OpensslResult {
  status: number;
  stdout: string;
  stderr: string;
  /** stdout as bytes, for DER output. */
  stdoutBytes: Uint8Array;
}

/** Runs `openssl <args>` synchronously with optional stdin and working folder; never throws on a non-zero exit. */
export function runOpenssl(args: readonly string[], options: { input?: string | Uint8Array; cwd?: string } = {}): OpensslResult {
  const result = spawnSync(OPENSSL_PATH, args, {
    input: options.input,
    cwd: options.cwd,
    maxBuffer: 64 * 1024 * 1024,
    timeout: 60_000,
  });
  if (result.error !== undefined) throw result.error;
  const stdoutBytes = new Uint8Array(result.stdout);
  return {
    status: result.status ?? -1,
    stdout: Buffer.from(stdoutBytes).toString('utf8'),
    stderr: result.stderr.toString('utf8'),
    stdoutBytes,
  };
}

/** Runs OpenSSL and throws with its stderr when it exits non-zero. */
export function runOpensslOrThrow(args: readonly string[], options: { input?: string | Uint8Array; cwd?: string } = {}): OpensslResult {
  const result = runOpenssl(args, options);
  if (result.status !== 0) throw new Error(`openssl ${args.join(' ')} failed with status ${result.status}: ${result.stderr}`);
  return result;
}

/** Creates a temporary folder, passes it to `action` and removes it afterwards. */
export async function withTempDir<T>(action: (dir: string) => Promise<T> | T): Promise<T> {
  const dir = mkdtempSync(path.join(tmpdir(), 'provkit-'));
  try {
    return await action(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Writes files (name to text or bytes) into `dir` and returns their absolute paths by name. */
export function writeFiles(dir: string, files: Record<string, string | Uint8Array>): Record<string, string> {
  const paths: Record<string, string> = {};
  for (const [name, content] of Object.entries(files)) {
    const file = path.join(dir, name);
    writeFileSync(file, content);
    paths[name] = file;
  }
  return paths;
}
