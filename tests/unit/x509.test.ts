import { describe, expect, it } from 'vitest';
import { KEY_ALGORITHMS, exportSpki, generateKeyPair, type KeyAlgorithmName } from '../../src/crypto/algorithms.js';
import { verifySignature } from '../../src/crypto/signature.js';
import { TAG, encodeOid, encodeTlv } from '../../src/crypto/tlv.js';
import { ProvkitError } from '../../src/errors.js';
import { createCertificationRequest } from '../../src/formats/csr.js';
import { toHex, toPem } from '../../src/formats/der.js';
import { decodeName, encodeName, formatName } from '../../src/formats/name.js';
import { EKU_OID, issueCertificate, parseCertificate, parseCertificates, randomSerialNumber, type Certificate } from '../../src/formats/x509.js';
import { readSingleTlv } from '../../src/crypto/tlv.js';

const YEAR = 365 * 86400 * 1000;
const now = new Date();

function codeOf(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    return error instanceof ProvkitError ? error.code : `non-provkit: ${String(error)}`;
  }
  return 'accepted';
}

/** Issues a self-signed root and a leaf signed by it with `algorithm`. */
async function rootAndLeaf(algorithm: KeyAlgorithmName): Promise<{ root: Certificate; leaf: Certificate; rootKeys: CryptoKeyPair }> {
  const rootKeys = await generateKeyPair(algorithm);
  const root = await issueCertificate({
    subject: [{ type: 'CN', value: 'Test Root' }, { type: 'O', value: 'provkit' }],
    subjectSpki: await exportSpki(rootKeys.publicKey),
    issuerKey: rootKeys.privateKey,
    issuerAlgorithm: algorithm,
    notBefore: new Date(now.getTime() - YEAR),
    notAfter: new Date(now.getTime() + YEAR),
    ca: { pathLength: 1 },
  });
  const leafKeys = await generateKeyPair('ecdsa-p256');
  const leaf = await issueCertificate({
    subject: [{ type: 'CN', value: 'device-1' }],
    subjectSpki: await exportSpki(leafKeys.publicKey),
    issuer: root,
    issuerKey: rootKeys.privateKey,
    issuerAlgorithm: algorithm,
    notBefore: new Date(now.getTime() - 1000),
    notAfter: new Date(now.getTime() + YEAR),
    keyUsage: ['digitalSignature'],
    extendedKeyUsage: [EKU_OID.clientAuth],
    subjectAltNames: [
      { type: 'dns', value: 'device-1.example' },
      { type: 'ip', value: '192.0.2.7' },
      { type: 'uri', value: 'urn:uuid:e24c7fb4-9ccf-456c-98ed-1c960f805c88' },
    ],
  });
  return { root, leaf, rootKeys };
}

