import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportPkcs8, type KeyAlgorithmName } from '../../src/crypto/algorithms.js';
import { toPem } from '../../src/formats/der.js';
import { detectFileType } from '../../src/formats/detect.js';
import { encodeManifest } from '../../src/formats/manifest.js';
import { OID_CT_PROVISION_REQUEST, OID_KP_PROVISIONING_IDENTITY } from '../../src/formats/oids.js';
import { createCertifiedProfile, createProfileToProvision } from '../../src/formats/profile.js';
import { createProvisionRequest, wrapProvisionRequest, type ProvisionRequest } from '../../src/formats/request.js';
import { writeTrustStore } from '../../src/formats/truststore.js';
import { verifyProvisionRequest } from '../../src/formats/verify.js';
import { repoRoot } from '../helpers/corpus.js';
import { createTestCsrs, createTestPki, issueTestIdentity, testIds, testKeyRole, type TestIdentity, type TestPki } from '../helpers/pki.js';

// OpenSSL is the independent implementation: provkit's files must pass its CMS verifier,
// and SignedData it writes over a provkit manifest must pass provkit's.
const OPENSSL = process.env['OPENSSL'] ?? 'openssl';
let work: string;
let pki: TestPki;
let rootPem: string;

function openssl(...args: string[]): string {
  return execFileSync(OPENSSL, args, { cwd: work, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Runs OpenSSL expecting failure; returns its stderr. */
function opensslFails(...args: string[]): string {
  try {
    execFileSync(OPENSSL, args, { cwd: work, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    return String((error as { stderr?: string }).stderr);
  }
  throw new Error(`openssl ${args.join(' ')} succeeded but was expected to fail`);
}

function write(name: string, data: Uint8Array | string): string {
  writeFileSync(path.join(work, name), data);
  return name;
}

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'provkit-openssl-cms-'));
  pki = await createTestPki();
  rootPem = write('root.pem', toPem('CERTIFICATE', pki.root.certificate.der));
}, 60_000);

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

async function requestSignedBy(signer: TestIdentity) {
  const ids = testIds();
  const { entries } = await createTestCsrs([{ role: 'tls-client', algorithm: 'ecdsa-p256' }]);
  return createProvisionRequest({ ...ids, componentHandle: 'pump', hardwareId: 'SN-77', csrs: entries, signer });
}

// NOTE: Ed25519 is left out because OpenSSL 3.0's CMS cannot sign or verify Ed25519 with
// signed attributes: it hands the EdDSA signer a digest, which fails with "invalid digest".
// provkit's own tests are the only check of that algorithm.
describe('openssl cms -verify on provkit files', () => {
  it.each<KeyAlgorithmName>(['ecdsa-p256', 'ecdsa-p384', 'rsa-pss-2048', 'rsa-pkcs1-2048'])('accepts a .mcpr signed with %s', async (algorithm) => {
    const signer = await issueTestIdentity({
      commonName: `OpenSSL check ${algorithm}`,
      algorithm,
      issuer: pki.provisioningCa,
      extendedKeyUsage: [OID_KP_PROVISIONING_IDENTITY],
    });
    const { bytes, manifest } = await requestSignedBy(signer);
    const file = write(`${algorithm}.mcpr`, bytes);
    openssl('cms', '-verify', '-inform', 'DER', '-in', file, '-binary', '-CAfile', rootPem, '-purpose', 'any', '-out', `${algorithm}.json`);
    expect(new Uint8Array(readFileSync(path.join(work, `${algorithm}.json`)))).toEqual(encodeManifest(manifest));
  });

  it('verifies at the signing time with -attime', async () => {
    const { bytes } = await requestSignedBy(pki.provisioning);
    const file = write('attime.mcpr', bytes);
    const epoch = String(Math.floor(Date.now() / 1000));
    openssl('cms', '-verify', '-inform', 'DER', '-in', file, '-binary', '-CAfile', rootPem, '-purpose', 'any', '-attime', epoch, '-out', 'attime.json');
  });

  it('rejects a provkit file under another root', async () => {
    const { bytes } = await requestSignedBy(pki.provisioning);
    const other = await issueTestIdentity({ commonName: 'Unrelated Root', ca: {} });
    const file = write('other-root.mcpr', bytes);
    write('other-root.pem', toPem('CERTIFICATE', other.certificate.der));
    const stderr = opensslFails('cms', '-verify', '-inform', 'DER', '-in', file, '-binary', '-CAfile', 'other-root.pem', '-purpose', 'any', '-out', 'x.json');
    expect(stderr).toContain('unable to get local issuer certificate');
  });

  it('accepts .mcpp, .mcp and the proxied .mcpr', async () => {
    const ids = testIds();
    const definition = { ...ids, componentHandle: 'pump', keyRoles: [testKeyRole('tls-client')] };
    const mcpp = await createProfileToProvision({ profile: definition, provisioningCertificate: pki.provisioning.certificate, signer: pki.profileSigner });
    const mcp = await createCertifiedProfile({
      profile: definition,
      hardwareId: 'SN-77',
      requestId: ids.requestId,
      issued: [{ role: 'tls-client', certificate: pki.device.certificate }],
      issuedChain: [pki.deviceCa.certificate],
      signer: pki.profileSigner,
    });
    const request = await requestSignedBy(pki.provisioning);
    const proxied = await wrapProvisionRequest(request.bytes, pki.proxy);

    openssl('cms', '-verify', '-inform', 'DER', '-in', write('p.mcpp', mcpp.bytes), '-binary', '-CAfile', rootPem, '-purpose', 'any', '-out', 'p.json');
    openssl('cms', '-verify', '-inform', 'DER', '-in', write('p.mcp', mcp.bytes), '-binary', '-CAfile', rootPem, '-purpose', 'any', '-out', 'mcp.json');
    openssl('cms', '-verify', '-inform', 'DER', '-in', write('proxied.mcpr', proxied), '-binary', '-CAfile', rootPem, '-purpose', 'any', '-out', 'inner.mcpr');
    expect(new Uint8Array(readFileSync(path.join(work, 'inner.mcpr')))).toEqual(request.bytes);

    const certificates = openssl('pkcs7', '-inform', 'DER', '-in', 'p.mcp', '-print_certs', '-noout');
    expect(certificates).toContain('CN = Test Device Identity');
    expect(certificates).toContain('CN = Test Device CA');
    expect(certificates).toContain('CN = Test Profile Signer');
    const structure = openssl('asn1parse', '-inform', 'DER', '-in', 'p.mcp');
    expect(structure).toContain('pkcs7-signedData');
    expect(structure).toContain('messageDigest');
  });

  it('rejects a provkit file with a flipped content byte', async () => {
    const { bytes } = await requestSignedBy(pki.provisioning);
    const damaged = bytes.slice();
    const index = new TextDecoder('latin1').decode(damaged).indexOf('"hardwareId":"SN-77"');
    damaged[index + 17] = 0x38;
    const stderr = opensslFails('cms', '-verify', '-inform', 'DER', '-in', write('damaged.mcpr', damaged), '-binary', '-CAfile', rootPem, '-purpose', 'any', '-out', 'x.json');
    expect(stderr).toContain('content verify error');
  });
});

describe('openssl pkcs7 -print_certs on a TrustStore', () => {
  it('lists every anchor', () => {
    const file = write('system.mcts', writeTrustStore([pki.root.certificate, pki.deviceCa.certificate]));
    const output = openssl('pkcs7', '-inform', 'DER', '-in', file, '-print_certs', '-noout');
    expect(output.match(/^subject=/gm)).toHaveLength(2);
    expect(output).toContain('subject=O = provkit tests, CN = Test Root CA');
    expect(output).toContain('subject=O = provkit tests, CN = Test Device CA');
  });
});

describe('provkit verifier on openssl cms -sign output', () => {
  async function opensslSigned(algorithm: KeyAlgorithmName, extraArgs: string[] = []): Promise<{ bytes: Uint8Array; request: Awaited<ReturnType<typeof requestSignedBy>> }> {
    const signer = await issueTestIdentity({
      commonName: `OpenSSL signer ${algorithm}`,
      algorithm,
      issuer: pki.provisioningCa,
      extendedKeyUsage: [OID_KP_PROVISIONING_IDENTITY],
    });
    const request = await requestSignedBy(signer);
    write('manifest.json', encodeManifest(request.manifest));
    write('signer.pem', toPem('CERTIFICATE', signer.certificate.der));
    write('signer.key', toPem('PRIVATE KEY', await exportPkcs8(signer.privateKey)));
    write('chain.pem', toPem('CERTIFICATE', pki.provisioningCa.certificate.der));
    // -md sha384 for P-384 keeps the digest at the curve's strength, as provkit writes it.
    const digest = algorithm === 'ecdsa-p384' ? ['-md', 'sha384'] : [];
    openssl(
      'cms', '-sign', '-binary', '-nodetach', '-in', 'manifest.json', '-signer', 'signer.pem', '-inkey', 'signer.key',
      '-certfile', 'chain.pem', '-econtent_type', OID_CT_PROVISION_REQUEST, '-outform', 'DER', '-out', 'openssl.mcpr', ...digest, ...extraArgs,
    );
    return { bytes: new Uint8Array(readFileSync(path.join(work, 'openssl.mcpr'))), request };
  }

  it.each<KeyAlgorithmName>(['ecdsa-p256', 'ecdsa-p384', 'rsa-pkcs1-2048'])('accepts a request signed by OpenSSL with %s', async (algorithm) => {
    const { bytes, request } = await opensslSigned(algorithm, ['-nosmimecap']);
    const result = await verifyProvisionRequest(bytes, { anchors: pki.anchors, file: 'openssl.mcpr' });
    expect(result.failures).toEqual([]);
    expect(result.ok).toBe(true);
    expect((result.request as ProvisionRequest).manifest).toEqual(request.manifest);
  });

  it('accepts the smimeCapabilities attribute with a warning', async () => {
    const { bytes } = await opensslSigned('ecdsa-p256');
    const result = await verifyProvisionRequest(bytes, { anchors: pki.anchors, file: 'openssl.mcpr' });
    expect(result.ok).toBe(true);
    expect(result.warnings.some((warning) => warning.includes('1.2.840.113549.1.9.15'))).toBe(true);
  });

  it('rejects a SignedData without signed attributes', async () => {
    const { bytes } = await opensslSigned('ecdsa-p256', ['-noattr']);
    const result = await verifyProvisionRequest(bytes, { anchors: pki.anchors, file: 'openssl.mcpr' });
    expect(result.failures).toEqual([{ code: 'malformed', message: expect.stringContaining('openssl.mcpr: SignerInfo[0].signedAttrs') }]);
  });

  it('rejects streamed BER output as malformed', async () => {
    const { bytes } = await opensslSigned('ecdsa-p256', ['-stream']);
    const result = await verifyProvisionRequest(bytes, { anchors: pki.anchors, file: 'openssl.mcpr' });
    expect(result.failures).toEqual([{ code: 'malformed', message: expect.stringContaining('indefinite length') }]);
  });

  it('detects OpenSSL PEM output by type', async () => {
    await opensslSigned('ecdsa-p256', ['-nosmimecap']);
    openssl('cms', '-cmsout', '-inform', 'DER', '-in', 'openssl.mcpr', '-outform', 'PEM', '-out', 'openssl.pem');
    openssl('req', '-new', '-key', 'signer.key', '-subj', '/CN=detect', '-out', 'request.csr');
    expect(detectFileType(new Uint8Array(readFileSync(path.join(work, 'openssl.pem'))))).toBe('mcpr');
    expect(detectFileType(new Uint8Array(readFileSync(path.join(work, 'request.csr'))))).toBe('csr');
    expect(detectFileType(new Uint8Array(readFileSync(path.join(work, 'signer.pem'))))).toBe('certificate');
  });

  it('rejects a signer identified by subjectKeyIdentifier as unsupported', async () => {
    const { bytes } = await opensslSigned('ecdsa-p256', ['-keyid']);
    const result = await verifyProvisionRequest(bytes, { anchors: pki.anchors, file: 'openssl.mcpr' });
    expect(result.failures.map((failure) => failure.code)).toEqual(['unsupported']);
  });
});

describe('the OpenSSL commands of docs/formats.md', () => {
  // A firmware engineer runs the shell blocks of the specification as written, with its file
  // names, so each block must work on the files provkit writes.
  function shellBlocks(heading: string): string[] {
    const text = readFileSync(path.join(repoRoot, 'docs', 'formats.md'), 'utf8');
    const section = text.split(/^## /m).find((part) => part.startsWith(heading));
    if (section === undefined) throw new Error(`docs/formats.md has no section "## ${heading}"`);
    return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((match) => match[1]!);
  }

  it('run as written on provkit files', async () => {
    const ids = testIds();
    const definition = { ...ids, componentHandle: 'pump', keyRoles: [testKeyRole('tls-client')] };
    const request = await requestSignedBy(pki.provisioning);
    const mcp = await createCertifiedProfile({
      profile: definition,
      hardwareId: 'SN-77',
      requestId: ids.requestId,
      issued: [{ role: 'tls-client', certificate: pki.device.certificate }],
      issuedChain: [pki.deviceCa.certificate],
      signer: pki.profileSigner,
    });
    const dir = mkdtempSync(path.join(tmpdir(), 'provkit-doc-commands-'));
    try {
      writeFileSync(path.join(dir, 'system.mcts'), writeTrustStore(pki.anchors));
      writeFileSync(path.join(dir, 'request.mcpr'), request.bytes);
      writeFileSync(path.join(dir, 'proxied.mcpr'), await wrapProvisionRequest(request.bytes, pki.proxy));
      writeFileSync(path.join(dir, 'device.mcp'), mcp.bytes);
      writeFileSync(path.join(dir, 'one-cert.pem'), toPem('CERTIFICATE', pki.device.certificate.der));
      const outputs: string[] = [];
      for (const heading of ['TrustStore (.mcts)', 'Provision Request (.mcpr)', 'Certified Profile (.mcp)']) {
        const blocks = shellBlocks(heading);
        expect(blocks.length).toBeGreaterThan(0);
        for (const block of blocks) {
          const script = block.replaceAll(/\bopenssl /g, `${OPENSSL} `);
          outputs.push(execFileSync('bash', ['-e', '-u', '-o', 'pipefail', '-c', script], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }));
        }
      }
      const output = outputs.join('\n');
      expect(readFileSync(path.join(dir, 'inner.mcpr'))).toEqual(Buffer.from(request.bytes));
      expect(new Uint8Array(readFileSync(path.join(dir, 'manifest.json')))).toEqual(encodeManifest(mcp.manifest));
      expect(output).toContain(`${pki.device.certificate.fingerprint}  -`);
      expect(output).toContain('one-cert.pem: OK');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
