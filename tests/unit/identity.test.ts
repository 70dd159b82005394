import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportPkcs8, exportSpki, generateKeyPair, spkiFingerprint, type KeyAlgorithmName } from '../../src/crypto/algorithms.js';
import { argon2idKdf } from '../../src/crypto/wasm.js';
import { toPem } from '../../src/formats/der.js';
import {
  ARGON2ID_FLOOR,
  DEFAULT_ARGON2ID_PARAMETERS,
  decryptPrivateIdentity,
  encryptPrivateIdentity,
  readPrivateIdentityHeader,
  type Argon2idParameters,
  type KeyDerivation,
  type PrivateIdentity,
} from '../../src/formats/identity.js';
import { ProvkitError, type ErrorCode } from '../../src/errors.js';
import { loadCryptoWasmFromFile } from '../../src/node/wasm-loader.js';

const SYSTEM_ID = '3f2b8c1e-4d5a-4b6c-8d7e-9f0a1b2c3d4e';
// OpenSSL's progress and status lines stay out of the test output.
const QUIET = { stdio: ['ignore', 'pipe', 'pipe'] as ('ignore' | 'pipe')[] };
const PASSPHRASE = 'correct horse battery staple';
const DECRYPT_FAILED = 'could not decrypt the private identity: the passphrase is wrong, or the file is damaged or was modified';

/**
 * Stand-in for Argon2id in the tests that are about the container, not the KDF: HKDF-SHA-256
 * over passphrase and salt, so the key still depends on both. It counts its calls, so a test can
 * show that a check ran before any key derivation.
 */
function standInKdf(): KeyDerivation & { calls: number } {
  const kdf = (async (passphrase: Uint8Array, salt: Uint8Array, params: Argon2idParameters) => {
    kdf.calls++;
    const base = await crypto.subtle.importKey('raw', new Uint8Array(passphrase), 'HKDF', false, ['deriveBits']);
    const info = new TextEncoder().encode(`${params.memoryKiB}/${params.passes}/${params.lanes}`);
    return new Uint8Array(await crypto.subtle.deriveBits({ name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(salt), info }, base, 256));
  }) as KeyDerivation & { calls: number };
  kdf.calls = 0;
  return kdf;
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

interface TestKey {
  algorithm: KeyAlgorithmName;
  pkcs8: Uint8Array;
  spki: Uint8Array;
}

async function newKey(algorithm: KeyAlgorithmName): Promise<TestKey> {
  const pair = await generateKeyPair(algorithm);
  return { algorithm, pkcs8: await exportPkcs8(pair.privateKey), spki: await exportSpki(pair.publicKey) };
}

let workDirectory: string;

/** Issues a self-signed DER certificate for the key with OpenSSL, an independent implementation. */
function selfSignedCertificate(pkcs8: Uint8Array, commonName: string): Uint8Array {
  const keyFile = path.join(workDirectory, `${commonName}.key`);
  const certificateFile = path.join(workDirectory, `${commonName}.der`);
  writeFileSync(keyFile, toPem('PRIVATE KEY', pkcs8), { mode: 0o600 });
  execFileSync('openssl', ['req', '-new', '-x509', '-key', keyFile, '-subj', `/CN=${commonName}`, '-days', '2', '-outform', 'DER', '-out', certificateFile], QUIET);
  return new Uint8Array(readFileSync(certificateFile));
}

function sha256Hex(bytes: Uint8Array): Promise<string> {
  return crypto.subtle.digest('SHA-256', new Uint8Array(bytes)).then((digest) => Buffer.from(digest).toString('hex'));
}

let p256: TestKey;
let ed25519: TestKey;
let rsaPss: TestKey;

beforeAll(async () => {
  workDirectory = mkdtempSync(path.join(tmpdir(), 'provkit-identity-'));
  await loadCryptoWasmFromFile();
  [p256, ed25519, rsaPss] = await Promise.all([newKey('ecdsa-p256'), newKey('ed25519'), newKey('rsa-pss-2048')]);
});

afterAll(() => rmSync(workDirectory, { recursive: true, force: true }));

function identity(overrides: Partial<PrivateIdentity> = {}): PrivateIdentity {
  return {
    kind: 'mcpip',
    systemId: SYSTEM_ID,
    componentHandle: 'pump-controller',
    hardwareId: 'SN-000123',
    keys: [
      { role: 'tls-client', algorithm: p256.algorithm, pkcs8: p256.pkcs8 },
      { role: 'signing', algorithm: ed25519.algorithm, pkcs8: ed25519.pkcs8 },
    ],
    ...overrides,
  };
}

/** Rewrites the header JSON of a container, keeping the ciphertext, so header checks can be reached. */
function rewriteHeader(bytes: Uint8Array, edit: (header: Record<string, any>) => void): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = view.getUint32(8);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + length))) as Record<string, any>;
  edit(header);
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(12 + json.length + bytes.length - 12 - length);
  out.set(bytes.subarray(0, 8));
  new DataView(out.buffer).setUint32(8, json.length);
  out.set(json, 12);
  out.set(bytes.subarray(12 + length), 12 + json.length);
  return out;
}

