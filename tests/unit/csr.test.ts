import { describe, expect, it } from 'vitest';
import { KEY_ALGORITHMS, generateKeyPair } from '../../src/crypto/algorithms.js';
import { TAG, encodeOid, encodeTlv } from '../../src/crypto/tlv.js';
import { ProvkitError } from '../../src/errors.js';
import { createCertificationRequest, parseCertificationRequest, parseCertificationRequests, verifyCertificationRequest } from '../../src/formats/csr.js';
import { toHex, toPem } from '../../src/formats/der.js';
import { EKU_OID, issueCertificate } from '../../src/formats/x509.js';
import { exportSpki } from '../../src/crypto/algorithms.js';
import { listCorpusFiles, readCorpusBytes } from '../helpers/corpus.js';

function codeOf(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    return error instanceof ProvkitError ? error.code : `non-provkit: ${String(error)}`;
  }
  return 'accepted';
}

describe('createCertificationRequest', () => {
  for (const algorithm of KEY_ALGORITHMS) {
    it(`creates a verifiable ${algorithm} request`, async () => {
      const keys = await generateKeyPair(algorithm);
      const csr = await createCertificationRequest({
        subject: [{ type: 'CN', value: 'device-7' }, { type: 'serialNumber', value: 'HW-0007' }],
        privateKey: keys.privateKey,
        publicKey: keys.publicKey,
        algorithm,
        subjectAltNames: [{ type: 'dns', value: 'device-7.example' }, { type: 'other', value: 'otherName:1.3.6.1.4.1.311.20.2.3;UTF8:dev@example' }],
        keyUsage: ['digitalSignature'],
        extendedKeyUsage: [EKU_OID.clientAuth],
      });
      expect(csr.keyAlgorithm).toBe(algorithm);
      expect(csr.subjectName).toBe('serialNumber=HW-0007,CN=device-7');
      expect(csr.subjectAltNames).toEqual([
        { type: 'dns', value: 'device-7.example' },
        { type: 'other', value: `otherName:1.3.6.1.4.1.311.20.2.3;#${toHex(encodeTlv(0x0c, new TextEncoder().encode('dev@example')))}` },
      ]);
      expect(csr.requestedExtensions.keyUsage).toEqual(['digitalSignature']);
      expect(csr.requestedExtensions.extendedKeyUsage).toEqual([EKU_OID.clientAuth]);
      expect(csr.attributeTypes).toEqual(['1.2.840.113549.1.9.14']);
      expect(await verifyCertificationRequest(csr)).toBe('valid');

      const tampered = parseCertificationRequest(Uint8Array.from(csr.der), { file: 'x.csr' });
      tampered.info[tampered.info.length - 1]! ^= 0x01;
      expect(await verifyCertificationRequest(tampered)).toBe('invalid');
    });
  }

  it('reads PEM with the NEW CERTIFICATE REQUEST label', async () => {
    const keys = await generateKeyPair('ed25519');
    const csr = await createCertificationRequest({ subject: [{ type: 'CN', value: 'pem' }], privateKey: keys.privateKey, publicKey: keys.publicKey, algorithm: 'ed25519' });
    const pem = toPem('NEW CERTIFICATE REQUEST', csr.der);
    expect(parseCertificationRequests(new TextEncoder().encode(pem), {})[0]!.subjectName).toBe('CN=pem');
  });
});

