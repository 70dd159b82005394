import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importPrivateKey } from '../../src/crypto/algorithms.js';
import { decryptPrivateIdentity } from '../../src/formats/identity.js';
import { wrapProvisionRequest } from '../../src/formats/request.js';
import { parseCertificate } from '../../src/formats/x509.js';
import { generateProvisioningKey, issueProxyCertificate } from '../../src/issuer/ca.js';
import { LabIssuer } from '../../src/issuer/issuer.js';
import { FileIssuerStore } from '../../src/node/file-issuer-store.js';
import { type CliResult, createCliRunner } from '../helpers/cli.js';
import { openssl, temporaryDirectory, testKdf } from './provisioning-fixtures.js';

const KDF = ['--kdf-memory', '19456', '--kdf-passes', '2'];

let workDirectory = '';
const baseEnv: Record<string, string> = {
  PATH: process.env['PATH'] ?? '',
  PROVKIT_LAB_PASSPHRASE: 'lab passphrase',
  PROVKIT_PACKAGE_PASSPHRASE: 'package passphrase',
  PROVKIT_PROXY_PASSPHRASE: 'proxy passphrase',
  PROVKIT_ACTOR: 'alice',
};
const device = { PROVKIT_PASSPHRASE: 'package passphrase', PROVKIT_NEW_PASSPHRASE: 'device passphrase' };
const proxy = { PROVKIT_PASSPHRASE: 'proxy passphrase' };

const runner = createCliRunner(() => workDirectory, baseEnv);
const { ok } = runner;

/** Runs provkit and expects exit status `code` with one line on stderr that ends in `[errorCode]`. */
async function fails(args: string[], code: number, errorCode: string, env: Record<string, string> = {}): Promise<CliResult> {
  const result = await runner.fails(args, code, env);
  expect(result.stderr.endsWith(`[${errorCode}]\n`), result.stderr).toBe(true);
  return result;
}

async function bytesOf(file: string): Promise<Uint8Array> {
  return new Uint8Array(await readFile(path.join(workDirectory, file)));
}

/** Creates a device request for `hardwareId` from the Plant package and returns its request id. */
async function createRequest(hardwareId: string): Promise<string> {
  const stdout = await ok(['request', '--truststore', 'pkg/truststore.mcts', '--profile', 'pkg/pump.mcpp', '--identity', 'pkg/pump.mcpip', '--hardware-id', hardwareId, '--out', `${hardwareId}.mcpr`, '--pending-out', `${hardwareId}.pending.mcpi`, ...KDF], device);
  const match = /request ([0-9a-f-]{36}) for hardware id/.exec(stdout);
  expect(match, stdout).not.toBeNull();
  return match![1]!;
}

async function wrap(request: string, identity: string, out: string, extra: string[] = []): Promise<string> {
  return ok(['proxy', 'wrap', request, '--identity', identity, '--out', out, ...extra], proxy);
}

/** Flips the last byte of a file, which lies in the signature value of its (outer) SignerInfo. */
async function flipLastByte(from: string, to: string): Promise<void> {
  const bytes = await bytesOf(from);
  bytes[bytes.length - 1] = bytes.at(-1)! ^ 0x01;
  await writeFile(path.join(workDirectory, to), bytes);
}

