import { beforeAll, describe, expect, it } from 'vitest';
import { exportSpki, generateKeyPair, type KeyAlgorithmName } from '../../src/crypto/algorithms.js';
import { TAG, encodeOid, encodeTlv } from '../../src/crypto/tlv.js';
import { PathValidationCache, validatePath, type PathValidationOptions } from '../../src/formats/path.js';
import { failureCodes } from '../../src/formats/verification.js';
import { EKU_OID, issueCertificate, type Certificate, type IssueCertificateOptions } from '../../src/formats/x509.js';

const DAY = 86400_000;
const now = new Date();
const PROVISIONING_EKU = '2.25.300802731784258787529098553703660543112.10.1';

interface Authority {
  certificate: Certificate;
  keys: CryptoKeyPair;
  algorithm: KeyAlgorithmName;
}

async function makeCa(name: string, issuer: Authority | undefined, extra: Partial<IssueCertificateOptions> = {}, algorithm: KeyAlgorithmName = 'ecdsa-p256'): Promise<Authority> {
  const keys = await generateKeyPair(algorithm);
  const certificate = await issueCertificate({
    subject: [{ type: 'CN', value: name }],
    subjectSpki: await exportSpki(keys.publicKey),
    ...(issuer === undefined ? {} : { issuer: issuer.certificate }),
    issuerKey: issuer?.keys.privateKey ?? keys.privateKey,
    issuerAlgorithm: issuer?.algorithm ?? algorithm,
    notBefore: new Date(now.getTime() - 10 * DAY),
    notAfter: new Date(now.getTime() + 3650 * DAY),
    ca: {},
    ...extra,
  });
  return { certificate, keys, algorithm };
}

async function makeLeaf(issuer: Authority, extra: Partial<IssueCertificateOptions> = {}): Promise<Certificate> {
  const keys = await generateKeyPair('ecdsa-p256');
  return issueCertificate({
    subject: [{ type: 'CN', value: 'device-42' }],
    subjectSpki: await exportSpki(keys.publicKey),
    issuer: issuer.certificate,
    issuerKey: issuer.keys.privateKey,
    issuerAlgorithm: issuer.algorithm,
    notBefore: new Date(now.getTime() - DAY),
    notAfter: new Date(now.getTime() + 365 * DAY),
    keyUsage: ['digitalSignature'],
    extendedKeyUsage: [PROVISIONING_EKU],
    ...extra,
  });
}

let root: Authority;
let intermediate: Authority;
let leaf: Certificate;

beforeAll(async () => {
  root = await makeCa('Root CA', undefined, {}, 'ecdsa-p384');
  intermediate = await makeCa('Issuing CA', root, { ca: { pathLength: 0 } });
  leaf = await makeLeaf(intermediate);
});

function options(extra: Partial<PathValidationOptions> = {}): PathValidationOptions {
  return { anchors: [root.certificate], intermediates: [intermediate.certificate], time: now, ...extra };
}