describe('pyca CSR vectors', () => {
  // pyca/cryptography x509/requests: parse outcome, then the signature outcome for parsed ones.
  const expected: Record<string, { parse: string; verify?: string; note: string }> = {
    'bad-version.pem': { parse: 'bad-version', note: 'version 1 is not the v1 (0) RFC 2986 defines' },
    'challenge-unstructured.pem': { parse: 'accepted', verify: 'valid', note: 'challengePassword and unstructuredName attributes' },
    'freeipa-bad-critical.pem': { parse: 'malformed', note: 'an extension encodes critical FALSE explicitly, which DER forbids' },
    'invalid_signature.pem': { parse: 'accepted', verify: 'unsupported', note: 'RSA-1024 key, below the 2048-bit minimum; OpenSSL reports a bad signature' },
    'long-form-attribute.pem': { parse: 'accepted', verify: 'invalid', note: 'challengePassword value is [APPLICATION 32]; the signature does not verify (OpenSSL agrees)' },
    'two_basic_constraints.pem': { parse: 'malformed', note: 'basicConstraints requested twice' },
    'unsupported_extension_critical.pem': { parse: 'accepted', verify: 'unsupported', note: 'critical extension 1.2.3.4 is listed; signed with SHA-1' },
    'zero-element-attribute.pem': { parse: 'malformed', note: 'extensionRequest with an empty SET of values' },
  };

  it('covers every file in the folder', () => {
    expect(listCorpusFiles('pyca-cryptography-vectors/x509/requests')).toEqual(Object.keys(expected).sort());
  });

  for (const [file, outcome] of Object.entries(expected)) {
    it(`${file}: ${outcome.note}`, async () => {
      const bytes = readCorpusBytes('pyca-cryptography-vectors', 'x509', 'requests', file);
      let parsed;
      const code = codeOf(() => {
        parsed = parseCertificationRequests(bytes, { file })[0];
      });
      expect(code).toBe(outcome.parse);
      if (outcome.verify !== undefined) expect(await verifyCertificationRequest(parsed!)).toBe(outcome.verify);
    });
  }

  it('lists unknown critical requested extensions', () => {
    const [csr] = parseCertificationRequests(readCorpusBytes('pyca-cryptography-vectors/x509/requests/unsupported_extension_critical.pem'), {});
    expect(csr!.requestedExtensions.unknownCriticalExtensions).toEqual(['1.2.3.4']);
  });

  it('never exposes the challengePassword value', () => {
    const [csr] = parseCertificationRequests(readCorpusBytes('pyca-cryptography-vectors/x509/requests/challenge-unstructured.pem'), {});
    expect(csr!.warnings).toEqual(['the request carries a challengePassword attribute, which provkit ignores']);
    expect(JSON.stringify(Object.keys(csr!))).not.toContain('password');
  });
});

describe('parseCertificationRequest malformed input', () => {
  it('gives the documented code for each case', async () => {
    const keys = await generateKeyPair('ecdsa-p256');
    const csr = await createCertificationRequest({ subject: [{ type: 'CN', value: 'x' }], privateKey: keys.privateKey, publicKey: keys.publicKey, algorithm: 'ecdsa-p256' });
    const der = csr.der;
    const certificate = await issueCertificate({
      subject: [{ type: 'CN', value: 'c' }],
      subjectSpki: await exportSpki(keys.publicKey),
      issuerKey: keys.privateKey,
      issuerAlgorithm: 'ecdsa-p256',
      notBefore: new Date(),
      notAfter: new Date(Date.now() + 86400_000),
    });
    const withVersion = (version: number): Uint8Array => {
      const copy = Uint8Array.from(der);
      // CertificationRequest(30 len) info(30 len) version(02 01 00): the version byte follows "020100".
      const index = toHex(copy).indexOf('020100') / 2;
      copy[index + 2] = version;
      return copy;
    };
    const oversized = new Uint8Array(70 * 1024);
    oversized.set([0x30, 0x83, 0x01, 0x17, 0xfc]);
    const unknownAlgorithm = Uint8Array.from(Buffer.from(toHex(der).replace('06082a8648ce3d040302', '06082a8648ce3d040309'), 'hex'));

    const table: { name: string; input: Uint8Array; code: string }[] = [
      { name: 'truncated', input: der.slice(0, der.length - 5), code: 'malformed' },
      { name: 'trailing data', input: Uint8Array.from([...der, 0x00, 0x00]), code: 'malformed' },
      { name: 'wrong type: a certificate', input: certificate.der, code: 'wrong-type' },
      { name: 'wrong type: a CMS ContentInfo', input: encodeTlv(TAG.SEQUENCE, encodeOid('1.2.840.113549.1.7.2'), encodeTlv(0xa0, encodeTlv(TAG.SEQUENCE))), code: 'wrong-type' },
      { name: 'oversized', input: oversized, code: 'oversized' },
      { name: 'bad version', input: withVersion(1), code: 'bad-version' },
      { name: 'wrong OID (unknown signature algorithm)', input: unknownAlgorithm, code: 'accepted' },
    ];
    const observed = table.map(({ name, input }) => ({ name, code: codeOf(() => parseCertificationRequest(input, { file: 'device.csr' })) }));
    expect(observed).toEqual(table.map(({ name, code }) => ({ name, code })));

    expect(await verifyCertificationRequest(parseCertificationRequest(unknownAlgorithm, {}))).toBe('unsupported');
    const tampered = Uint8Array.from(der);
    tampered[tampered.length - 2]! ^= 0x01;
    expect(await verifyCertificationRequest(parseCertificationRequest(tampered, {}))).toBe('invalid');
  });
});
