import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportPkcs8, exportSpki, generateKeyPair, type KeyAlgorithmName } from '../../src/crypto/algorithms.js';
import { toPem } from '../../src/formats/der.js';
import { publicKeyOfPkcs8, subjectPublicKeyBits, type IdentityKey } from '../../src/formats/identity.js';
import { exportPkcs12, importPkcs12 } from '../../src/formats/pkcs12.js';
import { ProvkitError, type ErrorCode } from '../../src/errors.js';
import { loadCryptoWasmFromFile } from '../../src/node/wasm-loader.js';

// OpenSSL's progress and status lines stay out of the test output.
const QUIET = { stdio: ['ignore', 'pipe', 'pipe'] as ('ignore' | 'pipe')[] };
const PASSPHRASE = 'pkcs12 test passphrase';
// Iterations for the tests that are not about the work factor, to keep them quick.
const QUICK = { iterations: 2048 };

let directory: string;
let passFile: string;

function file(name: string): string {
  return path.join(directory, name);
}

/** Runs openssl; callers pass the passphrase in a file or an environment variable, never on the command line. */
function openssl(args: string[], environment: Record<string, string> = {}): { status: number; stdout: string; stderr: string } {
  const result = spawnSync('openssl', args, { encoding: 'utf8', env: { ...process.env, ...environment } });
  return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

async function expectError(promise: Promise<unknown>, code: ErrorCode): Promise<ProvkitError> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(ProvkitError);
  expect((caught as ProvkitError).code).toBe(code);
  return caught as ProvkitError;
}

async function newKey(algorithm: KeyAlgorithmName): Promise<{ pkcs8: Uint8Array; spki: Uint8Array }> {
  const pair = await generateKeyPair(algorithm);
  return { pkcs8: await exportPkcs8(pair.privateKey), spki: await exportSpki(pair.publicKey) };
}

/** Issues a certificate for `pkcs8` with OpenSSL, signed by `issuer` or self-signed. */
function certificate(name: string, pkcs8: Uint8Array, issuer?: { name: string }): Uint8Array {
  writeFileSync(file(`${name}.key`), toPem('PRIVATE KEY', pkcs8), { mode: 0o600 });
  if (issuer === undefined) {
    execFileSync('openssl', ['req', '-new', '-x509', '-key', file(`${name}.key`), '-subj', `/CN=${name}`, '-days', '2', '-out', file(`${name}.pem`)], QUIET);
  } else {
    execFileSync('openssl', ['req', '-new', '-key', file(`${name}.key`), '-subj', `/CN=${name}`, '-out', file(`${name}.csr`)], QUIET);
    execFileSync('openssl', ['x509', '-req', '-in', file(`${name}.csr`), '-CA', file(`${issuer.name}.pem`), '-CAkey', file(`${issuer.name}.key`), '-days', '2', '-out', file(`${name}.pem`)], QUIET);
  }
  return new Uint8Array(execFileSync('openssl', ['x509', '-in', file(`${name}.pem`), '-outform', 'DER'], QUIET));
}

let keys: IdentityKey[];
let caCertificate: Uint8Array;

beforeAll(async () => {
  directory = mkdtempSync(path.join(tmpdir(), 'provkit-pkcs12-'));
  passFile = file('pass.txt');
  writeFileSync(passFile, `${PASSPHRASE}\n`, { mode: 0o600 });
  await loadCryptoWasmFromFile();

  const ca = await newKey('ecdsa-p384');
  caCertificate = certificate('ca', ca.pkcs8);
  const device = await newKey('ecdsa-p256');
  const signing = await newKey('ed25519');
  const legacy = await newKey('rsa-pkcs1-2048');
  keys = [
    { role: 'tls-client', algorithm: 'ecdsa-p256', pkcs8: device.pkcs8, certificate: certificate('device', device.pkcs8, { name: 'ca' }), chain: [caCertificate] },
    { role: 'signing', algorithm: 'ed25519', pkcs8: signing.pkcs8 },
    { role: 'legacy', algorithm: 'rsa-pkcs1-2048', pkcs8: legacy.pkcs8, certificate: certificate('legacy', legacy.pkcs8, { name: 'ca' }), chain: [caCertificate] },
  ];
});