describe('provkit proxy provisioning', { timeout: 240_000 }, () => {
  let cleanup: () => Promise<void>;
  let proxySerial = '';

  beforeAll(async () => {
    const temporary = await temporaryDirectory('provkit-proxy-');
    workDirectory = temporary.directory;
    cleanup = temporary.cleanup;
    await ok(['lab', 'init', '--lab', 'lab', '--name', 'Plant', '--component', 'pump', ...KDF]);
    await ok(['lab', 'package', '--lab', 'lab', '--component', 'pump', '--out', 'pkg', ...KDF]);
    await openssl(['pkcs7', '-inform', 'DER', '-in', 'pkg/truststore.mcts', '-print_certs', '-out', 'anchors.pem'], workDirectory);
  });
  afterAll(async () => cleanup());

  it('issues and lists a proxy', async () => {
    const stdout = await ok(['lab', 'proxy', '--lab', 'lab', '--name', 'gw-1', '--out', 'gw-1.mcpi', '--cert-out', 'gw-1.pem', ...KDF]);
    const match = /^wrote gw-1\.mcpi and gw-1\.pem: proxy gw-1 of system Plant, certificate serial ([0-9a-f]+) until \S+\n$/.exec(stdout);
    expect(match, stdout).not.toBeNull();
    proxySerial = match![1]!;

    // The certificate chains to the system root through the issuing CA and carries only the proxy usage.
    const certificate = parseCertificate(new Uint8Array(Buffer.from((await readFile(path.join(workDirectory, 'gw-1.pem'), 'utf8')).replace(/-----[A-Z ]+-----|\s/g, ''), 'base64')), {});
    expect(certificate.subjectName).toContain('CN=gw-1');
    expect(certificate.issuerName).toContain('CN=Plant Issuing CA');
    expect(certificate.extendedKeyUsage).toEqual(['2.25.300802731784258787529098553703660543112.10.4']);

    const listed = JSON.parse(await ok(['lab', 'proxies', '--lab', 'lab', '--json'])) as Array<Record<string, string>>;
    expect(listed.map((entry) => [entry['name'], entry['serialHex']])).toEqual([['gw-1', proxySerial]]);
    await fails(['lab', 'proxy', '--lab', 'lab', '--name', 'gw-1', '--out', 'gw-1b.mcpi', ...KDF], 7, 'invalid-state');
    await fails(['lab', 'proxy', '--lab', 'lab', '--name', 'gw 1', '--out', 'gw-1c.mcpi', ...KDF], 2, 'invalid-argument');
    await fails(['proxy', 'wrap', 'missing.mcpr', '--identity', 'gw-1.mcpi', '--out', 'x.mcpr'], 7, 'not-found', proxy);
  });

  it('provisions a device through a proxy', async () => {
    const requestId = await createRequest('SN-P1');
    expect(await wrap('SN-P1.mcpr', 'gw-1.mcpi', 'SN-P1.proxied.mcpr')).toBe(`wrote SN-P1.proxied.mcpr: SN-P1.mcpr wrapped by proxy "CN=gw-1,OU=proxy,O=Plant" (serial ${proxySerial})\n`);

    // Any CMS implementation verifies the outer layer to the system root and gets the device's
    // .mcpr back byte for byte, which verifies in turn.
    await openssl(['cms', '-verify', '-inform', 'DER', '-in', 'SN-P1.proxied.mcpr', '-binary', '-CAfile', 'anchors.pem', '-purpose', 'any', '-out', 'inner.mcpr'], workDirectory);
    expect(await bytesOf('inner.mcpr')).toEqual(await bytesOf('SN-P1.mcpr'));
    await openssl(['cms', '-verify', '-inform', 'DER', '-in', 'inner.mcpr', '-binary', '-CAfile', 'anchors.pem', '-purpose', 'any', '-out', 'manifest.json'], workDirectory);
    const manifest = JSON.parse(await readFile(path.join(workDirectory, 'manifest.json'), 'utf8')) as { requestId: string; hardwareId: string };
    expect([manifest.requestId, manifest.hardwareId]).toEqual([requestId, 'SN-P1']);

    expect(await ok(['lab', 'submit', '--lab', 'lab', 'SN-P1.proxied.mcpr'])).toBe(`SN-P1.proxied.mcpr: request ${requestId} hardware id SN-P1: needs-approval\n`);
    const approved = JSON.parse(await ok(['lab', 'approve', '--lab', 'lab', '--request', requestId, '--json'])) as { state: string; history: Array<{ state: string; actor: string }> };
    expect(approved.state).toBe('approved');
    expect(approved.history.map((entry) => [entry.state, entry.actor])).toEqual([
      ['verifying', `proxy ${proxySerial}`],
      ['needs-approval', 'alice'],
      ['approved', 'alice'],
    ]);
    await ok(['lab', 'profile', '--lab', 'lab', '--request', requestId, '--out', 'SN-P1.mcp']);
    // The device installs against the request it created; the proxy changed nothing inside it.
    expect(await ok(['install', '--truststore', 'pkg/truststore.mcts', '--request', 'SN-P1.mcpr', '--pending', 'SN-P1.pending.mcpi', '--profile', 'SN-P1.mcp', '--identity-out', 'SN-P1.mcpi', '--profile-out', 'SN-P1.installed.mcp', ...KDF], { PROVKIT_PASSPHRASE: 'device passphrase' })).toMatch(new RegExp(`^installed request ${requestId} for hardware id SN-P1: wrote SN-P1\\.mcpi and SN-P1\\.installed\\.mcp`));

    const report = JSON.parse(await ok(['lab', 'report', '--lab', 'lab', '--format', 'json'])) as { rows: Array<{ hardwareId: string; state: string; proxy?: { serialHex: string; subject: string } }> };
    expect(report.rows.map((row) => [row.hardwareId, row.state, row.proxy])).toEqual([['SN-P1', 'provisioning', { serialHex: proxySerial, subject: 'CN=gw-1,OU=proxy,O=Plant' }]]);
  });

  it('rejects a replay through the proxy', async () => {
    const again = await fails(['lab', 'submit', '--lab', 'lab', 'SN-P1.proxied.mcpr'], 6, 'replay');
    expect(again.stdout).toMatch(/^SN-P1\.proxied\.mcpr: request [0-9a-f-]{36} hardware id SN-P1: not recorded\n {2}replay: /);
    // A fresh outer signature over the same inner request is still a replay.
    await wrap('SN-P1.mcpr', 'gw-1.mcpi', 'SN-P1.rewrapped.mcpr');
    await fails(['lab', 'submit', '--lab', 'lab', 'SN-P1.rewrapped.mcpr'], 6, 'replay');
  });

  it('rejects a non-proxy signer as wrong-usage', async () => {
    await createRequest('SN-P2');
    // The device identity installed above has a valid path to the root but not the proxy usage.
    const refused = await fails(['proxy', 'wrap', 'SN-P2.mcpr', '--identity', 'SN-P1.mcpi', '--role', 'identity', '--out', 'SN-P2.proxied.mcpr'], 4, 'wrong-usage', { PROVKIT_PASSPHRASE: 'device passphrase' });
    expect(refused.stderr).toContain('lacks the provkit proxy extended key usage');
    // A wrapper that skips that local check gets the same code from the issuer.
    const identity = await decryptPrivateIdentity(await bytesOf('SN-P1.mcpi'), 'device passphrase', { kdf: await testKdf(), file: 'SN-P1.mcpi' });
    const key = identity.keys.find((candidate) => candidate.role === 'identity')!;
    const { privateKey, algorithm } = await importPrivateKey(key.pkcs8, {}, key.algorithm);
    const wrapped = await wrapProvisionRequest(await bytesOf('SN-P2.mcpr'), { certificate: parseCertificate(key.certificate!, {}), privateKey, algorithm, chain: (key.chain ?? []).map((der) => parseCertificate(der, {})) });
    await writeFile(path.join(workDirectory, 'SN-P2.proxied.mcpr'), wrapped);
    const submitted = await fails(['lab', 'submit', '--lab', 'lab', 'SN-P2.proxied.mcpr'], 4, 'wrong-usage');
    expect(submitted.stdout.split('\n')[1]).toMatch(/^ {2}wrong-usage: /);
  });

  it('rejects another lab\'s proxy as untrusted', async () => {
    await ok(['lab', 'init', '--lab', 'lab2', '--name', 'Plant', '--component', 'pump', ...KDF]);
    await ok(['lab', 'proxy', '--lab', 'lab2', '--name', 'gw-1', '--out', 'foreign.mcpi', ...KDF]);
    await createRequest('SN-P3');
    await wrap('SN-P3.mcpr', 'foreign.mcpi', 'SN-P3.proxied.mcpr');
    const submitted = await fails(['lab', 'submit', '--lab', 'lab', 'SN-P3.proxied.mcpr'], 4, 'untrusted');
    expect(submitted.stdout).toMatch(/^SN-P3\.proxied\.mcpr: request [0-9a-f-]{36} hardware id SN-P3: failed\n {2}untrusted: /);
  });

  it('rejects a tampered outer layer', async () => {
    await createRequest('SN-P4');
    await wrap('SN-P4.mcpr', 'gw-1.mcpi', 'SN-P4.proxied.mcpr');
    await flipLastByte('SN-P4.proxied.mcpr', 'SN-P4.tampered.mcpr');
    const submitted = await fails(['lab', 'submit', '--lab', 'lab', 'SN-P4.tampered.mcpr'], 4, 'signature-invalid');
    // The inner request is intact, so the only failure is the proxy's signature.
    expect(submitted.stdout.split('\n').filter((line) => line.startsWith('  ')).map((line) => line.trim().split(':')[0])).toEqual(['signature-invalid']);
  });

  it('rejects a tampered inner request', async () => {
    await createRequest('SN-P5');
    await flipLastByte('SN-P5.mcpr', 'SN-P5.tampered.mcpr');
    await wrap('SN-P5.tampered.mcpr', 'gw-1.mcpi', 'SN-P5.proxied.mcpr');
    await openssl(['cms', '-verify', '-inform', 'DER', '-in', 'SN-P5.proxied.mcpr', '-binary', '-CAfile', 'anchors.pem', '-purpose', 'any', '-out', 'inner5.mcpr'], workDirectory);
    await expect(openssl(['cms', '-verify', '-inform', 'DER', '-in', 'inner5.mcpr', '-binary', '-CAfile', 'anchors.pem', '-purpose', 'any', '-out', 'manifest5.json'], workDirectory)).rejects.toThrow();
    const submitted = await fails(['lab', 'submit', '--lab', 'lab', 'SN-P5.proxied.mcpr'], 4, 'signature-invalid');
    expect(submitted.stdout.split('\n').filter((line) => line.startsWith('  ')).map((line) => line.trim().split(':')[0])).toEqual(['signature-invalid']);
  });

  it('rejects an unrecorded proxy certificate', async () => {
    // Only a holder of the CA keys can make such a certificate. The issuer still rejects it,
    // because the recorded proxies are the authority, so deleting a record stops that proxy.
    const issuer = new LabIssuer({ store: new FileIssuerStore(path.join(workDirectory, 'lab')), kdf: await testKdf() });
    const system = await issuer.findSystem('Plant');
    const ca = await issuer.unlock(system.id, 'lab passphrase');
    const { keys, spki } = await generateProvisioningKey('ecdsa-p256');
    const certificate = await issueProxyCertificate({ ca, systemName: system.name, name: 'unlisted', subjectSpki: spki, validityDays: 30, now: new Date() });
    await createRequest('SN-P6');
    const wrapped = await wrapProvisionRequest(await bytesOf('SN-P6.mcpr'), { certificate, privateKey: keys.privateKey, algorithm: 'ecdsa-p256', chain: [ca.issuingCa.certificate] });
    await writeFile(path.join(workDirectory, 'SN-P6.proxied.mcpr'), wrapped);
    const submitted = await fails(['lab', 'submit', '--lab', 'lab', 'SN-P6.proxied.mcpr'], 4, 'untrusted');
    expect(submitted.stdout.split('\n')[1]).toBe('  untrusted: SN-P6.proxied.mcpr: proxy certificate: the proxy "CN=unlisted,OU=proxy,O=Plant" is not a proxy issued for system Plant; issue one with "provkit lab proxy"');
  });
});