describe('encryptPrivateIdentity and decryptPrivateIdentity', () => {
  it('round-trips P-256, Ed25519 and RSA-PSS keys', async () => {
    const kdf = standInKdf();
    const original = identity({ keys: [...identity().keys, { role: 'legacy', algorithm: rsaPss.algorithm, pkcs8: rsaPss.pkcs8 }] });
    const bytes = await encryptPrivateIdentity(original, PASSPHRASE, { kdf });
    const decrypted = await decryptPrivateIdentity(bytes, PASSPHRASE, { kdf, file: 'SN-000123.mcpip' });
    expect(decrypted).toEqual(original);
    expect(kdf.calls).toBe(2);
  });

  it('writes a header with fingerprints readable without the passphrase', async () => {
    const createdAt = new Date('2026-03-01T10:20:30Z');
    const bytes = await encryptPrivateIdentity(identity(), PASSPHRASE, { kdf: standInKdf(), createdAt });
    expect(Buffer.from(bytes.subarray(0, 8)).toString('latin1')).toBe('MCPIP\0\r\n');
    const header = readPrivateIdentityHeader(bytes, { file: 'x.mcpip' });
    expect(header.kind).toBe('mcpip');
    expect(header.version).toBe('1.0');
    expect(header.systemId).toBe(SYSTEM_ID);
    expect(header.componentHandle).toBe('pump-controller');
    expect(header.hardwareId).toBe('SN-000123');
    expect(header.createdAt.toISOString()).toBe('2026-03-01T10:20:30.000Z');
    expect(header.keys).toEqual([
      { role: 'tls-client', algorithm: 'ecdsa-p256', spkiSha256: await spkiFingerprint(p256.spki) },
      { role: 'signing', algorithm: 'ed25519', spkiSha256: await spkiFingerprint(ed25519.spki) },
    ]);
    expect(header.kdf).toMatchObject({ algorithm: 'argon2id', version: 19, memoryKiB: 65536, passes: 3, lanes: 1 });
    expect(header.kdf.salt).toHaveLength(16);
    expect(header.cipher.algorithm).toBe('aes-256-gcm');
    expect(header.cipher.nonce).toHaveLength(12);
  });

  it('round-trips with the real Argon2id at the default cost', async () => {
    const original = identity({ kind: 'mcpi' });
    const bytes = await encryptPrivateIdentity(original, PASSPHRASE, { kdf: argon2idKdf });
    expect(readPrivateIdentityHeader(bytes, {}).kdf).toMatchObject(DEFAULT_ARGON2ID_PARAMETERS);
    expect(await decryptPrivateIdentity(bytes, PASSPHRASE, { kdf: argon2idKdf })).toEqual(original);
    await expectError(decryptPrivateIdentity(bytes, `${PASSPHRASE}!`, { kdf: argon2idKdf }), 'decrypt-failed');
  });

  it('treats NFC and NFD spellings of a passphrase alike', async () => {
    const kdf = standInKdf();
    const bytes = await encryptPrivateIdentity(identity(), 'Gr\u00fc\u00dfe', { kdf });
    expect((await decryptPrivateIdentity(bytes, 'Gru\u0308\u00dfe', { kdf })).keys).toHaveLength(2);
  });

  it('round-trips certificates and chains in a final identity', async () => {
    const kdf = standInKdf();
    const certificate = selfSignedCertificate(p256.pkcs8, 'device');
    const caKey = await newKey('ecdsa-p384');
    const caCertificate = selfSignedCertificate(caKey.pkcs8, 'issuing-ca');
    const original = identity({
      kind: 'mcpi',
      keys: [{ role: 'tls-client', algorithm: 'ecdsa-p256', pkcs8: p256.pkcs8, certificate, chain: [caCertificate] }],
    });
    const bytes = await encryptPrivateIdentity(original, PASSPHRASE, { kdf });
    expect(readPrivateIdentityHeader(bytes, {}).keys[0]!.certificateSha256).toBe(await sha256Hex(certificate));
    expect(await decryptPrivateIdentity(bytes, PASSPHRASE, { kdf })).toEqual(original);
  });

  it('stores the issuer keys under their own magic', async () => {
    const kdf = standInKdf();
    const original = identity({ kind: 'issuer-keys', componentHandle: 'lab-issuer', hardwareId: undefined, keys: [{ role: 'root-ca', algorithm: 'ecdsa-p384', pkcs8: (await newKey('ecdsa-p384')).pkcs8 }] });
    delete original.hardwareId;
    const bytes = await encryptPrivateIdentity(original, PASSPHRASE, { kdf });
    expect(Buffer.from(bytes.subarray(0, 8)).toString('latin1')).toBe('MCIK\0\0\r\n');
    expect(await decryptPrivateIdentity(bytes, PASSPHRASE, { kdf })).toEqual(original);
  });
});

