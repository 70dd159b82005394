import { beforeAll, describe, expect, it } from 'vitest';
import { KEY_ALGORITHMS, type KeyAlgorithmName } from '../../src/crypto/algorithms.js';
import { verifySignature } from '../../src/crypto/signature.js';
import { TAG, readChildren, readSingleTlv } from '../../src/crypto/tlv.js';
import {
  CertificateCache,
  createCertsOnlySignedData,
  createSignedData,
  digestAlgorithmFor,
  parseSignedData,
  sortDerSetOf,
  verifySignedData,
} from '../../src/formats/cms.js';
import {
  OID_CT_PROVISION_REQUEST,
  OID_DATA,
  OID_KP_PROVISIONING_IDENTITY,
  OID_SHA256,
  OID_SHA384,
  OID_SHA512,
} from '../../src/formats/oids.js';
import { issueTestIdentity, type TestIdentity } from '../helpers/pki.js';

const content = new TextEncoder().encode('{"type":"example"}');
const location = { file: 'example.mcpr' };
let root: TestIdentity;
const signers = new Map<KeyAlgorithmName, TestIdentity>();

beforeAll(async () => {
  root = await issueTestIdentity({ commonName: 'CMS Root', ca: {} });
  for (const algorithm of KEY_ALGORITHMS) {
    signers.set(
      algorithm,
      await issueTestIdentity({ commonName: `CMS signer ${algorithm}`, algorithm, issuer: root, extendedKeyUsage: [OID_KP_PROVISIONING_IDENTITY] }),
    );
  }
}, 240_000);

async function signWith(algorithm: KeyAlgorithmName, extra: Partial<Parameters<typeof createSignedData>[0]> = {}): Promise<Uint8Array> {
  const signer = signers.get(algorithm)!;
  return createSignedData({
    contentType: OID_CT_PROVISION_REQUEST,
    content,
    signerCertificate: signer.certificate,
    signerKey: signer.privateKey,
    signerAlgorithm: algorithm,
    certificates: [],
    ...extra,
  });
}

describe('createSignedData', () => {
  it.each(KEY_ALGORITHMS.map((algorithm) => [algorithm]))('round trips with %s', async (algorithm) => {
    const der = await signWith(algorithm, { signingTime: new Date(Date.now() - 1000), certificates: [root.certificate] });
    const parsed = parseSignedData(der, location);
    expect(parsed.version).toBe(3);
    expect(parsed.contentType).toBe(OID_CT_PROVISION_REQUEST);
    expect(parsed.content).toEqual(content);
    expect(parsed.certificates).toHaveLength(2);
    expect(parsed.signers).toHaveLength(1);
    const signer = parsed.signers[0]!;
    expect(signer.version).toBe(1);
    expect(signer.digestAlgorithmOid).toBe(digestAlgorithmFor(algorithm));
    expect(signer.signerCertificate?.der).toEqual(signers.get(algorithm)!.certificate.der);
    expect(signer.algorithmProtection).toBeDefined();
    expect(signer.otherSignedAttributes).toEqual([]);

    const result = await verifySignedData(parsed, { anchors: [root.certificate], requiredExtendedKeyUsage: [OID_KP_PROVISIONING_IDENTITY] });
    expect(result.failures).toEqual([]);
    expect(result.ok).toBe(true);
    expect(result.chain.map((certificate) => certificate.subjectName)).toEqual([
      signers.get(algorithm)!.certificate.subjectName,
      root.certificate.subjectName,
    ]);
  });

  it('uses SHA-384 for P-384 and SHA-512 for Ed25519', () => {
    expect(digestAlgorithmFor('ecdsa-p256')).toBe(OID_SHA256);
    expect(digestAlgorithmFor('ecdsa-p384')).toBe(OID_SHA384);
    expect(digestAlgorithmFor('ed25519')).toBe(OID_SHA512);
    expect(digestAlgorithmFor('rsa-pss-3072')).toBe(OID_SHA256);
  });

  it('truncates signingTime to whole seconds', async () => {
    const parsed = parseSignedData(await signWith('ecdsa-p256', { signingTime: new Date('2026-12-04T20:00:00.750Z') }), location);
    expect(parsed.signingTime?.toISOString()).toBe('2026-12-04T20:00:00.000Z');
  });

  it('encodes signingTime as UTCTime through 2049 and GeneralizedTime from 2050', async () => {
    for (const [time, tag] of [
      ['2049-12-31T23:59:59Z', 0x17],
      ['2050-01-01T00:00:00Z', 0x18],
    ] as const) {
      const parsed = parseSignedData(await signWith('ecdsa-p256', { signingTime: new Date(time) }), location);
      expect(parsed.signingTime?.toISOString()).toBe(new Date(time).toISOString());
      const attributes = readChildren(readSingleTlv(parsed.signers[0]!.signedAttributes).value);
      const signingTime = attributes.map((attribute) => readChildren(attribute.value)).find((parts) => parts[0]!.value.at(-1) === 0x05)!;
      expect(readChildren(signingTime[1]!.value)[0]!.tag).toBe(tag);
    }
  });

  it('sorts signed attributes as a DER SET OF and signs the SET encoding', async () => {
    const parsed = parseSignedData(await signWith('ecdsa-p256'), location);
    const signer = parsed.signers[0]!;
    const attributes = readChildren(readSingleTlv(signer.signedAttributes).value).map((tlv) => tlv.element);
    expect(attributes).toHaveLength(4);
    expect(sortDerSetOf(attributes)).toEqual(attributes);
    const setEncoding = signer.signedAttributes.slice();
    setEncoding[0] = TAG.SET;
    const spki = signers.get('ecdsa-p256')!.certificate.spki;
    expect(await verifySignature(spki, signer.signatureAlgorithm, setEncoding, signer.signature)).toBe('valid');
    expect(await verifySignature(spki, signer.signatureAlgorithm, signer.signedAttributes, signer.signature)).toBe('invalid');
  });

  it('omits CMSAlgorithmProtection on request', async () => {
    const parsed = parseSignedData(await signWith('ecdsa-p256', { algorithmProtection: false }), location);
    expect(parsed.signers[0]!.algorithmProtection).toBeUndefined();
    expect((await verifySignedData(parsed, { anchors: [root.certificate] })).ok).toBe(true);
  });

  it('rejects a key that does not fit the certificate', async () => {
    await expect(signWith('ecdsa-p256', { signerAlgorithm: 'ecdsa-p384' })).rejects.toMatchObject({ code: 'invalid-argument' });
  });
});