afterAll(() => rmSync(directory, { recursive: true, force: true }));

describe('exportPkcs12', () => {
  it('opens in openssl pkcs12 -info with PBES2 and SHA-256 MAC', async () => {
    const pfx = await exportPkcs12({ keys }, PASSPHRASE);
    writeFileSync(file('export.p12'), pfx);
    const info = openssl(['pkcs12', '-info', '-noout', '-in', file('export.p12'), '-passin', `file:${passFile}`]);
    expect(info.status, info.stderr).toBe(0);
    expect(info.stderr).toContain('MAC: sha256, Iteration 600000');
    expect(info.stderr).toContain('Shrouded Keybag: PBES2, PBKDF2, AES-256-CBC, Iteration 600000, PRF hmacWithSHA256');
    expect(info.stderr.match(/Shrouded Keybag/g)).toHaveLength(3);
  });

  it('carries keys, friendly names and certificates that OpenSSL reads back', async () => {
    writeFileSync(file('quick.p12'), await exportPkcs12({ keys }, PASSPHRASE, QUICK));
    const dump = openssl(['pkcs12', '-in', file('quick.p12'), '-passin', 'env:PROVKIT_TEST_P12_PASS', '-nodes'], { PROVKIT_TEST_P12_PASS: PASSPHRASE });
    expect(dump.status, dump.stderr).toBe(0);
    for (const role of ['tls-client', 'signing', 'legacy']) expect(dump.stdout).toContain(`friendlyName: ${role}`);
    expect(dump.stdout.match(/-----BEGIN CERTIFICATE-----/g)).toHaveLength(3);

    // Each private key OpenSSL decrypted has the public key of the original.
    const pems = dump.stdout.match(/-----BEGIN PRIVATE KEY-----[\s\S]+?-----END PRIVATE KEY-----/g) ?? [];
    expect(pems).toHaveLength(3);
    for (const [index, pem] of pems.entries()) {
      writeFileSync(file(`out-${index}.pem`), pem, { mode: 0o600 });
      const spki = new Uint8Array(execFileSync('openssl', ['pkey', '-in', file(`out-${index}.pem`), '-pubout', '-outform', 'DER'], QUIET));
      const original = await publicKeyOfPkcs8(keys[index]!);
      expect(Buffer.from(subjectPublicKeyBits(spki, 'spki')).toString('hex')).toBe(Buffer.from(subjectPublicKeyBits(original, 'spki')).toString('hex'));
    }
  });

  it('rejects an empty passphrase and an identity without keys', async () => {
    await expectError(exportPkcs12({ keys }, ''), 'invalid-argument');
    await expectError(exportPkcs12({ keys: [] }, PASSPHRASE), 'invalid-argument');
  });
});