describe('decryptPrivateIdentity failures', () => {
  let bytes: Uint8Array;
  const kdf = standInKdf();

  beforeAll(async () => {
    bytes = await encryptPrivateIdentity(identity(), PASSPHRASE, { kdf });
  });

  it('wrong passphrase gives decrypt-failed with the uniform message', async () => {
    const error = await expectError(decryptPrivateIdentity(bytes, 'wrong passphrase', { kdf, file: 'a.mcpip' }), 'decrypt-failed');
    expect(error.message).toBe(`a.mcpip: ${DECRYPT_FAILED}`);
    expect(error.message).not.toContain('wrong passphrase');
  });

  it('any changed byte after the magic gives decrypt-failed', async () => {
    const headerEnd = 12 + new DataView(bytes.buffer, bytes.byteOffset).getUint32(8);
    const positions = [8, 11, 12, 20, 40, headerEnd - 2, headerEnd - 1, headerEnd, headerEnd + 10, bytes.length - 17, bytes.length - 1];
    for (const position of positions) {
      const tampered = bytes.slice();
      tampered[position]! ^= 0x01;
      const error = await expectError(decryptPrivateIdentity(tampered, PASSPHRASE, { kdf }), 'decrypt-failed');
      expect(error.message, `byte ${position}`).toBe(DECRYPT_FAILED);
    }
  });

  it('a header edit that stays valid JSON gives decrypt-failed', async () => {
    const edited = rewriteHeader(bytes, (header) => {
      header['hardwareId'] = 'SN-999999';
    });
    expect(readPrivateIdentityHeader(edited, {}).hardwareId).toBe('SN-999999');
    await expectError(decryptPrivateIdentity(edited, PASSPHRASE, { kdf }), 'decrypt-failed');
  });

  it('every truncation gives decrypt-failed', async () => {
    const headerEnd = 12 + new DataView(bytes.buffer, bytes.byteOffset).getUint32(8);
    for (const length of [8, 9, 12, 30, headerEnd - 1, headerEnd, headerEnd + 15, bytes.length - 16, bytes.length - 1]) {
      const error = await expectError(decryptPrivateIdentity(bytes.subarray(0, length), PASSPHRASE, { kdf }), 'decrypt-failed');
      expect(error.message, `length ${length}`).toBe(DECRYPT_FAILED);
    }
  });

  it('weak parameters in the header are rejected before key derivation', async () => {
    const before = kdf.calls;
    for (const edit of [{ memoryKiB: ARGON2ID_FLOOR.memoryKiB - 1 }, { passes: 1 }, { memoryKiB: 1024, passes: 1 }, { memoryKiB: 0 }, { passes: 0 }]) {
      const weak = rewriteHeader(bytes, (header) => Object.assign(header['kdf'], edit));
      const error = await expectError(decryptPrivateIdentity(weak, PASSPHRASE, { kdf, file: 'weak.mcpip' }), 'weak-parameters');
      expect(error.field).toBe('header.kdf');
    }
    expect(kdf.calls).toBe(before);
  });

  it('parameters above the ceiling are rejected before key derivation', async () => {
    const before = kdf.calls;
    for (const edit of [{ memoryKiB: 2 ** 21 }, { passes: 1000 }, { lanes: 64 }]) {
      const costly = rewriteHeader(bytes, (header) => Object.assign(header['kdf'], edit));
      await expectError(decryptPrivateIdentity(costly, PASSPHRASE, { kdf }), 'oversized');
    }
    expect(kdf.calls).toBe(before);
  });

  it('another kind of file gives wrong-type and an oversized one oversized', async () => {
    await expectError(decryptPrivateIdentity(new TextEncoder().encode('-----BEGIN CERTIFICATE-----'), PASSPHRASE, { kdf }), 'wrong-type');
    const huge = new Uint8Array(1_048_577);
    huge.set(bytes);
    await expectError(decryptPrivateIdentity(huge, PASSPHRASE, { kdf }), 'oversized');
  });

  it('an aborted signal gives cancelled', async () => {
    const controller = new AbortController();
    controller.abort();
    await expectError(decryptPrivateIdentity(bytes, PASSPHRASE, { kdf, signal: controller.signal }), 'cancelled');
    await expectError(encryptPrivateIdentity(identity(), PASSPHRASE, { kdf: argon2idKdf, signal: controller.signal }), 'cancelled');
  });
});

