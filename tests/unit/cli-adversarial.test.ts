import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readdir, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliResult, createCliRunner } from '../helpers/cli.js';
import { temporaryDirectory } from './provisioning-fixtures.js';

// Runs `node bin/provkit.mjs` as a user would and checks, for each bad input, the exit status,
// the one line on stderr and that no file changed. Argon2id runs at the floor that readers
// accept, set with the documented flags --kdf-memory 19456 --kdf-passes 2.

const repositoryRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const PROVKIT = path.join(repositoryRoot, 'bin/provkit.mjs');
const KDF = ['--kdf-memory', '19456', '--kdf-passes', '2'];
const LAB_PASSPHRASE = 'lab-secret-Q7ZX';
const PACKAGE_PASSPHRASE = 'package-secret-W3YQ';
const DEVICE_PASSPHRASE = 'device-secret-K9JH';

let work = '';
const baseEnv: Record<string, string> = {
  PATH: process.env['PATH'] ?? '',
  PROVKIT_LAB_PASSPHRASE: LAB_PASSPHRASE,
  PROVKIT_PACKAGE_PASSPHRASE: PACKAGE_PASSPHRASE,
  PROVKIT_PASSPHRASE: PACKAGE_PASSPHRASE,
  PROVKIT_NEW_PASSPHRASE: DEVICE_PASSPHRASE,
  PROVKIT_ACTOR: 'tester',
};

const runner = createCliRunner(() => work, baseEnv);
const { cli, ok } = runner;

/** Runs provkit, expects `code` and exactly `line` on stderr, and returns the result. */
async function fails(args: string[], code: number, line: string, env: Record<string, string | undefined> = {}): Promise<CliResult> {
  const result = await runner.fails(args, code, env);
  expect(result.stderr).toBe(`${line}\n`);
  return result;
}

/** Hashes every file under the work directory, so a test can assert that nothing changed. */
async function snapshot(directory = work): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (const entry of await readdir(directory, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    files.set(path.relative(directory, file), createHash('sha256').update(await readFile(file)).digest('hex'));
  }
  return files;
}

async function expectUnchanged(before: Map<string, string>): Promise<void> {
  expect(await snapshot()).toEqual(before);
}

const PACKAGE = ['--truststore', 'pkg/truststore.mcts', '--profile', 'pkg/pump.mcpp', '--identity', 'pkg/pump.mcpip'];
const AUTO_PACKAGE = ['--truststore', 'pkg-auto/truststore.mcts', '--profile', 'pkg-auto/pump.mcpp', '--identity', 'pkg-auto/pump.mcpip'];

async function createRequest(packageFlags: string[], hardwareId: string, directory = 'requests'): Promise<string> {
  const stdout = await ok(['request', ...packageFlags, '--hardware-id', hardwareId, '--out', `${directory}/${hardwareId}.mcpr`, '--pending-out', `${directory}/${hardwareId}.pending.mcpi`, ...KDF]);
  return /request ([0-9a-f-]{36}) for hardware id/.exec(stdout)![1]!;
}

/** Starts provkit without waiting, for tests that signal it. */
function start(args: string[]): { done: Promise<CliResult>; kill: (signal: NodeJS.Signals) => void } {
  const child = spawn(process.execPath, [PROVKIT, ...args], { cwd: work, env: baseEnv });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<CliResult>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { done, kill: (signal) => child.kill(signal) };
}