describe('importPkcs12', () => {
  it('round-trips an exported identity', async () => {
    const contents = await importPkcs12(await exportPkcs12({ keys }, PASSPHRASE, QUICK), PASSPHRASE);
    expect(contents.certificates).toEqual([caCertificate]);
    expect(contents.keys).toEqual(keys);
  });

  it('reads a file from openssl pkcs12 -export with OpenSSL 3 defaults', async () => {
    execFileSync('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', file('ossl.key')], QUIET);
    execFileSync('openssl', ['req', '-new', '-key', file('ossl.key'), '-subj', '/CN=ossl-device', '-out', file('ossl.csr')], QUIET);
    execFileSync('openssl', ['x509', '-req', '-in', file('ossl.csr'), '-CA', file('ca.pem'), '-CAkey', file('ca.key'), '-days', '2', '-out', file('ossl.pem')], QUIET);
    const exported = openssl(['pkcs12', '-export', '-inkey', file('ossl.key'), '-in', file('ossl.pem'), '-certfile', file('ca.pem'), '-name', 'device-identity', '-out', file('ossl.p12'), '-passout', `file:${passFile}`]);
    expect(exported.status, exported.stderr).toBe(0);

    const contents = await importPkcs12(new Uint8Array(readFileSync(file('ossl.p12'))), PASSPHRASE, { file: 'ossl.p12' });
    expect(contents.keys).toHaveLength(1);
    const [key] = contents.keys;
    expect(key!.role).toBe('device-identity');
    expect(key!.algorithm).toBe('ecdsa-p256');
    const certificateDer = new Uint8Array(execFileSync('openssl', ['x509', '-in', file('ossl.pem'), '-outform', 'DER'], QUIET));
    expect(key!.certificate).toEqual(certificateDer);
    expect(key!.chain).toEqual([caCertificate]);
    const spki = new Uint8Array(execFileSync('openssl', ['pkey', '-in', file('ossl.key'), '-pubout', '-outform', 'DER'], QUIET));
    expect(subjectPublicKeyBits(await publicKeyOfPkcs8(key!), 'spki')).toEqual(subjectPublicKeyBits(spki, 'spki'));
  });

  it('reads an OpenSSL RSA export without a name as role key-1', async () => {
    execFileSync('openssl', ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', file('rsa.key')], QUIET);
    execFileSync('openssl', ['req', '-new', '-x509', '-key', file('rsa.key'), '-subj', '/CN=rsa', '-days', '2', '-out', file('rsa.pem')], QUIET);
    expect(openssl(['pkcs12', '-export', '-inkey', file('rsa.key'), '-in', file('rsa.pem'), '-out', file('rsa.p12'), '-passout', `file:${passFile}`]).status).toBe(0);
    const contents = await importPkcs12(new Uint8Array(readFileSync(file('rsa.p12'))), PASSPHRASE);
    expect(contents.keys.map((key) => [key.role, key.algorithm])).toEqual([['key-1', 'rsa-pkcs1-2048']]);
    expect(contents.keys[0]!.certificate).toBeDefined();
  });

  it('wrong passphrase and a changed byte give decrypt-failed', async () => {
    const pfx = await exportPkcs12({ keys }, PASSPHRASE, QUICK);
    await expectError(importPkcs12(pfx, 'not the passphrase'), 'decrypt-failed');
    const tampered = pfx.slice();
    tampered[Math.floor(pfx.length / 2)]! ^= 0x01;
    await expectError(importPkcs12(tampered, PASSPHRASE), 'decrypt-failed');
  });

  it('rejects legacy 3DES encryption and a missing MAC with unsupported', async () => {
    const legacy = openssl(['pkcs12', '-export', '-inkey', file('ossl.key'), '-in', file('ossl.pem'), '-keypbe', 'PBE-SHA1-3DES', '-certpbe', 'PBE-SHA1-3DES', '-out', file('legacy.p12'), '-passout', `file:${passFile}`]);
    expect(legacy.status, legacy.stderr).toBe(0);
    await expectError(importPkcs12(new Uint8Array(readFileSync(file('legacy.p12'))), PASSPHRASE), 'unsupported');
    const noMac = openssl(['pkcs12', '-export', '-inkey', file('ossl.key'), '-in', file('ossl.pem'), '-nomac', '-out', file('nomac.p12'), '-passout', `file:${passFile}`]);
    expect(noMac.status, noMac.stderr).toBe(0);
    await expectError(importPkcs12(new Uint8Array(readFileSync(file('nomac.p12'))), PASSPHRASE), 'unsupported');
  });

  it('rejects truncated input as malformed', async () => {
    const pfx = await exportPkcs12({ keys }, PASSPHRASE, QUICK);
    await expectError(importPkcs12(pfx.subarray(0, pfx.length - 10), PASSPHRASE), 'malformed');
  });
});