describe('issueCertificate', () => {
  for (const algorithm of KEY_ALGORITHMS) {
    it(`issues a verifiable ${algorithm} chain`, async () => {
      const { root, leaf } = await rootAndLeaf(algorithm);
      expect(root.version).toBe(3);
      expect(root.selfIssued).toBe(true);
      expect(root.keyAlgorithm).toBe(algorithm);
      expect(root.basicConstraints).toEqual({ ca: true, pathLength: 1 });
      expect(root.keyUsage).toEqual(['keyCertSign', 'cRLSign']);
      expect(root.subjectKeyIdentifier).toHaveLength(20);
      expect(toHex(root.authorityKeyIdentifier!)).toBe(toHex(root.subjectKeyIdentifier!));

      expect(leaf.issuerName).toBe('O=provkit,CN=Test Root');
      expect(leaf.subjectName).toBe('CN=device-1');
      expect(toHex(leaf.authorityKeyIdentifier!)).toBe(toHex(root.subjectKeyIdentifier!));
      expect(leaf.basicConstraints).toBeUndefined();
      expect(leaf.keyUsage).toEqual(['digitalSignature']);
      expect(leaf.extendedKeyUsage).toEqual([EKU_OID.clientAuth]);
      expect(leaf.subjectAltNames).toEqual([
        { type: 'dns', value: 'device-1.example' },
        { type: 'ip', value: '192.0.2.7' },
        { type: 'uri', value: 'urn:uuid:e24c7fb4-9ccf-456c-98ed-1c960f805c88' },
      ]);
      expect(leaf.warnings).toEqual([]);
      expect(await verifySignature(root.spki, leaf.signatureAlgorithm, leaf.tbs, leaf.signatureValue)).toBe('valid');
      expect(await verifySignature(root.spki, root.signatureAlgorithm, root.tbs, root.signatureValue)).toBe('valid');
    });
  }

  it('writes 16-byte positive minimal serials', async () => {
    const { leaf } = await rootAndLeaf('ecdsa-p256');
    expect(leaf.serialNumber).toHaveLength(16);
    expect(leaf.serialNumber[0]).toBeGreaterThan(0);
    expect(leaf.serialNumber[0]).toBeLessThan(0x80);
    expect(leaf.serialHex).toBe(toHex(leaf.serialNumber));
    for (let i = 0; i < 200; i++) {
      const serial = randomSerialNumber();
      expect(serial).toHaveLength(16);
      expect(serial[0]).toBeGreaterThanOrEqual(1);
      expect(serial[0]).toBeLessThanOrEqual(0x7f);
    }
  });

  it('keeps the exact bytes and fingerprint', async () => {
    const { leaf } = await rootAndLeaf('ed25519');
    const again = parseCertificate(leaf.der, { file: 'leaf.der' });
    expect(again.fingerprint).toBe(toHex(new Uint8Array(await crypto.subtle.digest('SHA-256', new Uint8Array(leaf.der)))));
    expect(parseCertificates(new TextEncoder().encode(toPem('CERTIFICATE', leaf.der)), {})[0]!.fingerprint).toBe(again.fingerprint);
  });

  it('switches to GeneralizedTime in 2050', async () => {
    const keys = await generateKeyPair('ecdsa-p256');
    const certificate = await issueCertificate({
      subject: [{ type: 'CN', value: 'boundary' }],
      subjectSpki: await exportSpki(keys.publicKey),
      issuerKey: keys.privateKey,
      issuerAlgorithm: 'ecdsa-p256',
      notBefore: new Date('2049-12-31T23:59:59.999Z'),
      notAfter: new Date('2050-01-01T00:00:00Z'),
      ca: {},
    });
    const tbsHex = toHex(certificate.tbs);
    expect(tbsHex).toContain(`170d${toHex(new TextEncoder().encode('491231235959Z'))}`);
    expect(tbsHex).toContain(`180f${toHex(new TextEncoder().encode('20500101000000Z'))}`);
    expect(certificate.notBefore.toISOString()).toBe('2049-12-31T23:59:59.000Z');
    expect(certificate.notAfter.toISOString()).toBe('2050-01-01T00:00:00.000Z');
  });

  it('rejects inconsistent options', async () => {
    const keys = await generateKeyPair('ecdsa-p256');
    const spki = await exportSpki(keys.publicKey);
    const base = { subject: [{ type: 'CN', value: 'x' }], subjectSpki: spki, issuerKey: keys.privateKey, issuerAlgorithm: 'ecdsa-p256' as const };
    await expect(issueCertificate({ ...base, notBefore: now, notAfter: now })).rejects.toMatchObject({ code: 'invalid-argument' });
    await expect(issueCertificate({ ...base, notBefore: now, notAfter: new Date(now.getTime() + YEAR), keyUsage: ['keyCertSign'] })).rejects.toMatchObject({
      code: 'invalid-argument',
    });
    const leaf = await issueCertificate({ ...base, notBefore: now, notAfter: new Date(now.getTime() + YEAR) });
    await expect(issueCertificate({ ...base, issuer: leaf, notBefore: now, notAfter: new Date(now.getTime() + YEAR) })).rejects.toMatchObject({
      code: 'invalid-argument',
    });
    await expect(issueCertificate({ ...base, notBefore: now, notAfter: new Date(now.getTime() + YEAR), serialNumber: new Uint8Array([0x80]) })).rejects.toMatchObject({
      code: 'invalid-argument',
    });
  });
});

describe('names', () => {
  it('formats RFC 4514 strings with escaping', () => {
    const attributes = [
      { type: 'C', value: 'DE' },
      { type: 'O', value: 'ACME, Inc.' },
      { type: 'CN', value: ' lead+trail ' },
    ];
    const name = decodeName(readSingleTlv(encodeName(attributes)));
    expect(name.text).toBe('CN=\\ lead\\+trail\\ ,O=ACME\\, Inc.,C=DE');
    expect(formatName(name.attributes)).toBe(name.text);
    expect(name.attributes.map((attribute) => attribute.shortName)).toEqual(['C', 'O', 'CN']);
  });

  it('decodes multi-valued RDNs and unknown types', () => {
    const atv = (oid: string, value: string): Uint8Array => encodeTlv(TAG.SEQUENCE, encodeOid(oid), encodeTlv(0x0c, new TextEncoder().encode(value)));
    const der = encodeTlv(TAG.SEQUENCE, encodeTlv(TAG.SET, atv('2.5.4.3', 'a'), atv('2.5.4.11', 'b')), encodeTlv(TAG.SET, atv('1.2.3.4', 'c')));
    expect(decodeName(readSingleTlv(der)).text).toBe('1.2.3.4=c,CN=a+OU=b');
  });

  it('requires PrintableString characters for C and serialNumber', () => {
    expect(codeOf(() => encodeName([{ type: 'C', value: 'DEU' }]))).toBe('invalid-argument');
    expect(codeOf(() => encodeName([{ type: 'serialNumber', value: 'SN_1' }]))).toBe('invalid-argument');
    expect(codeOf(() => encodeName([{ type: 'nope', value: 'x' }]))).toBe('invalid-argument');
  });

  it('rejects PrintableString values outside the alphabet', () => {
    const der = encodeTlv(TAG.SEQUENCE, encodeTlv(TAG.SET, encodeTlv(TAG.SEQUENCE, encodeOid('2.5.4.3'), encodeTlv(0x13, new TextEncoder().encode('a&b')))));
    expect(codeOf(() => decodeName(readSingleTlv(der)))).toBe('malformed');
  });
});

