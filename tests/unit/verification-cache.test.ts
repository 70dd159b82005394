import { beforeAll, describe, expect, it } from 'vitest';
import { parseSignedData } from '../../src/formats/cms.js';
import { OID_KP_DEVICE_IDENTITY, OID_KP_PROVISIONING_IDENTITY } from '../../src/formats/oids.js';
import { PathValidationCache, SIGNATURE_CACHE_LIMIT, validatePath, type PathValidationOptions } from '../../src/formats/path.js';
import { createProvisionRequest } from '../../src/formats/request.js';
import { failureCodes } from '../../src/formats/verification.js';
import { VerificationCache, verifyProvisionRequest } from '../../src/formats/verify.js';
import type { Certificate } from '../../src/formats/x509.js';
import { createTestCsrs, createTestPki, issueTestIdentity, testIds, type TestPki } from '../helpers/pki.js';

// The caches that make batch verification fast (imported keys, parsed certificates, validated
// paths) must never let a file through that differs from a verified one, even by one byte.

const DAY_MS = 86_400_000;
let pki: TestPki;
let request: Uint8Array;

beforeAll(async () => {
  pki = await createTestPki();
  const { entries } = await createTestCsrs([
    { role: 'tls-client', algorithm: 'ecdsa-p256' },
    { role: 'signing', algorithm: 'ecdsa-p256' },
  ]);
  ({ bytes: request } = await createProvisionRequest({ ...testIds(), componentHandle: 'pump', hardwareId: 'SN-1', csrs: entries, signer: pki.provisioning }));
}, 60_000);

/** Returns a copy of `bytes` with the last byte of `part` (found inside `bytes`) changed. */
function flipLastByteOf(bytes: Uint8Array, part: Uint8Array): Uint8Array {
  const start = indexOf(bytes, part);
  expect(start).toBeGreaterThanOrEqual(0);
  const copy = bytes.slice();
  const last = start + part.length - 1;
  copy[last] = copy[last]! ^ 0x01;
  return copy;
}