describe('sortDerSetOf', () => {
  it('orders by octets with the shorter prefix first', () => {
    const sorted = sortDerSetOf([Uint8Array.of(0x31, 0x02), Uint8Array.of(0x30, 0x05), Uint8Array.of(0x31)]);
    expect(sorted.map((bytes) => Array.from(bytes))).toEqual([[0x30, 0x05], [0x31], [0x31, 0x02]]);
  });
});

describe('verifySignedData', () => {
  it('reports changed content as signature-invalid', async () => {
    const der = await signWith('ecdsa-p256');
    const index = indexOfBytes(der, content);
    der[index + 3]! ^= 0x01;
    const result = await verifySignedData(parseSignedData(der, location), { anchors: [root.certificate] });
    expect(result.ok).toBe(false);
    expect(result.failures.map((failure) => failure.code)).toEqual(['signature-invalid']);
    expect(result.failures[0]!.message).toContain('example.mcpr: SignerInfo[0].signedAttrs.messageDigest');
  });

  it('reports a changed signature as signature-invalid', async () => {
    const der = await signWith('ed25519');
    der[der.length - 5]! ^= 0x01;
    const result = await verifySignedData(parseSignedData(der, location), { anchors: [root.certificate] });
    expect(result.failures.map((failure) => failure.code)).toEqual(['signature-invalid']);
    expect(result.failures[0]!.message).toContain('SignerInfo[0].signature');
  });

  it('reports an unsupported digest algorithm as unsupported', async () => {
    const der = await signWith('ecdsa-p256');
    // SHA-256 (2.16.840.1.101.3.4.2.1) becomes SHA-224 (.4) everywhere it appears.
    const sha256 = Uint8Array.of(0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01);
    let index: number;
    while ((index = indexOfBytes(der, sha256)) >= 0) der[index + 10] = 0x04;
    const result = await verifySignedData(parseSignedData(der, location), { anchors: [root.certificate] });
    expect(result.failures.map((failure) => failure.code)).toContain('unsupported');
    expect(result.failures.map((failure) => failure.code)).not.toContain('malformed');
  });

  it('reports a missing signer certificate as malformed', async () => {
    const parsed = parseSignedData(await signWith('ecdsa-p256'), location);
    parsed.signers[0]!.signerCertificate = undefined;
    const result = await verifySignedData(parsed, { anchors: [root.certificate] });
    expect(result.failures.map((failure) => failure.code)).toEqual(['malformed']);
    expect(result.failures[0]!.message).toContain('SignerInfo[0].sid');
    expect(result.signer).toBeUndefined();
  });

  it('reports a changed CMSAlgorithmProtection as mismatch', async () => {
    const der = await signWith('ecdsa-p256');
    // [1] IMPLICIT { ecdsa-with-SHA256 } inside the attribute becomes ecdsa-with-SHA384.
    const protectedAlgorithm = Uint8Array.of(0xa1, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02);
    const index = indexOfBytes(der, protectedAlgorithm);
    expect(index).toBeGreaterThan(0);
    der[index + protectedAlgorithm.length - 1] = 0x03;
    const result = await verifySignedData(parseSignedData(der, location), { anchors: [root.certificate] });
    expect(result.failures.map((failure) => failure.code)).toEqual(['mismatch', 'signature-invalid']);
    expect(result.failures[0]!.message).toContain(`SignerInfo[0].signedAttrs.cmsAlgorithmProtection`);
  });

  it('warns about a signingTime in the future', async () => {
    const parsed = parseSignedData(await signWith('ecdsa-p256', { signingTime: new Date(Date.now() + 3_600_000) }), location);
    const result = await verifySignedData(parsed, { anchors: [root.certificate] });
    expect(result.warnings.some((warning) => warning.includes('after the verification time'))).toBe(true);
  });
});

describe('createCertsOnlySignedData', () => {
  it('writes a degenerate SignedData without signers', () => {
    const der = createCertsOnlySignedData([root.certificate, signers.get('ed25519')!.certificate, root.certificate]);
    const parsed = parseSignedData(der, location);
    expect(parsed.version).toBe(1);
    expect(parsed.contentType).toBe(OID_DATA);
    expect(parsed.content).toBeUndefined();
    expect(parsed.signers).toEqual([]);
    expect(parsed.digestAlgorithms).toEqual([]);
    expect(parsed.certificates).toHaveLength(2);
  });
});

describe('CertificateCache', () => {
  it('parses identical DER once', async () => {
    const cache = new CertificateCache();
    const first = parseSignedData(await signWith('ecdsa-p256'), location, { certificateCache: cache });
    const second = parseSignedData(await signWith('ecdsa-p256'), location, { certificateCache: cache });
    expect(second.certificates[0]).toBe(first.certificates[0]);
    expect(second.signers[0]!.signerCertificate).toBe(first.certificates[0]);
  });
});

function indexOfBytes(haystack: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}