describe('parseCertificate malformed input', () => {
  it('gives the documented code for each case', async () => {
    const { leaf, root } = await rootAndLeaf('ecdsa-p256');
    const der = leaf.der;
    const keys = await generateKeyPair('ecdsa-p256');
    const csr = await createCertificationRequest({ subject: [{ type: 'CN', value: 'x' }], privateKey: keys.privateKey, publicKey: keys.publicKey, algorithm: 'ecdsa-p256' });
    const contentInfo = encodeTlv(TAG.SEQUENCE, encodeOid('1.2.840.113549.1.7.2'), encodeTlv(0xa0, encodeTlv(TAG.SEQUENCE)));

    const replaceFirst = (bytes: Uint8Array, from: string, to: string, count = 1): Uint8Array => {
      let text = toHex(bytes);
      for (let i = 0; i < count; i++) {
        const index = text.indexOf(from);
        expect(index).toBeGreaterThanOrEqual(0);
        text = text.slice(0, index) + to + text.slice(index + from.length);
      }
      return new Uint8Array(Buffer.from(text, 'hex'));
    };
    const ecdsaWithSha256 = '06082a8648ce3d040302';
    const unknownAlgorithm = '06082a8648ce3d040309';
    const oversized = new Uint8Array(70 * 1024);
    oversized.set([0x30, 0x83, 0x01, 0x17, 0xfc]);

    const table: { name: string; input: Uint8Array; code: string }[] = [
      { name: 'truncated', input: der.slice(0, der.length - 10), code: 'malformed' },
      { name: 'trailing data', input: Uint8Array.from([...der, 0x00]), code: 'malformed' },
      { name: 'wrong type: a PKCS#10 request', input: csr.der, code: 'wrong-type' },
      { name: 'wrong type: a CMS ContentInfo', input: contentInfo, code: 'wrong-type' },
      { name: 'wrong type: an OCTET STRING', input: encodeTlv(TAG.OCTET_STRING, der), code: 'malformed' },
      { name: 'oversized', input: oversized, code: 'oversized' },
      { name: 'bad version (v4)', input: replaceFirst(der, 'a003020102', 'a003020103'), code: 'bad-version' },
      { name: 'explicit v1 version', input: replaceFirst(der, 'a003020102', 'a003020100'), code: 'malformed' },
      { name: 'wrong OID in one signatureAlgorithm only', input: replaceFirst(der, ecdsaWithSha256, unknownAlgorithm), code: 'malformed' },
      { name: 'empty input', input: new Uint8Array(0), code: 'malformed' },
    ];
    const observed = table.map(({ name, input }) => ({ name, code: codeOf(() => parseCertificate(input, { file: 'cert.der' })) }));
    expect(observed).toEqual(table.map(({ name, code }) => ({ name, code })));

    // A tampered signature and an unknown algorithm in both places still parse: the signature check decides.
    const tampered = der.slice();
    tampered[tampered.length - 3]! ^= 0x01;
    const tamperedCertificate = parseCertificate(tampered, { file: 'cert.der' });
    expect(await verifySignature(root.spki, tamperedCertificate.signatureAlgorithm, tamperedCertificate.tbs, tamperedCertificate.signatureValue)).toBe('invalid');
    const unknown = parseCertificate(replaceFirst(der, ecdsaWithSha256, unknownAlgorithm, 2), { file: 'cert.der' });
    expect(await verifySignature(root.spki, unknown.signatureAlgorithm, unknown.tbs, unknown.signatureValue)).toBe('unsupported');
  });

  it('names the file and field in messages', () => {
    try {
      parseCertificate(new Uint8Array([0x31, 0x00]), { file: 'root.pem' });
      expect.unreachable();
    } catch (error) {
      expect((error as ProvkitError).message).toBe('root.pem: Certificate: a Certificate must be a SEQUENCE');
      expect((error as ProvkitError).file).toBe('root.pem');
    }
  });
});

describe('parser robustness', () => {
  it('throws only ProvkitError for mutated certificates', async () => {
    const { leaf } = await rootAndLeaf('ecdsa-p256');
    for (let round = 0; round < 400; round++) {
      const mutated = leaf.der.slice();
      const position = Math.floor(Math.random() * mutated.length);
      mutated[position]! ^= 1 << (round % 8);
      try {
        parseCertificate(mutated, { file: 'fuzz.der' });
      } catch (error) {
        expect(error).toBeInstanceOf(ProvkitError);
      }
    }
  });
});
