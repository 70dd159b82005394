/**
 * Runs `node bin/provkit.mjs` as a user would, for the CLI tests. Each test file keeps its own
 * base environment and working directory and builds its runner with {@link createCliRunner}.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

/** Absolute path of the provkit CLI entry point, bin/provkit.mjs. */
export const PROVKIT_BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/provkit.mjs');

/** Environment overrides for one run. An `undefined` value removes that variable from the base environment. */
export type CliEnv = Record<string, string | undefined>;

/** Exit status, terminating signal and output of one CLI run. */
export interface CliResult {
  /** Exit status, or null when no status is known (for example, a signal ended the process). */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** The three ways a CLI test runs provkit. */
export interface CliRunner {
  /** Runs provkit with `args` in `cwd` and resolves with its result, also on a non-zero exit. */
  cli(args: readonly string[], env?: CliEnv, cwd?: string): Promise<CliResult>;
  /** Runs provkit, expects exit status 0 with nothing on stderr, and returns stdout. */
  ok(args: readonly string[], env?: CliEnv): Promise<string>;
  /** Runs provkit and expects exit status `code` with exactly one newline-terminated line on stderr. */
  fails(args: readonly string[], code: number, env?: CliEnv): Promise<CliResult>;
}

// Raised above execFile's default of 1 MiB, so that a long report fails no run with a maxBuffer error.
const MAX_OUTPUT_BYTES = 16 * 1024 * 1024;

/**
 * Creates a runner that starts provkit in `workDirectory()` with `baseEnv` plus each call's
 * overrides. The directory is a getter because test files set it in `beforeAll`.
 */
export function createCliRunner(workDirectory: () => string, baseEnv: Readonly<Record<string, string>>): CliRunner {
  function cli(args: readonly string[], env: CliEnv = {}, cwd = workDirectory()): Promise<CliResult> {
    return new Promise((resolve) => {
      // Node's child_process leaves out variables whose value is undefined.
      const options = { cwd, env: { ...baseEnv, ...env } as NodeJS.ProcessEnv, encoding: 'utf8' as const, maxBuffer: MAX_OUTPUT_BYTES };
      execFile(process.execPath, [PROVKIT_BIN, ...args], options, (error, stdout, stderr) => {
        let code: number | null = 0;
        if (error !== null) code = typeof error.code === 'number' ? error.code : null;
        resolve({ code, signal: error?.signal ?? null, stdout, stderr });
      });
    });
  }

  async function ok(args: readonly string[], env: CliEnv = {}): Promise<string> {
    const result = await cli(args, env);
    expect(result.stderr, `provkit ${args.join(' ')}`).toBe('');
    expect(result.code, `provkit ${args.join(' ')}`).toBe(0);
    return result.stdout;
  }

  async function fails(args: readonly string[], code: number, env: CliEnv = {}): Promise<CliResult> {
    const result = await cli(args, env);
    expect(result.code, `provkit ${args.join(' ')}: ${result.stderr}`).toBe(code);
    expect(result.stderr.endsWith('\n'), result.stderr).toBe(true);
    expect(result.stderr.trimEnd().split('\n'), result.stderr).toHaveLength(1);
    return result;
  }

  return { cli, ok, fails };
}