describe('encryptPrivateIdentity input checks', () => {
  const kdf = standInKdf();

  it('rejects parameters below the floor with weak-parameters', async () => {
    await expectError(encryptPrivateIdentity(identity(), PASSPHRASE, { kdf, parameters: { memoryKiB: 19455, passes: 2, lanes: 1 } }), 'weak-parameters');
    await expectError(encryptPrivateIdentity(identity(), PASSPHRASE, { kdf, parameters: { memoryKiB: 65536, passes: 1, lanes: 1 } }), 'weak-parameters');
    expect(kdf.calls).toBe(0);
  });

  it('rejects a key that is not of its stated algorithm with mismatch', async () => {
    const wrong = identity({ keys: [{ role: 'tls-client', algorithm: 'ecdsa-p384', pkcs8: p256.pkcs8 }] });
    await expectError(encryptPrivateIdentity(wrong, PASSPHRASE, { kdf }), 'mismatch');
  });

  it("rejects a certificate for another key with mismatch", async () => {
    const otherCertificate = selfSignedCertificate(ed25519.pkcs8, 'other');
    const wrong = identity({ keys: [{ role: 'tls-client', algorithm: 'ecdsa-p256', pkcs8: p256.pkcs8, certificate: otherCertificate }] });
    await expectError(encryptPrivateIdentity(wrong, PASSPHRASE, { kdf }), 'mismatch');
  });

  it('rejects fields outside the schema with invalid-argument', async () => {
    const cases: Partial<PrivateIdentity>[] = [
      { systemId: 'not-a-uuid' },
      { componentHandle: '' },
      { hardwareId: 'x'.repeat(37) },
      { keys: [] },
      { keys: [identity().keys[0]!, { ...identity().keys[1]!, role: 'tls-client' }] },
      { keys: [{ ...identity().keys[0]!, role: 'TLS' }] },
    ];
    for (const overrides of cases) {
      await expectError(encryptPrivateIdentity(identity(overrides), PASSPHRASE, { kdf }), 'invalid-argument');
    }
    await expectError(encryptPrivateIdentity(identity(), '', { kdf }), 'invalid-argument');
  });
});

describe('readPrivateIdentityHeader', () => {
  let bytes: Uint8Array;

  beforeAll(async () => {
    bytes = await encryptPrivateIdentity(identity(), PASSPHRASE, { kdf: standInKdf() });
  });

  it('names the field of a header outside the schema', () => {
    const cases: [(header: Record<string, any>) => void, ErrorCode, string][] = [
      [(header) => (header['extra'] = 1), 'malformed', 'header.extra'],
      [(header) => (header['systemId'] = 'ABC'), 'malformed', 'header.systemId'],
      [(header) => (header['keys'][0]['spkiSha256'] = 'zz'), 'malformed', 'header.keys[0].spkiSha256'],
      [(header) => (header['kdf']['salt'] = 'AAAA'), 'malformed', 'header.kdf.salt'],
      [(header) => (header['kdf']['lanes'] = 0), 'malformed', 'header.kdf.lanes'],
      [(header) => (header['cipher']['algorithm'] = 'aes-128-gcm'), 'unsupported', 'header.cipher.algorithm'],
      [(header) => (header['formatVersion'] = '2.0'), 'bad-version', 'header.formatVersion'],
      [(header) => (header['kind'] = 'mcpi'), 'malformed', 'header.kind'],
      [(header) => (header['createdAt'] = '2026-02-30T00:00:00Z'), 'malformed', 'header.createdAt'],
    ];
    for (const [edit, code, field] of cases) {
      let caught: unknown;
      try {
        readPrivateIdentityHeader(rewriteHeader(bytes, edit), { file: 'h.mcpip' });
      } catch (error) {
        caught = error;
      }
      expect(caught, field).toBeInstanceOf(ProvkitError);
      expect((caught as ProvkitError).code, field).toBe(code);
      expect((caught as ProvkitError).field, field).toBe(field);
    }
  });

  it('ignores unknown members of a newer minor version with a warning', () => {
    const newer = rewriteHeader(bytes, (header) => {
      header['formatVersion'] = '1.1';
      header['label'] = 'bench unit 7';
    });
    expect(readPrivateIdentityHeader(newer, {}).warnings).toEqual(['header.label is not known to this reader and was ignored']);
  });

  it('reports a truncated header as malformed', () => {
    expect(() => readPrivateIdentityHeader(bytes.subarray(0, 30), {})).toThrowError(expect.objectContaining({ code: 'malformed', field: 'header' }) as Error);
  });
});
