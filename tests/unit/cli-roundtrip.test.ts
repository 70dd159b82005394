import { access, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toPem } from '../../src/formats/der.js';
import { readCertifiedProfile } from '../../src/formats/profile.js';
import { readProvisionRequest } from '../../src/formats/request.js';
import { REPORT_CSV_COLUMNS } from '../../src/issuer/report.js';
import { createCliRunner } from '../helpers/cli.js';
import { openssl, temporaryDirectory, writePem } from './provisioning-fixtures.js';

const KDF = ['--kdf-memory', '19456', '--kdf-passes', '2'];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let workDirectory = '';
const baseEnv: Record<string, string> = {
  PATH: process.env['PATH'] ?? '',
  PROVKIT_LAB_PASSPHRASE: 'lab passphrase',
  PROVKIT_PACKAGE_PASSPHRASE: 'package passphrase',
  PROVKIT_ACTOR: 'alice',
};
const { ok, fails } = createCliRunner(() => workDirectory, baseEnv);

function parseCsv(text: string): Array<Record<string, string>> {
  const lines = text.trimEnd().split('\r\n');
  expect(lines[0]).toBe(REPORT_CSV_COLUMNS.join(','));
  // No field in these reports needs quoting, so a split is enough here.
  return lines.slice(1).map((line) => Object.fromEntries(line.split(',').map((cell, index) => [REPORT_CSV_COLUMNS[index]!, cell])));
}

const device = { PROVKIT_PASSPHRASE: 'package passphrase', PROVKIT_NEW_PASSPHRASE: 'device passphrase' };
const installed = { PROVKIT_PASSPHRASE: 'device passphrase' };
const requestIds = new Map<string, string>();

async function createRequest(packageDirectory: string, hardwareId: string, extra: string[] = []): Promise<string> {
  const stdout = await ok(['request', '--truststore', `${packageDirectory}/truststore.mcts`, '--profile', `${packageDirectory}/pump.mcpp`, '--identity', `${packageDirectory}/pump.mcpip`, '--hardware-id', hardwareId, '--out', `${hardwareId}.mcpr`, '--pending-out', `${hardwareId}.pending.mcpi`, ...extra, ...KDF], device);
  const match = /request ([0-9a-f-]{36}) for hardware id/.exec(stdout);
  expect(match, stdout).not.toBeNull();
  requestIds.set(hardwareId, match![1]!);
  return match![1]!;
}

async function install(hardwareId: string, request = `${hardwareId}.mcpr`, pending = `${hardwareId}.pending.mcpi`, profile = `${hardwareId}.mcp`, suffix = ''): Promise<string> {
  return ok(['install', '--truststore', 'pkg-auto/truststore.mcts', '--request', request, '--pending', pending, '--profile', profile, '--identity-out', `${hardwareId}${suffix}.mcpi`, '--profile-out', `${hardwareId}${suffix}.installed.mcp`, ...KDF], installed);
}

async function exists(file: string): Promise<boolean> {
  return access(path.join(workDirectory, file)).then(() => true, () => false);
}