describe('provkit CLI against bad input', { timeout: 240_000 }, () => {
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    const temporary = await temporaryDirectory('provkit-adversarial-');
    work = temporary.directory;
    cleanup = temporary.cleanup;
    await mkdir(path.join(work, 'requests'));
    await ok(['lab', 'init', '--lab', 'lab', '--name', 'Manual', '--component', 'pump', ...KDF]);
    await ok(['lab', 'package', '--lab', 'lab', '--system', 'Manual', '--component', 'pump', '--out', 'pkg', ...KDF]);
    await ok(['lab', 'init', '--lab', 'lab-auto', '--name', 'Auto', '--approval', 'automatic', '--component', 'pump', ...KDF]);
    await ok(['lab', 'package', '--lab', 'lab-auto', '--component', 'pump', '--out', 'pkg-auto', ...KDF]);
  });
  afterAll(async () => cleanup());

  it('records every request of concurrent submissions', async () => {
    const hardwareIds = ['CC1', 'CC2', 'CC3', 'CC4', 'CC5', 'CC6'];
    const requestIds = await Promise.all(hardwareIds.map((hardwareId) => createRequest(PACKAGE, hardwareId, 'concurrent')));
    const results = await Promise.all(hardwareIds.map((hardwareId) => cli(['lab', 'submit', '--lab', 'lab', `concurrent/${hardwareId}.mcpr`])));
    for (const [index, result] of results.entries()) {
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(result.stdout).toBe(`${hardwareIds[index]}.mcpr: request ${requestIds[index]} hardware id ${hardwareIds[index]}: needs-approval\n`);
    }
    const report = JSON.parse(await ok(['lab', 'report', '--lab', 'lab', '--format', 'json'])) as { rows: Array<{ hardwareId: string; requestId: string; state: string }> };
    for (const [index, hardwareId] of hardwareIds.entries()) {
      expect(report.rows.find((row) => row.hardwareId === hardwareId)).toMatchObject({ requestId: requestIds[index], state: 'needs-approval' });
    }
    expect((await readdir(path.join(work, 'lab'))).sort()).toEqual(['issuer.json']);
  });

  it('keeps waiting while another process writes its lock', async () => {
    // An empty lock file belongs to a process that created it and has not written it yet.
    // Treating it as stale let two processes write the lab at once.
    const lockFile = path.join(work, 'lab', 'issuer.lock');
    await writeFile(lockFile, '');
    const before = await snapshot();
    const running = start(['lab', 'report', '--lab', 'lab']);
    // Long enough for the command to start and reach the lock; it then waits up to 30 s.
    await new Promise((resolve) => setTimeout(resolve, 5000));
    running.kill('SIGINT');
    const result = await running.done;
    expect(result.stderr).toBe('provkit lab report: interrupted by SIGINT; files and lab records written before it are complete and nothing is half-written; check what was done (for a lab, with "provkit lab report") before running the command again [cancelled]\n');
    expect(result.code).toBe(8);
    expect(result.stdout).toBe('');
    await expectUnchanged(before);
    expect(await readFile(lockFile, 'utf8')).toBe('');

    // The same empty lock, last changed more than ten minutes ago, is left over from a crash.
    const old = new Date(Date.now() - 11 * 60 * 1000);
    await utimes(lockFile, old, old);
    await ok(['lab', 'report', '--lab', 'lab']);
    expect(existsSync(lockFile)).toBe(false);
  });

  it('breaks a lock whose process is gone', async () => {
    const lockFile = path.join(work, 'lab', 'issuer.lock');
    // PIDs above the kernel's pid_max (4194304 at most on Linux) cannot exist.
    await writeFile(lockFile, `9999999 ${new Date().toISOString()} 0123456789abcdef\n`);
    await ok(['lab', 'report', '--lab', 'lab']);
    expect(existsSync(lockFile)).toBe(false);
  });

  it('lab init checks --truststore-out before creating the system', async () => {
    const before = await snapshot();
    await fails(['lab', 'init', '--lab', 'lab', '--name', 'Second', '--component', 'pump', '--truststore-out', 'pkg/truststore.mcts', ...KDF], 7, 'provkit lab init: pkg/truststore.mcts already exists; remove it or pass --force [invalid-state]');
    await expectUnchanged(before);
    expect(await readFile(path.join(work, 'lab/issuer.json'), 'utf8')).not.toContain('"Second"');
  });

  it('lab init creates no lab directory for an invalid system', async () => {
    await fails(['lab', 'init', '--lab', 'lab-invalid', '--name', 'X', '--component', 'bad/handle', ...KDF], 2, 'provkit lab init: system specification: components[0].handle: must be 1 to 64 characters from letters, digits, ".", "_" and "-", starting with a letter or digit [invalid-argument]');
    expect(existsSync(path.join(work, 'lab-invalid'))).toBe(false);
  });

  it('lab init rejects system files of the wrong shape', async () => {
    const cases: Array<[string, number, string]> = [
      ['null', 3, 'provkit lab init: system.json: the system file must contain one JSON object such as {"name": "Pumps", "components": [{"handle": "pump"}]} [malformed]'],
      ['["Pumps"]', 3, 'provkit lab init: system.json: the system file must contain one JSON object such as {"name": "Pumps", "components": [{"handle": "pump"}]} [malformed]'],
      ['{"name":5,"components":[{"handle":"pump"}]}', 2, 'provkit lab init: system specification: name: must be a string, got 5 [invalid-argument]'],
      ['{"name":"S","components":[null]}', 2, 'provkit lab init: system specification: components[0]: must be an object with a "handle" [invalid-argument]'],
      ['{"name":"S","components":[{"handle":"pump","roles":[7]}]}', 2, 'provkit lab init: system specification: components[0].roles[0]: must be an object with a "role" [invalid-argument]'],
      ['{"name":"S","components":[{"handle":"pump"}],"hardwareIdAllowList":"SN1SN2"}', 2, 'provkit lab init: system specification: hardwareIdAllowList: must be an array of hardware id strings [invalid-argument]'],
      ['{"name":"S","components":[{"handle":"pump"}],"validityDays":"9"}', 2, 'provkit lab init: system specification: validityDays: must be an integer from 1 to 10950, got "9" [invalid-argument]'],
    ];
    for (const [text, code, line] of cases) {
      await writeFile(path.join(work, 'system.json'), text);
      await fails(['lab', 'init', '--lab', 'lab-shape', '--system-file', 'system.json', ...KDF], code, line);
      expect(existsSync(path.join(work, 'lab-shape'))).toBe(false);
    }
  });

  it('lab package checks its outputs before recording the package', async () => {
    const before = await snapshot();
    await fails(['lab', 'package', '--lab', 'lab', '--component', 'pump', '--out', 'pkg', ...KDF], 7, 'provkit lab package: pkg/truststore.mcts already exists; remove it or pass --force [invalid-state]');
    await expectUnchanged(before);
    await fails(['lab', 'package', '--lab', 'lab', '--component', '../../escape', '--out', 'pkg-new', ...KDF], 6, 'provkit lab package: system Manual has no component "../../escape"; its components are pump [not-allowed]');
    await expectUnchanged(before);
  });

  it('lab submit records nothing when a profile file exists', async () => {
    await createRequest(AUTO_PACKAGE, 'AX1');
    await writeFile(path.join(work, 'requests/AX1.mcp'), 'placeholder');
    const before = await snapshot();
    await fails(['lab', 'submit', '--lab', 'lab-auto', 'requests/AX1.mcpr'], 7, 'provkit lab submit: requests/AX1.mcp already exists; remove it or pass --force [invalid-state]');
    await expectUnchanged(before);
  });

  it('lab submit reports a replay even when its profile exists', async () => {
    const requestId = await createRequest(AUTO_PACKAGE, 'AX3');
    expect(await ok(['lab', 'submit', '--lab', 'lab-auto', 'requests/AX3.mcpr'])).toBe(`AX3.mcpr: request ${requestId} hardware id AX3: provisioning, profile written to requests/AX3.mcp\n`);
    const before = await snapshot();
    await fails(['lab', 'submit', '--lab', 'lab-auto', 'requests/AX3.mcpr'], 6, `provkit lab submit: 1 of 1 requests failed; first: AX3.mcpr: manifest.requestId: request id ${requestId} was already submitted; the device must create a new request [replay]`);
    await expectUnchanged(before);
  });

  it('lab submit without passphrase names the next step', async () => {
    const requestId = await createRequest(AUTO_PACKAGE, 'AX4');
    const result = await cli(['lab', 'submit', '--lab', 'lab-auto', 'requests/AX4.mcpr'], { PROVKIT_LAB_PASSPHRASE: undefined });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`AX4.mcpr: request ${requestId} hardware id AX4: auto-approved; no lab passphrase was given, so issue its profile with "provkit lab profile --request ${requestId}"\n`);
    expect(existsSync(path.join(work, 'requests/AX4.mcp'))).toBe(false);
  });

  it('lab submit records nothing when a later file is missing', async () => {
    await createRequest(AUTO_PACKAGE, 'AX2');
    const before = await snapshot();
    await fails(['lab', 'submit', '--lab', 'lab-auto', 'requests/AX2.mcpr', 'requests/none.mcpr'], 7, 'provkit lab submit: request requests/none.mcpr does not exist; check the path [not-found]');
    await expectUnchanged(before);
  });

  it('lab submit rejects two requests that would share a profile file', async () => {
    await mkdir(path.join(work, 'twin'), { recursive: true });
    await createRequest(AUTO_PACKAGE, 'AX2', 'twin');
    const before = await snapshot();
    await fails(['lab', 'submit', '--lab', 'lab-auto', '--out', 'profiles', 'requests/AX2.mcpr', 'twin/AX2.mcpr'], 2, 'provkit lab submit: two requests would write their profile to profiles/AX2.mcp; submit them separately or rename one request file [invalid-argument]');
    await expectUnchanged(before);
  });

  it('lab profile leaves the request approved when the output exists', async () => {
    const requestId = await createRequest(PACKAGE, 'PX1');
    await ok(['lab', 'submit', '--lab', 'lab', 'requests/PX1.mcpr']);
    await ok(['lab', 'approve', '--lab', 'lab', '--request', requestId]);
    await writeFile(path.join(work, 'requests/PX1.mcp'), 'placeholder');
    const before = await snapshot();
    await fails(['lab', 'profile', '--lab', 'lab', '--request', requestId, '--out', 'requests/PX1.mcp'], 7, 'provkit lab profile: requests/PX1.mcp already exists; remove it or pass --force [invalid-state]');
    await expectUnchanged(before);
    await fails(['lab', 'profile', '--lab', 'lab', '--request', requestId, '--out', 'requests'], 2, 'provkit lab profile: output requests is a directory; give a file name [invalid-argument]');
    await expectUnchanged(before);
  });

  it('passphrase errors never echo the value given', async () => {
    await writeFile(path.join(work, 'latin1.txt'), Buffer.from([0x70, 0xe4, 0x73, 0x73, 0x0a]));
    const before = await snapshot();
    await fails(['lab', 'package', '--lab', 'lab', '--component', 'pump', '--out', 'pkg-x', '--passphrase-file', 'latin1.txt', ...KDF], 2, 'provkit lab package: the lab passphrase file given with --passphrase-file is not UTF-8 text; save the passphrase as UTF-8 [invalid-argument]');
    await fails(['lab', 'package', '--lab', 'lab', '--component', 'pump', '--out', 'pkg-x', '--passphrase-file', LAB_PASSPHRASE, ...KDF], 7, 'provkit lab package: the lab passphrase file given with --passphrase-file does not exist; give the path of a file that contains the passphrase [not-found]');
    await fails(['lab', 'package', '--lab', 'lab', '--component', 'pump', '--out', 'pkg-x', '--passphrase-env', 'my secret!', ...KDF], 2, 'provkit lab package: --passphrase-env takes the name of an environment variable (letters, digits and "_"), not the passphrase itself [invalid-argument]');
    await expectUnchanged(before);
  });

  it('passphrases stay out of debug logs and lab files', async () => {
    const requestId = await createRequest(AUTO_PACKAGE, 'LG1');
    const logs: string[] = [];
    for (const args of [
      ['lab', 'submit', '--lab', 'lab-auto', 'requests/LG1.mcpr', '--log-level', 'debug'],
      ['install', '--truststore', 'pkg-auto/truststore.mcts', '--request', 'requests/LG1.mcpr', '--pending', 'requests/LG1.pending.mcpi', '--profile', 'requests/LG1.mcp', '--identity-out', 'requests/LG1.mcpi', '--profile-out', 'requests/LG1.installed.mcp', '--log-level', 'debug', ...KDF],
      ['lab', 'complete', '--lab', 'lab-auto', '--request', requestId, '--log-level', 'debug'],
      ['lab', 'report', '--lab', 'lab-auto', '--log-level', 'debug'],
    ]) {
      const result = await cli(args, args[0] === 'install' ? { PROVKIT_PASSPHRASE: DEVICE_PASSPHRASE } : {});
      expect(result.code, result.stderr).toBe(0);
      logs.push(result.stdout, result.stderr);
    }
    expect(logs.join('')).toContain(`requestId=${requestId}`);
    const wrong = await cli(['install', '--truststore', 'pkg-auto/truststore.mcts', '--request', 'requests/LG1.mcpr', '--pending', 'requests/LG1.pending.mcpi', '--profile', 'requests/LG1.mcp', '--identity-out', 'requests/LG1b.mcpi', '--profile-out', 'requests/LG1b.mcp', '--log-level', 'debug', ...KDF], { PROVKIT_PASSPHRASE: `${DEVICE_PASSPHRASE}x` });
    expect(wrong.code).toBe(5);
    logs.push(wrong.stdout, wrong.stderr);
    const files = [...(await snapshot()).keys()];
    expect(files).toContain('lab-auto/issuer.json');
    for (const secret of [LAB_PASSPHRASE, PACKAGE_PASSPHRASE, DEVICE_PASSPHRASE]) {
      expect(logs.join('')).not.toContain(secret);
      for (const file of files) {
        const bytes = await readFile(path.join(work, file));
        expect(bytes.includes(Buffer.from(secret)), `${secret} in ${file}`).toBe(false);
        expect(bytes.includes(Buffer.from('PRIVATE KEY')), `PEM private key in ${file}`).toBe(false);
      }
    }
  });

  it('rejects oversized and endless inputs', async () => {
    const before = await snapshot();
    await fails(['inspect', '/dev/zero'], 3, 'provkit inspect: /dev/zero: file is larger than the 4194304 bytes provkit reads; check that this is the right file [oversized]');
    await writeFile(path.join(work, 'huge.mcpr'), Buffer.alloc(50 * 1024 * 1024, 0x30));
    const huge = await snapshot();
    await fails(['lab', 'submit', '--lab', 'lab', 'huge.mcpr'], 3, 'provkit lab submit: huge.mcpr: request is larger than the 4194304 bytes provkit reads; check that this is the right file [oversized]');
    await fails(['check', '--truststore', 'huge.mcpr', '--profile', 'pkg/pump.mcpp', '--identity', 'pkg/pump.mcpip'], 3, 'provkit check: huge.mcpr: TrustStore is larger than the 4194304 bytes provkit reads; check that this is the right file [oversized]');
    await expectUnchanged(huge);
    expect(before.has('huge.mcpr')).toBe(false);
  });

  it('names a --lab path that is not a directory', async () => {
    await writeFile(path.join(work, 'plain-file'), 'x');
    const before = await snapshot();
    await fails(['lab', 'report', '--lab', 'plain-file'], 2, `provkit lab report: lab directory ${path.join(work, 'plain-file')} is a file or lies under a file; give a directory [invalid-argument]`);
    await fails(['lab', 'init', '--lab', 'plain-file/lab', '--name', 'X', '--component', 'pump', ...KDF], 2, `provkit lab init: lab directory ${path.join(work, 'plain-file/lab')} is a file or lies under a file; give a directory [invalid-argument]`);
    await fails(['lab', 'submit', '--lab', 'missing-lab', 'requests/PX1.mcpr'], 7, `provkit lab submit: no lab at ${path.join(work, 'missing-lab')}; create one with "provkit lab init --lab ${path.join(work, 'missing-lab')}" [not-found]`);
    await expectUnchanged(before);
    expect(existsSync(path.join(work, 'missing-lab'))).toBe(false);
  });

  it('reports a lab it may not write as a permission problem', async () => {
    // Root ignores file modes, so as root the command runs as nobody when runuser exists.
    const asRoot = process.getuid?.() === 0;
    if (asRoot && !existsSync('/usr/sbin/runuser')) return;
    const directory = path.join(work, 'readonly');
    await mkdir(directory);
    await ok(['lab', 'init', '--lab', 'readonly/lab', '--name', 'RO', '--component', 'pump', ...KDF]);
    const lab = path.join(directory, 'lab');
    await chmod(lab, 0o555);
    await chmod(path.join(lab, 'issuer.json'), 0o644);
    for (let parent = lab; parent !== path.dirname(parent) && parent.startsWith(work); parent = path.dirname(parent)) {
      if (parent !== lab) await chmod(parent, (await stat(parent)).mode | 0o755);
    }
    const before = await snapshot();
    const result = await new Promise<CliResult>((resolve) => {
      const command = asRoot ? '/usr/sbin/runuser' : process.execPath;
      const args = asRoot ? ['-u', 'nobody', '--', process.execPath, PROVKIT, 'lab', 'report', '--lab', lab] : [PROVKIT, 'lab', 'report', '--lab', lab];
      execFile(command, args, { cwd: '/', env: { ...baseEnv, HOME: '/tmp' }, encoding: 'utf8' }, (error, stdout, stderr) => resolve({ code: error === null ? 0 : Number(error.code), signal: null, stdout, stderr }));
    });
    await chmod(lab, 0o755);
    expect(result.stderr).toBe(`provkit lab report: cannot open ${path.join(lab, 'issuer.lock')}: permission denied; check the permissions of the file and its directory, or run as a user who may use them\n`);
    expect(result.code).toBe(1);
    await expectUnchanged(before);
  });

  it('rejects hardware ids that are too long, contain separators or do not fit the subject', async () => {
    const before = await snapshot();
    const cases: Array<[string, string]> = [
      ['A'.repeat(37), `hardware id "${'A'.repeat(37)}" is invalid: use 1 to 36 characters from letters, digits, ".", "_", ":" and "-"`],
      ['SN 1', 'hardware id "SN 1" is invalid: use 1 to 36 characters from letters, digits, ".", "_", ":" and "-"'],
      ['../x', 'hardware id "../x" is invalid: use 1 to 36 characters from letters, digits, ".", "_", ":" and "-"'],
      ['a\\b', 'hardware id "a\\\\b" is invalid: use 1 to 36 characters from letters, digits, ".", "_", ":" and "-"'],
      ['SN_1', `hardware id "SN_1" does not fit the subject of role "identity" (subjectTemplate[1].value: serialNumber "SN_1" has characters outside PrintableString (A-Z a-z 0-9 space ' ( ) + , - . / : = ?)); use a hardware id this profile can encode`],
    ];
    for (const [hardwareId, message] of cases) {
      await fails(['request', ...PACKAGE, '--hardware-id', hardwareId, '--out', 'hw.mcpr', '--pending-out', 'hw.pending.mcpi', ...KDF], 2, `provkit request: hardwareId: ${message} [invalid-argument]`);
    }
    await expectUnchanged(before);
    expect(existsSync(path.join(path.dirname(work), 'x.mcpr'))).toBe(false);
  });

  it('writes no output over a directory and leaves no partial outputs', async () => {
    await mkdir(path.join(work, 'out-dir'), { recursive: true });
    const before = await snapshot();
    await fails(['request', ...PACKAGE, '--hardware-id', 'OD1', '--out', 'od1.mcpr', '--pending-out', 'out-dir', ...KDF], 2, 'provkit request: output out-dir is a directory; give a file name [invalid-argument]');
    await expectUnchanged(before);
    expect(existsSync(path.join(work, 'od1.mcpr'))).toBe(false);
  });

  it('explains flag mistakes in one line', async () => {
    await fails(['lab', 'report', '--lab', 'lab', '--verbose'], 2, 'provkit lab report: unknown flag --verbose; see "provkit lab report --help" [invalid-argument]');
    await fails(['lab', 'report', '--lab'], 2, 'provkit lab report: --lab needs a value; see "provkit lab report --help" [invalid-argument]');
    await fails(['lab', 'report', '--lab', 'lab', '--force=yes'], 2, 'provkit lab report: --force takes no value; see "provkit lab report --help" [invalid-argument]');
    await fails(['request', ...PACKAGE, '--hardware-id', '-x', '--out', 'x.mcpr'], 2, 'provkit request: the value after --hardware-id starts with "-"; write --hardware-id=VALUE for such a value; see "provkit request --help" [invalid-argument]');
  });

  it('rejects an invalid PROVKIT_NOW', async () => {
    await fails(['lab', 'report', '--lab', 'lab'], 2, 'provkit lab report: environment variable PROVKIT_NOW must be an RFC 3339 time such as 2026-05-01T12:00:00Z, got "soon"; unset it to use the system clock [invalid-argument]', { PROVKIT_NOW: 'soon' });
  });
});
