/**
 * OpenSSL 3 as the independent check: chains and requests provkit writes must pass
 * `openssl verify -x509_strict` and `openssl req -verify`, and chains and requests OpenSSL
 * writes must parse and validate in provkit.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { KEY_ALGORITHMS, exportSpki, generateKeyPair, type KeyAlgorithmName } from '../../src/crypto/algorithms.js';
import { ecdsaDerToP1363, ecdsaP1363ToDer, sign, signatureAlgorithmIdentifier, verifySignature } from '../../src/crypto/signature.js';
import { createCertificationRequest, parseCertificationRequests, verifyCertificationRequest } from '../../src/formats/csr.js';
import { toPem } from '../../src/formats/der.js';
import { validatePath } from '../../src/formats/path.js';
import { EKU_OID, issueCertificate, parseCertificates, type Certificate } from '../../src/formats/x509.js';
import { readCorpusBytes } from '../helpers/corpus.js';
import { runOpenssl, runOpensslOrThrow, withTempDir, writeFiles } from '../helpers/openssl.js';

const DAY = 86400_000;
const now = new Date();

async function provkitChain(algorithm: KeyAlgorithmName): Promise<{ root: Certificate; intermediate: Certificate; leaf: Certificate; leafKeys: CryptoKeyPair }> {
  const rootKeys = await generateKeyPair(algorithm);
  const root = await issueCertificate({
    subject: [{ type: 'C', value: 'DE' }, { type: 'O', value: 'provkit test' }, { type: 'CN', value: `Root ${algorithm}` }],
    subjectSpki: await exportSpki(rootKeys.publicKey),
    issuerKey: rootKeys.privateKey,
    issuerAlgorithm: algorithm,
    notBefore: new Date(now.getTime() - DAY),
    notAfter: new Date(now.getTime() + 3650 * DAY),
    ca: { pathLength: 1 },
  });
  const intermediateKeys = await generateKeyPair(algorithm);
  const intermediate = await issueCertificate({
    subject: [{ type: 'O', value: 'provkit test' }, { type: 'CN', value: `Issuing ${algorithm}` }],
    subjectSpki: await exportSpki(intermediateKeys.publicKey),
    issuer: root,
    issuerKey: rootKeys.privateKey,
    issuerAlgorithm: algorithm,
    notBefore: new Date(now.getTime() - DAY),
    notAfter: new Date(now.getTime() + 1825 * DAY),
    ca: { pathLength: 0 },
  });
  const leafKeys = await generateKeyPair(algorithm);
  const leaf = await issueCertificate({
    subject: [{ type: 'CN', value: 'device-0001' }, { type: 'serialNumber', value: 'HW0001' }],
    subjectSpki: await exportSpki(leafKeys.publicKey),
    issuer: intermediate,
    issuerKey: intermediateKeys.privateKey,
    issuerAlgorithm: algorithm,
    notBefore: new Date(now.getTime() - DAY),
    notAfter: new Date(now.getTime() + 365 * DAY),
    keyUsage: ['digitalSignature'],
    extendedKeyUsage: [EKU_OID.clientAuth],
    subjectAltNames: [{ type: 'dns', value: 'device-0001.example' }],
  });
  return { root, intermediate, leaf, leafKeys };
}

describe('provkit output checked by OpenSSL', () => {
  for (const algorithm of KEY_ALGORITHMS) {
    it(`${algorithm} chain passes openssl verify -x509_strict and the CSR passes req -verify`, async () => {
      const { root, intermediate, leaf, leafKeys } = await provkitChain(algorithm);
      expect((await validatePath(leaf, { anchors: [root], intermediates: [intermediate], time: now, requiredExtendedKeyUsage: [EKU_OID.clientAuth] })).failures).toEqual([]);
      const csr = await createCertificationRequest({
        subject: [{ type: 'CN', value: 'device-0001' }],
        privateKey: leafKeys.privateKey,
        publicKey: leafKeys.publicKey,
        algorithm,
        subjectAltNames: [{ type: 'dns', value: 'device-0001.example' }],
        keyUsage: ['digitalSignature'],
      });

      await withTempDir((dir) => {
        const files = writeFiles(dir, {
          'root.pem': toPem('CERTIFICATE', root.der),
          'intermediate.pem': toPem('CERTIFICATE', intermediate.der),
          'leaf.pem': toPem('CERTIFICATE', leaf.der),
          'leaf.csr': toPem('CERTIFICATE REQUEST', csr.der),
        });
        const verify = runOpenssl(['verify', '-x509_strict', '-purpose', 'sslclient', '-CAfile', files['root.pem']!, '-untrusted', files['intermediate.pem']!, files['leaf.pem']!]);
        expect({ status: verify.status, stdout: verify.stdout.trim(), stderr: verify.stderr }).toEqual({ status: 0, stdout: `${files['leaf.pem']}: OK`, stderr: '' });

        const request = runOpenssl(['req', '-verify', '-noout', '-in', files['leaf.csr']!]);
        expect({ status: request.status, output: `${request.stdout}${request.stderr}`.trim() }).toEqual({ status: 0, output: 'Certificate request self-signature verify OK' });

        // OpenSSL reads the serial, times and extensions as written.
        const text = runOpensslOrThrow(['x509', '-in', files['leaf.pem']!, '-noout', '-serial', '-ext', 'subjectAltName,keyUsage,extendedKeyUsage']).stdout;
        expect(text).toContain(`serial=${leaf.serialHex.toUpperCase()}`);
        expect(text).toContain('DNS:device-0001.example');
        expect(text).toContain('Digital Signature');
        expect(text).toContain('TLS Web Client Authentication');
      });
    });
  }

  it('time encoding at the 2049/2050 boundary reads back in OpenSSL', async () => {
    const keys = await generateKeyPair('ecdsa-p256');
    const certificate = await issueCertificate({
      subject: [{ type: 'CN', value: 'boundary' }],
      subjectSpki: await exportSpki(keys.publicKey),
      issuerKey: keys.privateKey,
      issuerAlgorithm: 'ecdsa-p256',
      notBefore: new Date('2049-12-31T23:59:59Z'),
      notAfter: new Date('2050-01-01T00:00:00Z'),
      ca: {},
    });
    const parsed = runOpensslOrThrow(['asn1parse', '-inform', 'DER'], { input: certificate.der }).stdout;
    expect(parsed).toMatch(/UTCTIME\s+:491231235959Z/);
    expect(parsed).toMatch(/GENERALIZEDTIME\s+:20500101000000Z/);
    const dates = runOpensslOrThrow(['x509', '-inform', 'DER', '-noout', '-dates'], { input: certificate.der }).stdout;
    expect(dates).toBe('notBefore=Dec 31 23:59:59 2049 GMT\nnotAfter=Jan  1 00:00:00 2050 GMT\n');
  });
});

interface OpensslAlgorithm {
  name: string;
  keygen: string[];
  sign: string[];
  expectedKey: KeyAlgorithmName;
}

// Keys and signing options for OpenSSL-made chains; RSA-PSS appears both with an RSA-PSS key
// (salt length set by OpenSSL's default, the maximum) and with an rsaEncryption key.
const OPENSSL_ALGORITHMS: OpensslAlgorithm[] = [
  { name: 'ECDSA P-256', keygen: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'], sign: ['-sha256'], expectedKey: 'ecdsa-p256' },
  { name: 'ECDSA P-384', keygen: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-384'], sign: ['-sha384'], expectedKey: 'ecdsa-p384' },
  { name: 'Ed25519', keygen: ['-algorithm', 'ED25519'], sign: [], expectedKey: 'ed25519' },
  { name: 'RSA-PSS key', keygen: ['-algorithm', 'RSA-PSS', '-pkeyopt', 'rsa_keygen_bits:2048'], sign: ['-sha256'], expectedKey: 'rsa-pss-2048' },
  {
    name: 'RSA key with PSS padding',
    keygen: ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'],
    sign: ['-sha256', '-sigopt', 'rsa_padding_mode:pss', '-sigopt', 'rsa_pss_saltlen:32'],
    expectedKey: 'rsa-pkcs1-2048',
  },
  { name: 'RSA PKCS#1 v1.5 3072', keygen: ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:3072'], sign: ['-sha256'], expectedKey: 'rsa-pkcs1-3072' },
];

const CA_EXTENSIONS = ['basicConstraints=critical,CA:TRUE', 'keyUsage=critical,keyCertSign,cRLSign', 'subjectKeyIdentifier=hash', 'authorityKeyIdentifier=keyid:always'];
const LEAF_EXTENSIONS = [
  'basicConstraints=critical,CA:FALSE',
  'keyUsage=critical,digitalSignature',
  'extendedKeyUsage=clientAuth',
  'subjectAltName=DNS:device.example',
  'subjectKeyIdentifier=hash',
  'authorityKeyIdentifier=keyid:always',
];

describe('OpenSSL output read by provkit', () => {
  for (const algorithm of OPENSSL_ALGORITHMS) {
    it(`${algorithm.name} chain and CSR validate`, async () => {
      await withTempDir(async (dir) => {
        const run = (args: string[]): void => {
          runOpensslOrThrow(args, { cwd: dir });
        };
        const extensionFile = (name: string, lines: string[]): string => writeFiles(dir, { [name]: `[ext]\n${lines.join('\n')}\n` })[name]!;
        run(['genpkey', ...algorithm.keygen, '-out', 'root.key']);
        run(['genpkey', ...algorithm.keygen, '-out', 'leaf.key']);
        const rootConfig = writeFiles(dir, { 'root.cnf': `[req]\ndistinguished_name=dn\n[dn]\n[ext]\n${CA_EXTENSIONS.join('\n')}\n` })['root.cnf']!;
        run(['req', '-new', '-x509', '-key', 'root.key', '-subj', '/O=OpenSSL test/CN=OpenSSL Root', '-days', '30', ...algorithm.sign, '-config', rootConfig, '-extensions', 'ext', '-out', 'root.pem']);
        run(['req', '-new', '-key', 'leaf.key', '-subj', '/CN=device.example', ...algorithm.sign, '-addext', 'subjectAltName=DNS:device.example', '-out', 'leaf.csr']);
        run(['x509', '-req', '-in', 'leaf.csr', '-CA', 'root.pem', '-CAkey', 'root.key', '-CAcreateserial', '-days', '10', ...algorithm.sign, '-extfile', extensionFile('leaf.cnf', LEAF_EXTENSIONS), '-extensions', 'ext', '-out', 'leaf.pem']);
        expect(runOpenssl(['verify', '-x509_strict', '-CAfile', 'root.pem', 'leaf.pem'], { cwd: dir }).status).toBe(0);

        const [root] = parseCertificates(readFileSync(path.join(dir, 'root.pem')), { file: 'root.pem' });
        const [leaf] = parseCertificates(readFileSync(path.join(dir, 'leaf.pem')), { file: 'leaf.pem' });
        expect(root!.keyAlgorithm).toBe(algorithm.expectedKey);
        expect(leaf!.keyAlgorithm).toBe(algorithm.expectedKey);
        expect(leaf!.warnings).toEqual([]);
        const result = await validatePath(leaf!, { anchors: [root!], intermediates: [], time: new Date(), requiredKeyUsage: ['digitalSignature'], requiredExtendedKeyUsage: [EKU_OID.clientAuth] });
        expect(result.failures).toEqual([]);

        const [csr] = parseCertificationRequests(readFileSync(path.join(dir, 'leaf.csr')), { file: 'leaf.csr' });
        expect(csr!.keyAlgorithm).toBe(algorithm.expectedKey);
        expect(csr!.subjectAltNames).toEqual([{ type: 'dns', value: 'device.example' }]);
        expect(await verifyCertificationRequest(csr!)).toBe('valid');
      });
    });
  }

  it('reads the negative-serial certificate with a warning', () => {
    const [certificate] = parseCertificates(readCorpusBytes('x509-limbo', 'assets', 'negative_serial.pem'), { file: 'negative_serial.pem' });
    expect(certificate!.warnings).toEqual(['the serial number is negative (RFC 5280 4.1.2.2 requires a positive integer)']);
    // OpenSSL prints the same value: serial=-04316693ED.
    const openssl = runOpensslOrThrow(['x509', '-noout', '-serial'], { input: readCorpusBytes('x509-limbo', 'assets', 'negative_serial.pem') }).stdout.trim();
    expect(openssl).toBe('serial=-04316693ED');
    expect(certificate!.serialHex).toBe('-04316693ed');
  });
});

describe('ECDSA encodings against OpenSSL', () => {
  it('verifies OpenSSL DER signatures and OpenSSL verifies provkit signatures', async () => {
    await withTempDir(async (dir) => {
      runOpensslOrThrow(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'key.pem'], { cwd: dir });
      runOpensslOrThrow(['pkey', '-in', 'key.pem', '-pubout', '-outform', 'DER', '-out', 'pub.der'], { cwd: dir });
      const spki = new Uint8Array(readFileSync(path.join(dir, 'pub.der')));
      const algorithm = signatureAlgorithmIdentifier('ecdsa-p256');
      const lengths = new Set<number>();
      for (let i = 0; i < 40; i++) {
        const message = new TextEncoder().encode(`message ${i}`);
        const signature = runOpensslOrThrow(['dgst', '-sha256', '-sign', 'key.pem'], { cwd: dir, input: message }).stdoutBytes;
        lengths.add(signature.length);
        expect(await verifySignature(spki, algorithm, message, signature)).toBe('valid');
        // A round trip through P1363 reproduces OpenSSL's minimal DER exactly.
        expect(Buffer.from(ecdsaP1363ToDer(ecdsaDerToP1363(signature, 32))).toString('hex')).toBe(Buffer.from(signature).toString('hex'));
      }
      // Over 40 signatures r and s with the high bit set (a 0x00 sign byte) occur almost surely.
      expect(Math.max(...lengths)).toBeGreaterThanOrEqual(71);

      const keys = await generateKeyPair('ecdsa-p256');
      writeFiles(dir, { 'provkit.pub': toPem('PUBLIC KEY', await exportSpki(keys.publicKey)) });
      for (let i = 0; i < 20; i++) {
        const message = new TextEncoder().encode(`provkit ${i}`);
        writeFiles(dir, { 'sig.der': await sign(keys.privateKey, 'ecdsa-p256', message) });
        const check = runOpenssl(['dgst', '-sha256', '-verify', 'provkit.pub', '-signature', 'sig.der'], { cwd: dir, input: message });
        expect(check.stdout.trim()).toBe('Verified OK');
      }
    });
  });
});