describe('provkit CLI round trip', { timeout: 180_000 }, () => {
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    const temporary = await temporaryDirectory('provkit-cli-');
    workDirectory = temporary.directory;
    cleanup = temporary.cleanup;
  });
  afterAll(async () => cleanup());

  it('creates two systems and their packages', async () => {
    expect(await ok(['lab', 'init', '--lab', 'lab', '--name', 'Auto', '--approval', 'automatic', '--component', 'pump', ...KDF])).toMatch(/^created system Auto \([0-9a-f-]{36}\), approval automatic, components pump \[identity, tls\]\n$/);
    await writeFile(path.join(workDirectory, 'allowed.txt'), '# shipping list\nSN-M1\nSN-M2\n');
    expect(await ok(['lab', 'init', '--lab', 'lab', '--name', 'Manual', '--component', 'pump', '--allow-list', 'allowed.txt', ...KDF])).toMatch(/^created system Manual \([0-9a-f-]{36}\), approval manual, components pump \[identity, tls\]\n$/);
    await fails(['lab', 'package', '--lab', 'lab', '--component', 'pump', '--out', 'pkg-auto'], 2);
    expect(await ok(['lab', 'package', '--lab', 'lab', '--system', 'Auto', '--component', 'pump', '--out', 'pkg-auto', ...KDF])).toMatch(/^wrote pkg-auto\/truststore\.mcts, pkg-auto\/pump\.mcpp, pkg-auto\/pump\.mcpip \(profile [0-9a-f-]{36}, provisioning certificate serial [0-9a-f]+\)\n$/);
    await ok(['lab', 'package', '--lab', 'lab', '--system', 'Manual', '--component', 'pump', '--out', 'pkg-manual', ...KDF]);
    // Nothing is overwritten without --force.
    const again = await fails(['lab', 'package', '--lab', 'lab', '--system', 'Auto', '--component', 'pump', '--out', 'pkg-auto', ...KDF], 7);
    expect(again.stderr).toBe('provkit lab package: pkg-auto/truststore.mcts already exists; remove it or pass --force [invalid-state]\n');

    expect(await ok(['check', '--truststore', 'pkg-auto/truststore.mcts', '--profile', 'pkg-auto/pump.mcpp', '--identity', 'pkg-auto/pump.mcpip'], device)).toMatch(/^package ok: system [0-9a-f-]{36}, component pump, profile [0-9a-f-]{36}, first provisioning, roles identity \(ecdsa-p256\), tls \(ecdsa-p256\)\n$/);
    const wrong = await fails(['check', '--truststore', 'pkg-auto/truststore.mcts', '--profile', 'pkg-auto/pump.mcpp', '--identity', 'pkg-auto/pump.mcpip'], 5, { PROVKIT_PASSPHRASE: 'not it' });
    expect(wrong.stdout).toBe('decrypt-failed: pump.mcpip: could not decrypt the private identity: the passphrase is wrong, or the file is damaged or was modified\n');
    const foreign = await fails(['check', '--truststore', 'pkg-manual/truststore.mcts', '--profile', 'pkg-auto/pump.mcpp', '--identity', 'pkg-auto/pump.mcpip'], 4, device);
    expect(foreign.stdout.split('\n').filter((line) => line !== '').every((line) => line.startsWith('untrusted: '))).toBe(true);
  });

  it('provisions automatically and installs', async () => {
    const requestId = await createRequest('pkg-auto', 'SN-A1');
    const submitted = await ok(['lab', 'submit', '--lab', 'lab', 'SN-A1.mcpr']);
    expect(submitted).toBe(`SN-A1.mcpr: request ${requestId} hardware id SN-A1: provisioning, profile written to SN-A1.mcp\n`);
    expect(await install('SN-A1')).toMatch(new RegExp(`^installed request ${requestId} for hardware id SN-A1: wrote SN-A1\\.mcpi and SN-A1\\.installed\\.mcp; certificates identity serial [0-9a-f]+ until \\S+, tls serial [0-9a-f]+ until \\S+\\n$`));
    expect(await ok(['lab', 'complete', '--lab', 'lab', '--request', requestId])).toBe(`request ${requestId} (hardware id SN-A1) is now provisioned\n`);

    const replay = await fails(['lab', 'submit', '--lab', 'lab', 'SN-A1.mcpr'], 6);
    expect(replay.stderr).toBe(`provkit lab submit: 1 of 1 requests failed; first: SN-A1.mcpr: manifest.requestId: request id ${requestId} was already submitted; the device must create a new request [replay]\n`);
  });

  it('provisions manually, with an approval and a rejection', async () => {
    const approvedId = await createRequest('pkg-manual', 'SN-M1');
    const rejectedId = await createRequest('pkg-manual', 'SN-M2');
    const unlistedId = await createRequest('pkg-manual', 'SN-M3');
    const submitted = await fails(['lab', 'submit', '--lab', 'lab', 'SN-M1.mcpr', 'SN-M2.mcpr', 'SN-M3.mcpr'], 6);
    expect(submitted.stdout.split('\n')).toEqual([
      `SN-M1.mcpr: request ${approvedId} hardware id SN-M1: needs-approval`,
      `SN-M2.mcpr: request ${rejectedId} hardware id SN-M2: needs-approval`,
      `SN-M3.mcpr: request ${unlistedId} hardware id SN-M3: failed`,
      '  not-allowed: SN-M3.mcpr: manifest.hardwareId: hardware id "SN-M3" is not on the allow-list of system Manual',
      '',
    ]);
    await fails(['lab', 'profile', '--lab', 'lab', '--request', approvedId, '--out', 'SN-M1.mcp'], 7);
    expect(await ok(['lab', 'approve', '--lab', 'lab', '--request', approvedId, '--actor', 'bob'])).toBe(`request ${approvedId} (hardware id SN-M1) is now approved\n`);
    expect(await ok(['lab', 'profile', '--lab', 'lab', '--request', approvedId, '--out', 'SN-M1.mcp'])).toMatch(new RegExp(`^wrote SN-M1\\.mcp for request ${approvedId} \\(hardware id SN-M1\\): identity serial [0-9a-f]+ until \\S+, tls serial [0-9a-f]+ until \\S+\\n$`));
    await ok(['install', '--truststore', 'pkg-manual/truststore.mcts', '--request', 'SN-M1.mcpr', '--pending', 'SN-M1.pending.mcpi', '--profile', 'SN-M1.mcp', '--identity-out', 'SN-M1.mcpi', '--profile-out', 'SN-M1.installed.mcp', ...KDF], installed);
    await ok(['lab', 'complete', '--lab', 'lab', '--request', approvedId]);

    expect(await ok(['lab', 'reject', '--lab', 'lab', '--request', rejectedId, '--reason', 'not on the shipping list'])).toBe(`request ${rejectedId} (hardware id SN-M2) is now rejected\n`);
    const late = await fails(['lab', 'approve', '--lab', 'lab', '--request', rejectedId], 7);
    expect(late.stderr).toBe(`provkit lab approve: request ${rejectedId} is rejected and cannot become approved (rejected is final) [invalid-state]\n`);
    await fails(['lab', 'reject', '--lab', 'lab', '--request', approvedId], 2);
  });

  it('reprovisions with the current identity', async () => {
    const stdout = await ok(['request', '--truststore', 'pkg-auto/truststore.mcts', '--profile', 'SN-A1.installed.mcp', '--identity', 'SN-A1.mcpi', '--out', 'SN-A1.renew.mcpr', '--pending-out', 'SN-A1.renew.pending.mcpi', ...KDF], installed);
    const renewalId = /request ([0-9a-f-]{36}) for hardware id SN-A1 \(reprovisioning\)/.exec(stdout)?.[1];
    expect(renewalId).toMatch(UUID);
    requestIds.set('SN-A1 renewal', renewalId!);
    expect(await ok(['lab', 'submit', '--lab', 'lab', 'SN-A1.renew.mcpr'])).toBe(`SN-A1.renew.mcpr: request ${renewalId} hardware id SN-A1: provisioning, profile written to SN-A1.renew.mcp\n`);
    await install('SN-A1', 'SN-A1.renew.mcpr', 'SN-A1.renew.pending.mcpi', 'SN-A1.renew.mcp', '.renewed');
    await ok(['lab', 'complete', '--lab', 'lab', '--request', renewalId!]);
  });

  it('takes an OpenSSL CSR for one role', async () => {
    await openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'tls.key', '-subj', '/CN=SN-A2/serialNumber=SN-A2/OU=pump tls', '-out', 'tls.csr.pem'], workDirectory);
    // Errors about a --csr file name that file.
    await openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'other.key', '-subj', '/CN=someone-else', '-out', 'other.csr.pem'], workDirectory);
    const packageFiles = ['--truststore', 'pkg-auto/truststore.mcts', '--profile', 'pkg-auto/pump.mcpp', '--identity', 'pkg-auto/pump.mcpip', '--hardware-id', 'SN-A2', '--out', 'SN-A2.mcpr', '--pending-out', 'SN-A2.pending.mcpi', ...KDF];
    const wrongSubject = await fails(['request', ...packageFiles, '--csr', 'tls=other.csr.pem'], 4, device);
    expect(wrongSubject.stderr).toBe('provkit request: other.csr.pem: the external CSR for role "tls" has subject "CN=someone-else"; the profile\'s template gives CN=SN-A2, serialNumber=SN-A2, OU=pump tls [mismatch]\n');
    const wrongRole = await fails(['request', ...packageFiles, '--csr', 'firmware=tls.csr.pem'], 4, device);
    expect(wrongRole.stderr).toBe('provkit request: tls.csr.pem: the external CSR is for role "firmware", which the profile does not have; its roles are identity, tls [mismatch]\n');
    expect(await exists('SN-A2.mcpr')).toBe(false);

    const requestId = await createRequest('pkg-auto', 'SN-A2', ['--csr', 'tls=tls.csr.pem']);
    await ok(['lab', 'submit', '--lab', 'lab', 'SN-A2.mcpr']);
    await install('SN-A2');
    const profile = readCertifiedProfile(new Uint8Array(await readFile(path.join(workDirectory, 'SN-A2.mcp'))), {});
    expect(profile.manifest.requestId).toBe(requestId);
    await openssl(['pkey', '-in', 'tls.key', '-pubout', '-outform', 'DER', '-out', 'tls.pub'], workDirectory);
    expect(new Uint8Array(await readFile(path.join(workDirectory, 'tls.pub')))).toEqual(profile.issued.find((entry) => entry.role === 'tls')!.certificate.spki);
  });

  it('rejects a profile for another request and writes nothing', async () => {
    const mixed = await fails(['install', '--truststore', 'pkg-auto/truststore.mcts', '--request', 'SN-A2.mcpr', '--pending', 'SN-A2.pending.mcpi', '--profile', 'SN-A1.mcp', '--identity-out', 'mixed.mcpi', '--profile-out', 'mixed.mcp', ...KDF], 4, installed);
    expect(mixed.stderr).toMatch(/^provkit install: SN-A1\.mcp is rejected: SN-A1\.mcp: manifest\.requestId: answers request [0-9a-f-]{36}, not [0-9a-f-]{36} .*\[mismatch\]\n$/);
    expect(await exists('mixed.mcpi')).toBe(false);
    expect(await exists('mixed.mcp')).toBe(false);
    await fails(['install', '--truststore', 'pkg-auto/truststore.mcts', '--request', 'SN-A2.mcpr', '--pending', 'SN-A2.pending.mcpi', '--profile', 'SN-A2.mcp', '--identity-out', 'mixed.mcpi', '--profile-out', 'mixed.mcp', ...KDF], 5, { PROVKIT_PASSPHRASE: 'wrong' });
    expect(await exists('mixed.mcpi')).toBe(false);
  });

  it('reports every device exactly', async () => {
    const auto = parseCsv(await ok(['lab', 'report', '--lab', 'lab', '--system', 'Auto']));
    expect(auto.map((row) => [row['hardware_id'], row['component'], row['state'], row['request_id'], row['request_count']])).toEqual([
      ['SN-A1', 'pump', 'provisioned', requestIds.get('SN-A1 renewal'), '2'],
      ['SN-A2', 'pump', 'provisioning', requestIds.get('SN-A2'), '1'],
    ]);
    for (const row of auto) {
      expect(row['verifying_at']).toMatch(/^\d{4}-\d\d-\d\dT/);
      expect(row['auto_approved_at']).toBe(row['verifying_at']);
      expect(row['needs_approval_at']).toBe('');
      expect(row['provisioning_at']).toMatch(/^\d{4}-\d\d-\d\dT/);
    }
    expect(auto[0]!['provisioned_at']).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(auto[1]!['provisioned_at']).toBe('');
    const renewed = readCertifiedProfile(new Uint8Array(await readFile(path.join(workDirectory, 'SN-A1.renew.mcp'))), {});
    expect(auto[0]!['certificate_serials']).toBe(renewed.issued.map((entry) => `${entry.role}=${entry.certificate.serialHex}`).join(';'));
    expect(auto[0]!['certificate_expiry']).toBe(renewed.issued.map((entry) => `${entry.role}=${entry.certificate.notAfter.toISOString()}`).join(';'));

    const manual = parseCsv(await ok(['lab', 'report', '--lab', 'lab', '--system', 'Manual']));
    expect(manual.map((row) => [row['hardware_id'], row['state'], row['request_id'], row['rejection_reason'], row['failure_code']])).toEqual([
      ['SN-M1', 'provisioned', requestIds.get('SN-M1'), '', ''],
      ['SN-M2', 'rejected', requestIds.get('SN-M2'), 'not on the shipping list', ''],
      ['SN-M3', 'failed', requestIds.get('SN-M3'), '', 'not-allowed'],
    ]);
    expect(manual[0]!['approved_at']).toMatch(/^\d{4}-/);
    expect(manual[1]!['certificate_serials']).toBe('');
    expect(manual[2]!['failed_at']).toBe(manual[2]!['verifying_at']);

    const json = JSON.parse(await ok(['lab', 'report', '--lab', 'lab', '--system', 'Manual', '--format', 'json'])) as { systemName: string; rows: Array<{ hardwareId: string }> };
    expect(json.systemName).toBe('Manual');
    expect(json.rows.map((row) => row.hardwareId)).toEqual(['SN-M1', 'SN-M2', 'SN-M3']);
  });

  it('passes OpenSSL checks of every request and certificate', async () => {
    await openssl(['pkcs7', '-inform', 'DER', '-in', 'pkg-auto/truststore.mcts', '-print_certs', '-out', 'anchors-auto.pem'], workDirectory);
    await openssl(['pkcs7', '-inform', 'DER', '-in', 'pkg-manual/truststore.mcts', '-print_certs', '-out', 'anchors-manual.pem'], workDirectory);
    const requests = [['SN-A1.mcpr', 'auto'], ['SN-A1.renew.mcpr', 'auto'], ['SN-A2.mcpr', 'auto'], ['SN-M1.mcpr', 'manual'], ['SN-M2.mcpr', 'manual']] as const;
    for (const [file, system] of requests) {
      const verified = await openssl(['cms', '-verify', '-inform', 'DER', '-in', file, '-binary', '-CAfile', `anchors-${system}.pem`, '-purpose', 'any', '-out', `${file}.json`], workDirectory);
      expect(verified.stderr, file).toContain('Verification successful');
      const request = readProvisionRequest(new Uint8Array(await readFile(path.join(workDirectory, file))), {});
      for (const [index, csr] of request.csrs.entries()) {
        await writeFile(path.join(workDirectory, `${file}.${index}.csr.pem`), toPem('CERTIFICATE REQUEST', csr.der));
        const checked = await openssl(['req', '-in', `${file}.${index}.csr.pem`, '-noout', '-verify'], workDirectory);
        expect(`${checked.stdout}${checked.stderr}`, `${file} CSR ${index}`).toMatch(/verify OK/i);
      }
    }
    const profiles = [['SN-A1.mcp', 'auto'], ['SN-A1.renew.mcp', 'auto'], ['SN-A2.mcp', 'auto'], ['SN-M1.mcp', 'manual']] as const;
    for (const [file, system] of profiles) {
      const profile = readCertifiedProfile(new Uint8Array(await readFile(path.join(workDirectory, file))), {});
      const issuing = profile.signedData.certificates.filter((certificate) => certificate.basicConstraints?.ca === true);
      await writePem(path.join(workDirectory, `${file}.chain.pem`), issuing);
      for (const entry of profile.issued) {
        const leaf = `${file}.${entry.role}.pem`;
        await writePem(path.join(workDirectory, leaf), [entry.certificate]);
        const verified = await openssl(['verify', '-x509_strict', '-CAfile', `anchors-${system}.pem`, '-untrusted', `${file}.chain.pem`, leaf], workDirectory);
        expect(verified.stdout.trim()).toBe(`${leaf}: OK`);
        // provkit's own verifier agrees, with the chain as untrusted intermediates.
        const own = JSON.parse(await ok(['verify', '--truststore', `pkg-${system}/truststore.mcts`, '--intermediates', `${file}.chain.pem`, leaf, '--json'])) as { ok: boolean; chain: string[] };
        expect(own.ok).toBe(true);
        expect(own.chain).toHaveLength(3);
      }
      const verified = await openssl(['cms', '-verify', '-inform', 'DER', '-in', file, '-binary', '-CAfile', `anchors-${system}.pem`, '-purpose', 'any', '-out', `${file}.json`], workDirectory);
      expect(verified.stderr).toContain('Verification successful');
    }
  });

  it('inspects and verifies the six file types', async () => {
    const types = [
      ['pkg-auto/truststore.mcts', 'mcts'],
      ['SN-A1.mcpr', 'mcpr'],
      ['pkg-auto/pump.mcpp', 'mcpp'],
      ['SN-A1.mcp', 'mcp'],
      ['pkg-auto/pump.mcpip', 'mcpip'],
      ['SN-A1.mcpi', 'mcpi'],
      ['tls.csr.pem', 'csr'],
      ['SN-A1.mcp.identity.pem', 'certificate'],
    ] as const;
    for (const [file, type] of types) {
      const description = JSON.parse(await ok(['inspect', file, '--json'])) as { type: string };
      expect(description.type, file).toBe(type);
      const text = await ok(['inspect', file]);
      expect(text.split('\n')[0]).toMatch(new RegExp(`^${path.basename(file).replaceAll('.', '\\.')}: `));
    }
    const request = JSON.parse(await ok(['inspect', 'SN-A1.mcpr', '--json'])) as { manifest: { requestId: string; hardwareId: string } };
    expect(request.manifest).toMatchObject({ requestId: requestIds.get('SN-A1'), hardwareId: 'SN-A1' });
    const identity = JSON.parse(await ok(['inspect', 'SN-A1.mcpi', '--json'])) as { hardwareId: string; keys: Array<{ role: string }> };
    expect(identity.hardwareId).toBe('SN-A1');
    expect(identity.keys.map((key) => key.role)).toEqual(['identity', 'tls']);

    expect(await ok(['verify', '--truststore', 'pkg-auto/truststore.mcts', 'SN-A1.mcp', '--request', 'SN-A1.mcpr'])).toMatch(/^SN-A1\.mcp: verified \(Certified Profile \(\.mcp\)\) at /);
    await ok(['verify', '--truststore', 'pkg-auto/truststore.mcts', 'SN-A1.mcpr']);
    await ok(['verify', '--truststore', 'pkg-auto/truststore.mcts', 'pkg-auto/pump.mcpp']);
    const foreign = await fails(['verify', '--truststore', 'pkg-manual/truststore.mcts', 'SN-A1.mcp'], 4);
    expect(foreign.stderr).toMatch(/^provkit verify: SN-A1\.mcp failed verification: .*\[untrusted\]\n$/);
    const future = await fails(['verify', '--truststore', 'pkg-auto/truststore.mcts', 'SN-A1.mcp', '--at', '2100-01-01T00:00:00Z'], 4);
    expect(future.stderr).toMatch(/\[expired\]\n$/);
    // A failure at the --at time names that time, never "now".
    expect(future.stderr).toContain('(at the validation time 2100-01-01T00:00:00.000Z)');
    expect(future.stdout).not.toMatch(/\bnow\b/);
    const unknown = await fails(['verify', '--truststore', 'pkg-auto/truststore.mcts', 'allowed.txt'], 3);
    expect(unknown.stderr).toBe('provkit verify: allowed.txt is not a provkit file, an X.509 certificate or a PKCS #10 request; provkit verify accepts a .mcpr, .mcpp or .mcp file, or an X.509 certificate in PEM or DER [wrong-type]\n');
    const unsigned = await fails(['verify', '--truststore', 'pkg-auto/truststore.mcts', 'SN-A1.mcpi'], 3);
    expect(unsigned.stderr).toBe('provkit verify: SN-A1.mcpi is a Private Identity (.mcpi); provkit verify accepts a .mcpr, .mcpp or .mcp file, or an X.509 certificate in PEM or DER [wrong-type]\n');
    const broken = await fails(['inspect', 'allowed.txt'], 3);
    expect(broken.stderr).toMatch(/^provkit inspect: allowed\.txt: not a provkit file/);
  });

  it('documents flags and rejects bad usage', async () => {
    const help = await ok(['request', '--help']);
    for (const flag of ['--truststore FILE', '--hardware-id ID', '--csr ROLE=FILE', '--passphrase-file FILE', '--passphrase-env NAME', '--kdf-memory KIB', '--log-level LEVEL']) expect(help).toContain(flag);
    const overall = await ok(['--help']);
    for (const command of ['lab init', 'lab package', 'lab submit', 'lab approve', 'lab reject', 'lab profile', 'lab complete', 'lab report', 'check', 'request', 'install', 'inspect', 'verify']) expect(overall).toContain(`  ${command} `);
    expect(overall).toContain('  6  rejected');
    expect((await fails(['lab', 'frobnicate'], 2)).stderr).toMatch(/^provkit: unknown command "lab frobnicate"/);
    expect((await fails(['inspect', '--passphrase', 'secret', 'x'], 2)).stderr).toBe('provkit inspect: unknown flag --passphrase; see "provkit inspect --help" [invalid-argument]\n');
    expect((await fails(['request', '--truststore', 'pkg-auto/truststore.mcts', '--profile', 'pkg-auto/pump.mcpp', '--identity', 'pkg-auto/pump.mcpip', '--hardware-id', 'x'.repeat(37), '--out', 'x.mcpr', '--pending-out', 'x.mcpi'], 2, device)).stderr).toContain('is invalid: use 1 to 36 characters');
    expect((await fails(['check', '--truststore', 'missing.mcts', '--profile', 'pkg-auto/pump.mcpp', '--identity', 'pkg-auto/pump.mcpip'], 7, device)).stderr).toBe('provkit check: TrustStore missing.mcts does not exist; check the path [not-found]\n');
    const noPassphrase = await fails(['check', '--truststore', 'pkg-auto/truststore.mcts', '--profile', 'pkg-auto/pump.mcpp', '--identity', 'pkg-auto/pump.mcpip'], 2);
    expect(noPassphrase.stderr).toBe('provkit check: no passphrase: set environment variable PROVKIT_PASSPHRASE or pass --passphrase-file FILE [invalid-argument]\n');
    await writeFile(path.join(workDirectory, 'passphrase.txt'), 'package passphrase\n');
    await ok(['check', '--truststore', 'pkg-auto/truststore.mcts', '--profile', 'pkg-auto/pump.mcpp', '--identity', 'pkg-auto/pump.mcpip', '--passphrase-file', 'passphrase.txt']);
  });
});