function indexOf(haystack: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/** Returns a cache that has verified `request` twice, so the signer's key, certificates and path are all cached. */
async function warmCache(): Promise<VerificationCache> {
  const cache = new VerificationCache();
  for (let i = 0; i < 2; i++) {
    const result = await verifyProvisionRequest(request, { anchors: pki.anchors, cache });
    expect(result.failures).toEqual([]);
  }
  expect(cache.paths.stats.pathHits).toBeGreaterThan(0);
  return cache;
}

describe('batch verification caches', () => {
  it('reject a CMS signature one byte off', async () => {
    const cache = await warmCache();
    const signature = parseSignedData(request, {}).signers[0]!.signature;
    const tampered = flipLastByteOf(request, signature);

    const result = await verifyProvisionRequest(tampered, { anchors: pki.anchors, cache });

    expect(result.ok).toBe(false);
    expect(failureCodes(result)).toEqual(['signature-invalid']);
    expect(result.failures[0]!.message).toContain('SignerInfo[0].signature');
  });

  it('reject a signer certificate one byte off', async () => {
    const cache = await warmCache();
    // The last byte lies in the certificate's signatureValue, so the file still parses and the
    // signer key is unchanged: only the certificate's own signature no longer verifies.
    const tampered = flipLastByteOf(request, pki.provisioning.certificate.der);

    const result = await verifyProvisionRequest(tampered, { anchors: pki.anchors, cache });

    expect(result.ok).toBe(false);
    expect(failureCodes(result)).toEqual(['signature-invalid']);
    expect(result.failures[0]!.message).toContain('Test Provisioning Identity');
  });

  it('reject an intermediate certificate one byte off', async () => {
    const cache = await warmCache();
    const tampered = flipLastByteOf(request, pki.provisioningCa.certificate.der);

    const result = await verifyProvisionRequest(tampered, { anchors: pki.anchors, cache });

    expect(result.ok).toBe(false);
    expect(failureCodes(result)).toEqual(['signature-invalid']);
    expect(result.failures[0]!.message).toContain('Test Provisioning CA');
  });

  it('still accept the original after a tampered copy', async () => {
    const cache = await warmCache();
    await verifyProvisionRequest(flipLastByteOf(request, pki.provisioning.certificate.der), { anchors: pki.anchors, cache });

    const result = await verifyProvisionRequest(request, { anchors: pki.anchors, cache });

    expect(result.failures).toEqual([]);
  });
});

describe('PathValidationCache path results', () => {
  const options = (cache: PathValidationCache, extra: Partial<PathValidationOptions> = {}): PathValidationOptions => ({
    anchors: pki.anchors,
    intermediates: pki.provisioning.chain,
    time: new Date(),
    requiredExtendedKeyUsage: [OID_KP_PROVISIONING_IDENTITY],
    requireExtendedKeyUsagePresent: true,
    cache,
    ...extra,
  });

  it('reuses a result within the same validity position', async () => {
    const cache = new PathValidationCache();
    const first = await validatePath(pki.provisioning.certificate, options(cache));
    const second = await validatePath(pki.provisioning.certificate, options(cache, { time: new Date(Date.now() + DAY_MS) }));

    expect(first.ok).toBe(true);
    expect(second.ok).toBe(true);
    expect(cache.stats.pathValidations).toBe(1);
    expect(cache.stats.pathHits).toBe(1);
  });

  it('validates again after the leaf expires', async () => {
    const cache = new PathValidationCache();
    await validatePath(pki.provisioning.certificate, options(cache));
    const afterExpiry = new Date(pki.provisioning.certificate.notAfter.getTime() + 1000);

    const result = await validatePath(pki.provisioning.certificate, options(cache, { time: afterExpiry }));

    expect(failureCodes(result)).toContain('expired');
    expect(cache.stats.pathValidations).toBe(2);
  });

  it('validates again for another required usage', async () => {
    const cache = new PathValidationCache();
    await validatePath(pki.provisioning.certificate, options(cache));

    const result = await validatePath(pki.provisioning.certificate, options(cache, { requiredExtendedKeyUsage: [OID_KP_DEVICE_IDENTITY] }));

    expect(failureCodes(result)).toEqual(['wrong-usage']);
    expect(cache.stats.pathValidations).toBe(2);
  });

  it('gives each caller its own result arrays', async () => {
    const cache = new PathValidationCache();
    const first = await validatePath(pki.provisioning.certificate, options(cache));
    first.chain.length = 0;
    first.warnings.push('changed by the caller');

    const second = await validatePath(pki.provisioning.certificate, options(cache));

    expect(second.chain.map((certificate) => certificate.subjectName)).toEqual([
      pki.provisioning.certificate.subjectName,
      pki.provisioningCa.certificate.subjectName,
      pki.root.certificate.subjectName,
    ]);
    expect(second.warnings).not.toContain('changed by the caller');
  });
});

describe('PathValidationCache signature outcomes', () => {
  it('keeps at most SIGNATURE_CACHE_LIMIT outcomes', { timeout: 120_000 }, async () => {
    const cache = new PathValidationCache();
    const options: PathValidationOptions = { anchors: pki.anchors, intermediates: pki.provisioning.chain, time: new Date(), requiredExtendedKeyUsage: [OID_KP_PROVISIONING_IDENTITY], cache };
    expect((await validatePath(pki.provisioning.certificate, options)).ok).toBe(true);
    expect(cache.stats.signatureChecks).toBe(2);

    // 65 self-signed certificates give 65 * 65 issuer and subject pairs, more than the limit.
    // A pair verifies only when subject and issuer are the same certificate.
    const pool: Certificate[] = [];
    for (let i = 0; i < 65; i++) pool.push((await issueTestIdentity({ commonName: `Pool ${i}`, ca: {} })).certificate);
    const pairs = pool.flatMap((subject, i) => pool.map((issuer, j) => ({ subject, issuer, valid: i === j })));
    expect(pairs.length).toBeGreaterThan(SIGNATURE_CACHE_LIMIT);
    for (const [index, pair] of pairs.entries()) {
      expect(await cache.verifyIssuedBy(pair.subject, pair.issuer)).toBe(pair.valid ? 'valid' : 'invalid');
      // Using the first pair again after 200 others keeps it out of the oldest entries that are dropped.
      if (index === 200) expect(await cache.verifyIssuedBy(pairs[0]!.subject, pairs[0]!.issuer)).toBe('valid');
    }

    expect(cache.signatureCount).toBe(SIGNATURE_CACHE_LIMIT);
    expect(cache.stats.signatureChecks).toBe(2 + pairs.length);
    expect(cache.stats.signatureHits).toBe(1);

    expect(await cache.verifyIssuedBy(pairs[0]!.subject, pairs[0]!.issuer)).toBe('valid');
    expect(cache.stats.signatureHits).toBe(2);
    expect(await cache.verifyIssuedBy(pairs[1]!.subject, pairs[1]!.issuer)).toBe('invalid');
    expect(cache.stats.signatureChecks).toBe(3 + pairs.length);
    expect(cache.signatureCount).toBe(SIGNATURE_CACHE_LIMIT);

    // The chain's outcomes were dropped first; another usage is a new path validation, so the
    // two signatures are checked again and the path still verifies.
    const again = await validatePath(pki.provisioning.certificate, { ...options, requiredKeyUsage: ['digitalSignature'] });
    expect(again.ok).toBe(true);
    expect(cache.stats.signatureChecks).toBe(5 + pairs.length);
    const wrongUsage = await validatePath(pki.provisioning.certificate, { ...options, requiredExtendedKeyUsage: [OID_KP_DEVICE_IDENTITY] });
    expect(failureCodes(wrongUsage)).toEqual(['wrong-usage']);
  });
});