describe('validatePath', () => {
  it('accepts a valid chain and returns it leaf first', async () => {
    const result = await validatePath(leaf, options({ requiredKeyUsage: ['digitalSignature'], requiredExtendedKeyUsage: [PROVISIONING_EKU] }));
    expect(result.failures).toEqual([]);
    expect(result.ok).toBe(true);
    expect(result.chain.map((certificate) => certificate.subjectName)).toEqual(['CN=device-42', 'CN=Issuing CA', 'CN=Root CA']);
  });

  it('reports untrusted without the intermediate', async () => {
    const result = await validatePath(leaf, options({ intermediates: [] }));
    expect(failureCodes(result)).toEqual(['untrusted']);
    expect(result.chain).toEqual([]);
  });

  it('reports untrusted with another anchor', async () => {
    const other = await makeCa('Root CA', undefined);
    const result = await validatePath(leaf, options({ anchors: [other.certificate] }));
    expect(failureCodes(result)).toEqual(['untrusted']);
  });

  it('reports expired and not-yet-valid with the time', async () => {
    const late = await validatePath(leaf, options({ time: new Date(now.getTime() + 400 * DAY) }));
    expect(failureCodes(late)).toEqual(['expired']);
    expect(late.failures[0]!.certificate).toBe('CN=device-42');
    const early = await validatePath(leaf, options({ time: new Date(now.getTime() - 5 * DAY) }));
    expect(failureCodes(early)).toEqual(['not-yet-valid']);
  });

  it('lists every failed check, not only the first', async () => {
    const result = await validatePath(leaf, options({ time: new Date(now.getTime() + 400 * DAY), requiredExtendedKeyUsage: [EKU_OID.serverAuth] }));
    expect(failureCodes(result).sort()).toEqual(['expired', 'wrong-usage']);
  });

  it('checks the leaf key usage and extended key usage', async () => {
    expect(failureCodes(await validatePath(leaf, options({ requiredKeyUsage: ['keyEncipherment'] })))).toEqual(['wrong-usage']);
    expect(failureCodes(await validatePath(leaf, options({ requiredExtendedKeyUsage: [EKU_OID.codeSigning] })))).toEqual(['wrong-usage']);
    const noEku = await makeLeaf(intermediate, { extendedKeyUsage: [] });
    expect((await validatePath(noEku, options({ requiredExtendedKeyUsage: [PROVISIONING_EKU] }))).ok).toBe(true);
    expect(failureCodes(await validatePath(noEku, options({ requiredExtendedKeyUsage: [PROVISIONING_EKU], requireExtendedKeyUsagePresent: true })))).toEqual(['wrong-usage']);
    const anyEku = await makeLeaf(intermediate, { extendedKeyUsage: [EKU_OID.anyExtendedKeyUsage] });
    expect((await validatePath(anyEku, options({ requiredExtendedKeyUsage: [PROVISIONING_EKU] }))).ok).toBe(true);
  });

  it('rejects an issuer that is not a CA', async () => {
    const keys = await generateKeyPair('ecdsa-p256');
    const notCa = await issueCertificate({
      subject: [{ type: 'CN', value: 'Not a CA' }],
      subjectSpki: await exportSpki(keys.publicKey),
      issuer: intermediate.certificate,
      issuerKey: intermediate.keys.privateKey,
      issuerAlgorithm: intermediate.algorithm,
      notBefore: new Date(now.getTime() - DAY),
      notAfter: new Date(now.getTime() + 365 * DAY),
    });
    // issueCertificate refuses a non-CA issuer, so the issuer role is faked for signing only.
    const child = await makeLeaf({ certificate: { ...notCa, basicConstraints: { ca: true } }, keys, algorithm: 'ecdsa-p256' });
    const result = await validatePath(child, options({ intermediates: [intermediate.certificate, notCa] }));
    expect(failureCodes(result)).toEqual(['wrong-usage']);
    expect(result.failures[0]!.certificate).toBe('CN=Not a CA');
  });

  it('enforces pathLenConstraint and skips self-issued intermediates', async () => {
    const second = await makeCa('Sub CA', intermediate);
    const deep = await makeLeaf(second);
    const result = await validatePath(deep, options({ intermediates: [intermediate.certificate, second.certificate] }));
    expect(failureCodes(result)).toEqual(['wrong-usage']);
    expect(result.failures[0]!.message).toContain('pathLenConstraint');
  });

  it('enforces the anchor pathLenConstraint', async () => {
    const strictRoot = await makeCa('Strict Root', undefined, { ca: { pathLength: 0 } });
    const sub = await makeCa('Sub', strictRoot);
    const child = await makeLeaf(sub);
    expect(failureCodes(await validatePath(child, { anchors: [strictRoot.certificate], intermediates: [sub.certificate], time: now }))).toEqual(['wrong-usage']);
  });

  it('reports a bad signature on an intermediate', async () => {
    const tampered = { ...intermediate.certificate, signatureValue: intermediate.certificate.signatureValue.slice() };
    tampered.signatureValue[tampered.signatureValue.length - 1]! ^= 1;
    const result = await validatePath(leaf, options({ intermediates: [{ ...tampered, fingerprint: 'tampered' }] }));
    expect(failureCodes(result)).toEqual(['signature-invalid']);
    expect(result.failures[0]!.certificate).toBe('CN=Issuing CA');
  });

  it('reports unknown critical extensions', async () => {
    const extension = { oid: '1.3.6.1.4.1.99999.1', critical: true, value: encodeTlv(TAG.SEQUENCE) };
    const odd = await makeLeaf(intermediate, { extraExtensions: [extension] });
    const result = await validatePath(odd, options());
    expect(failureCodes(result)).toEqual(['unknown-critical-extension']);
    expect(result.failures[0]!.message).toContain('1.3.6.1.4.1.99999.1');
  });

  it('uses AKI and SKI to pick between CAs with the same name', async () => {
    const twin = await makeCa('Issuing CA', root, { ca: { pathLength: 0 } });
    const result = await validatePath(leaf, options({ intermediates: [twin.certificate, intermediate.certificate] }));
    expect(result.ok).toBe(true);
    expect(result.chain[1]!.fingerprint).toBe(intermediate.certificate.fingerprint);
  });

  it('backtracks past an expired intermediate', async () => {
    const keysSpki = await exportSpki(intermediate.keys.publicKey);
    const expired = await issueCertificate({
      subject: [{ type: 'CN', value: 'Issuing CA' }],
      subjectSpki: keysSpki,
      issuer: root.certificate,
      issuerKey: root.keys.privateKey,
      issuerAlgorithm: root.algorithm,
      notBefore: new Date(now.getTime() - 100 * DAY),
      notAfter: new Date(now.getTime() - 50 * DAY),
      ca: { pathLength: 0 },
    });
    const result = await validatePath(leaf, options({ intermediates: [expired, intermediate.certificate] }));
    expect(result.ok).toBe(true);
    const only = await validatePath(leaf, options({ intermediates: [expired] }));
    expect(failureCodes(only)).toEqual(['expired']);
  });

  it('terminates on a loop of cross-signed CAs', async () => {
    const a = await makeCa('Loop A', undefined);
    const b = await makeCa('Loop B', a);
    const aByB = await makeCa('Loop A', b);
    const child = await makeLeaf(b);
    const result = await validatePath(child, { anchors: [root.certificate], intermediates: [b.certificate, aByB.certificate, a.certificate], time: now });
    expect(failureCodes(result)).toEqual(['untrusted']);
  });

  it('enforces name constraints of a CA', async () => {
    // NameConstraints { permittedSubtrees [0] { GeneralSubtree { dNSName "example.com" } } }
    const value = encodeTlv(TAG.SEQUENCE, encodeTlv(0xa0, encodeTlv(TAG.SEQUENCE, encodeTlv(0x82, new TextEncoder().encode('example.com')))));
    const constrained = await makeCa('Constrained CA', root, { extraExtensions: [{ oid: '2.5.29.30', critical: true, value }] });
    const inside = await makeLeaf(constrained, { subjectAltNames: [{ type: 'dns', value: 'a.example.com' }] });
    const outside = await makeLeaf(constrained, { subjectAltNames: [{ type: 'dns', value: 'a.example.org' }] });
    const base = { anchors: [root.certificate], intermediates: [constrained.certificate], time: now };
    expect((await validatePath(inside, base)).ok).toBe(true);
    expect(failureCodes(await validatePath(outside, base))).toEqual(['name-not-permitted']);
  });

  it('accepts a leaf that is itself an anchor', async () => {
    const result = await validatePath(root.certificate, { anchors: [root.certificate], intermediates: [], time: now });
    expect(result.ok).toBe(true);
    expect(result.chain).toHaveLength(1);
  });

  it('honours maxIntermediates', async () => {
    expect(failureCodes(await validatePath(leaf, options({ maxIntermediates: 0 })))).toEqual(['untrusted']);
    expect((await validatePath(leaf, options({ maxIntermediates: 1 }))).ok).toBe(true);
  });

  it('flags RFC 5280 profile violations as malformed', async () => {
    // nameConstraints is reserved for CA certificates (RFC 5280 4.2.1.10).
    const value = encodeTlv(TAG.SEQUENCE, encodeTlv(0xa0, encodeTlv(TAG.SEQUENCE, encodeTlv(0x82, new TextEncoder().encode('example.com')))));
    const constrainedLeaf = await makeLeaf(intermediate, { extraExtensions: [{ oid: '2.5.29.30', critical: true, value }] });
    const result = await validatePath(constrainedLeaf, options());
    expect(failureCodes(result)).toEqual(['malformed']);
    expect(result.failures[0]!.message).toContain('not a CA certificate');
  });

  it('accepts non-critical certificatePolicies', async () => {
    const policies = encodeTlv(TAG.SEQUENCE, encodeTlv(TAG.SEQUENCE, encodeOid('2.5.29.32.0')));
    const withPolicies = await makeLeaf(intermediate, { extraExtensions: [{ oid: '2.5.29.32', critical: false, value: policies }] });
    expect((await validatePath(withPolicies, options())).ok).toBe(true);
  });
});

describe('PathValidationCache', () => {
  it('verifies each signature once per batch', async () => {
    const cache = new PathValidationCache();
    for (let i = 0; i < 5; i++) {
      const result = await validatePath(leaf, options({ cache }));
      expect(result.ok).toBe(true);
    }
    expect(cache.stats.signatureChecks).toBe(2);
    expect(cache.stats.signatureHits).toBe(8);
  });

  it('parses identical bytes once', () => {
    const cache = new PathValidationCache();
    const first = cache.parseCertificate(leaf.der, { file: 'a.mcpr' });
    const second = cache.parseCertificate(Uint8Array.from(leaf.der), { file: 'b.mcpr' });
    expect(second).toBe(first);
    expect(cache.stats).toMatchObject({ parses: 1, parseHits: 1 });
  });
});
