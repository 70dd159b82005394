import { beforeAll, describe, expect, it } from 'vitest';
import { toPem } from '../../src/formats/der.js';
import { detectFileType } from '../../src/formats/detect.js';
import { PRIVATE_IDENTITY_MAGIC } from '../../src/formats/identity.js';
import { OID_KP_PROVISIONING_IDENTITY } from '../../src/formats/oids.js';
import {
  checkRequestAgainstProfile,
  createCertifiedProfile,
  createProfileToProvision,
  expandSubjectTemplate,
  readCertifiedProfile,
  readProfileToProvision,
  type ProfileDefinition,
} from '../../src/formats/profile.js';
import { createProvisionRequest, readProvisionRequest, unwrapProvisionRequest, wrapProvisionRequest } from '../../src/formats/request.js';
import { readTrustStore, writeTrustStore } from '../../src/formats/truststore.js';
import {
  VerificationCache,
  verifyCertifiedProfile,
  verifyFile,
  verifyProfileToProvision,
  verifyProvisionRequest,
  verifyProvisionRequests,
} from '../../src/formats/verify.js';
import { PathValidationCache } from '../../src/formats/path.js';
import { issueCertificate } from '../../src/formats/x509.js';
import { createTestCsrs, createTestPki, issueTestIdentity, testIds, testKeyRole, type TestIdentity, type TestPki } from '../helpers/pki.js';

const DAY_MS = 86_400_000;
let pki: TestPki;
let ids: ReturnType<typeof testIds>;
let definition: ProfileDefinition;

beforeAll(async () => {
  pki = await createTestPki();
  ids = testIds();
  definition = {
    profileId: ids.profileId,
    systemId: ids.systemId,
    systemName: 'Infusion pumps',
    componentHandle: 'pump-controller',
    keyRoles: [testKeyRole('tls-client'), testKeyRole('signing', 'ed25519')],
  };
}, 60_000);

async function makeRequest(signer: TestIdentity = pki.provisioning, extra: Partial<Parameters<typeof createProvisionRequest>[0]> = {}) {
  const { entries, keys } = await createTestCsrs([
    { role: 'tls-client', algorithm: 'ecdsa-p256' },
    { role: 'signing', algorithm: 'ed25519' },
  ]);
  const { bytes, manifest } = await createProvisionRequest({
    requestId: ids.requestId,
    systemId: ids.systemId,
    componentHandle: 'pump-controller',
    hardwareId: 'SN-000123',
    profileId: ids.profileId,
    csrs: entries,
    signer,
    ...extra,
  });
  return { bytes, manifest, keys };
}

/** Issues the certificates a .mcp carries for a request, from the device CA. */
async function issueFor(request: ReturnType<typeof readProvisionRequest>) {
  return Promise.all(
    request.csrs.map(async (csr, i) => {
      const spec = definition.keyRoles.find((role) => role.role === request.manifest.csrs[i]!.role)!;
      const certificate = await issueCertificate({
        subject: expandSubjectTemplate(spec.subjectTemplate, {
          hardwareId: request.manifest.hardwareId,
          componentHandle: request.manifest.componentHandle,
          role: spec.role,
          systemId: request.manifest.systemId,
          requestId: request.manifest.requestId,
        }),
        subjectSpki: csr.spki,
        issuer: pki.deviceCa.certificate,
        issuerKey: pki.deviceCa.privateKey,
        issuerAlgorithm: pki.deviceCa.algorithm,
        notBefore: new Date(Date.now() - 60_000),
        notAfter: new Date(Date.now() + spec.validityDays * DAY_MS),
        keyUsage: spec.keyUsage,
        extendedKeyUsage: spec.extendedKeyUsage,
      });
      return { role: spec.role, certificate };
    }),
  );
}

describe('TrustStore', () => {
  it('round trips the anchors', () => {
    const bytes = writeTrustStore([pki.root.certificate, pki.deviceCa.certificate]);
    const store = readTrustStore(bytes, { file: 'system.mcts' });
    expect(store.certificates.map((certificate) => certificate.fingerprint).sort()).toEqual(
      [pki.root.certificate.fingerprint, pki.deviceCa.certificate.fingerprint].sort(),
    );
    expect(store.warnings).toEqual([]);
    expect(detectFileType(bytes)).toBe('mcts');
  });

  it('warns about an end-entity anchor', () => {
    const store = readTrustStore(writeTrustStore([pki.proxy.certificate]), { file: 'system.mcts' });
    expect(store.warnings).toHaveLength(1);
    expect(store.warnings[0]).toContain('not a CA certificate');
  });

  it('rejects an empty anchor list on write', () => {
    expect(() => writeTrustStore([])).toThrow(expect.objectContaining({ code: 'invalid-argument' }));
  });
});

describe('Provision Request', () => {
  it('round trips and verifies', async () => {
    const { bytes, manifest } = await makeRequest();
    const request = readProvisionRequest(bytes, { file: 'SN-000123.mcpr' });
    expect(request.manifest).toEqual(manifest);
    expect(request.csrs.map((csr) => csr.keyAlgorithm)).toEqual(['ecdsa-p256', 'ed25519']);
    expect(request.proxy).toBeUndefined();
    expect(detectFileType(bytes)).toBe('mcpr');

    const result = await verifyProvisionRequest(bytes, { anchors: pki.anchors, file: 'SN-000123.mcpr' });
    expect(result.failures).toEqual([]);
    expect(result.ok).toBe(true);
    expect(result.signer?.fingerprint).toBe(pki.provisioning.certificate.fingerprint);
    expect(result.chain.map((certificate) => certificate.fingerprint)).toEqual([
      pki.provisioning.certificate.fingerprint,
      pki.provisioningCa.certificate.fingerprint,
      pki.root.certificate.fingerprint,
    ]);
    expect(result.signingTime?.toISOString()).toBe(new Date(manifest.createdAt).toISOString());
  });

  it('round trips through a proxy', async () => {
    const { bytes, manifest } = await makeRequest();
    const proxied = await wrapProvisionRequest(bytes, pki.proxy);
    expect(detectFileType(proxied)).toBe('mcpr');
    expect(unwrapProvisionRequest(proxied).inner).toEqual(bytes);

    const request = readProvisionRequest(proxied, { file: 'proxied.mcpr' });
    expect(request.manifest).toEqual(manifest);
    expect(request.bytes).toEqual(bytes);
    expect(request.proxy).toBeDefined();

    const result = await verifyProvisionRequest(proxied, { anchors: pki.anchors, file: 'proxied.mcpr' });
    expect(result.failures).toEqual([]);
    expect(result.ok).toBe(true);
    expect(result.proxy?.ok).toBe(true);
    expect(result.proxy?.signer?.fingerprint).toBe(pki.proxy.certificate.fingerprint);
    expect(result.signer?.fingerprint).toBe(pki.provisioning.certificate.fingerprint);
  });

  it('refuses to wrap a proxied request', async () => {
    const proxied = await wrapProvisionRequest((await makeRequest()).bytes, pki.proxy);
    await expect(wrapProvisionRequest(proxied, pki.proxy)).rejects.toMatchObject({ code: 'invalid-argument' });
  });

  it('reports a proxy without the proxy usage as wrong-usage', async () => {
    const proxied = await wrapProvisionRequest((await makeRequest()).bytes, pki.profileSigner);
    const result = await verifyProvisionRequest(proxied, { anchors: pki.anchors, file: 'proxied.mcpr' });
    expect(result.ok).toBe(false);
    expect(result.proxy?.failures.map((failure) => failure.code)).toEqual(['wrong-usage']);
    expect(result.failures.map((failure) => failure.code)).toEqual(['wrong-usage']);
  });

  it('accepts a reprovisioning request signed by the device identity', async () => {
    const { bytes } = await makeRequest(pki.device, { purpose: 'reprovision' });
    const result = await verifyProvisionRequest(bytes, { anchors: pki.anchors });
    expect(result.failures).toEqual([]);
  });

  it('requires the device identity usage when reprovisioning', async () => {
    const { bytes } = await makeRequest(pki.provisioning, { purpose: 'reprovision' });
    const result = await verifyProvisionRequest(bytes, { anchors: pki.anchors });
    expect(result.failures.map((failure) => failure.code)).toEqual(['wrong-usage']);
  });

  it('reports a signer without the provisioning usage as wrong-usage', async () => {
    const { bytes } = await makeRequest(pki.profileSigner);
    const result = await verifyProvisionRequest(bytes, { anchors: pki.anchors, file: 'SN-000123.mcpr' });
    expect(result.ok).toBe(false);
    expect(result.failures.map((failure) => failure.code)).toEqual(['wrong-usage']);
    expect(result.failures[0]!.message).toContain('SN-000123.mcpr');
  });

  it('rejects anyExtendedKeyUsage in place of the provisioning usage', async () => {
    const signer = await issueTestIdentity({ commonName: 'Any usage', issuer: pki.provisioningCa, extendedKeyUsage: ['2.5.29.37.0'] });
    const { bytes } = await makeRequest(signer);
    const result = await verifyProvisionRequest(bytes, { anchors: pki.anchors });
    expect(result.failures.map((failure) => failure.code)).toEqual(['wrong-usage']);
    expect(result.failures[0]!.message).toContain('anyExtendedKeyUsage');
  });

  it('rejects a signer without extendedKeyUsage', async () => {
    const signer = await issueTestIdentity({ commonName: 'No usage', issuer: pki.provisioningCa });
    const { bytes } = await makeRequest(signer);
    const result = await verifyProvisionRequest(bytes, { anchors: pki.anchors });
    expect(result.failures.map((failure) => failure.code)).toEqual(['wrong-usage']);
  });

  it('rejects a signer whose keyUsage lacks digitalSignature', async () => {
    const signer = await issueTestIdentity({
      commonName: 'Non-repudiation only',
      issuer: pki.provisioningCa,
      keyUsage: ['nonRepudiation'],
      extendedKeyUsage: [OID_KP_PROVISIONING_IDENTITY],
    });
    const { bytes } = await makeRequest(signer);
    const result = await verifyProvisionRequest(bytes, { anchors: pki.anchors });
    expect(result.failures.map((failure) => failure.code)).toEqual(['wrong-usage']);
    expect(result.failures[0]!.message).toContain('digitalSignature');
  });

  it('reports an unknown root as untrusted', async () => {
    const otherRoot = await issueTestIdentity({ commonName: 'Other Root', ca: {} });
    const { bytes } = await makeRequest();
    const result = await verifyProvisionRequest(bytes, { anchors: [otherRoot.certificate] });
    expect(result.ok).toBe(false);
    expect(result.failures.map((failure) => failure.code)).toEqual(['untrusted']);
    expect(result.failures[0]!.message).toContain('at the signing time and at the validation time');
  });

  it('reports a signer that expired after signing as expired now', async () => {
    const signer = await issueTestIdentity({
      commonName: 'Expired provisioning identity',
      issuer: pki.provisioningCa,
      extendedKeyUsage: [OID_KP_PROVISIONING_IDENTITY],
      notBefore: new Date(Date.now() - 20 * 3_600_000),
      notAfter: new Date(Date.now() - 3_600_000),
    });
    // Signed ten hours ago, when the signer and its CAs (valid from one day ago) were valid.
    const { bytes } = await makeRequest(signer, { createdAt: new Date(Date.now() - 10 * 3_600_000) });
    const time = new Date(Math.floor(Date.now() / 1000) * 1000);
    const result = await verifyProvisionRequest(bytes, { anchors: pki.anchors, time });
    expect(result.failures.map((failure) => failure.code)).toEqual(['expired']);
    expect(result.failures[0]!.message).toMatch(new RegExp(`expired at \\S+ \\(at the validation time ${time.toISOString().replaceAll('.', '\\.')}\\)$`));
    expect(result.failures[0]!.message).not.toContain('now');
  });

  it('reports a signer signing before its validity as not-yet-valid', async () => {
    const signer = await issueTestIdentity({
      commonName: 'Future provisioning identity',
      issuer: pki.provisioningCa,
      extendedKeyUsage: [OID_KP_PROVISIONING_IDENTITY],
      notBefore: new Date(Date.now() + DAY_MS),
      notAfter: new Date(Date.now() + 10 * DAY_MS),
    });
    const { bytes } = await makeRequest(signer);
    const result = await verifyProvisionRequest(bytes, { anchors: pki.anchors });
    expect(result.failures.map((failure) => failure.code)).toEqual(['not-yet-valid']);
    expect(result.failures[0]!.message).toContain('at the signing time and at the validation time');
  });

  it('verifies a batch with a shared cache', async () => {
    const cache = new VerificationCache();
    const files = await Promise.all(Array.from({ length: 5 }, () => makeRequest()));
    const results = [];
    for (const file of files) results.push(await verifyProvisionRequest(file.bytes, { anchors: pki.anchors, cache }));
    expect(results.map((result) => result.ok)).toEqual([true, true, true, true, true]);
    expect(results[4]!.signer).toBe(results[0]!.signer);
    expect(cache.paths.stats.signatureHits).toBeGreaterThan(0);
  });

  it('verifies a batch with a bare PathValidationCache', async () => {
    const cache = new PathValidationCache();
    const files = await Promise.all(Array.from({ length: 3 }, () => makeRequest()));
    const results = await verifyProvisionRequests(
      files.map((file, i) => ({ bytes: file.bytes, file: `SN-${i}.mcpr` })),
      { anchors: pki.anchors, cache },
    );
    expect(results.map((result) => result.ok)).toEqual([true, true, true]);
    expect(results.map((result) => result.request?.manifest.requestId)).toEqual(files.map((file) => file.manifest.requestId));
    expect(cache.stats.signatureChecks).toBe(2);
    expect(cache.stats.signatureHits).toBeGreaterThan(0);
  });
});

describe('Certified Profile to be Provisioned', () => {
  it('reports a provisioning certificate without its chain as untrusted', async () => {
    const { bytes } = await createProfileToProvision({ profile: definition, provisioningCertificate: pki.provisioning.certificate, signer: pki.profileSigner });
    const result = await verifyProfileToProvision(bytes, { anchors: pki.anchors, file: 'pump.mcpp' });
    expect(result.failures.map((failure) => failure.code)).toEqual(['untrusted']);
    expect(result.failures[0]!.message).toContain('pump.mcpp: manifest.provisioningCertificateSha256');
  });

  it('round trips and verifies with the provisioning certificate', async () => {
    const { bytes, manifest } = await createProfileToProvision({
      profile: definition,
      provisioningCertificate: pki.provisioning.certificate,
      provisioningChain: pki.provisioning.chain,
      signer: pki.profileSigner,
    });
    expect(detectFileType(bytes)).toBe('mcpp');
    const profile = readProfileToProvision(bytes, { file: 'pump.mcpp' });
    expect(profile.manifest).toEqual(manifest);
    expect(profile.provisioningCertificate?.fingerprint).toBe(pki.provisioning.certificate.fingerprint);
    const result = await verifyProfileToProvision(bytes, { anchors: pki.anchors, file: 'pump.mcpp' });
    expect(result.failures).toEqual([]);
    expect(result.ok).toBe(true);
  });

  it('requires the profile signing usage', async () => {
    const { bytes } = await createProfileToProvision({ profile: definition, signer: pki.provisioning });
    const result = await verifyProfileToProvision(bytes, { anchors: pki.anchors });
    expect(result.failures.map((failure) => failure.code)).toEqual(['wrong-usage']);
  });

  it('checks a request against the profile', async () => {
    const { bytes } = await createProfileToProvision({ profile: definition, signer: pki.profileSigner });
    const profile = readProfileToProvision(bytes);
    const request = readProvisionRequest((await makeRequest()).bytes, { file: 'SN-000123.mcpr' });
    expect(checkRequestAgainstProfile(request, profile)).toEqual([]);
    const other = readProfileToProvision((await createProfileToProvision({ profile: { ...definition, profileId: testIds().profileId, keyRoles: [testKeyRole('tls-client')] }, signer: pki.profileSigner })).bytes);
    expect(checkRequestAgainstProfile(request, other).map((failure) => failure.message)).toEqual([
      expect.stringContaining('manifest.profileId'),
      expect.stringContaining('manifest.csrs[1].role'),
    ]);
  });
});

describe('Certified Profile', () => {
  it('round trips and verifies against its request', async () => {
    const request = readProvisionRequest((await makeRequest()).bytes);
    const issued = await issueFor(request);
    const { bytes, manifest } = await createCertifiedProfile({
      profile: definition,
      hardwareId: request.manifest.hardwareId,
      requestId: request.manifest.requestId,
      issued,
      issuedChain: [pki.deviceCa.certificate],
      signer: pki.profileSigner,
    });
    expect(detectFileType(bytes)).toBe('mcp');
    const profile = readCertifiedProfile(bytes, { file: 'SN-000123.mcp' });
    expect(profile.manifest).toEqual(manifest);
    expect(profile.issued.map((entry) => entry.certificate.fingerprint)).toEqual(issued.map((entry) => entry.certificate.fingerprint));

    const result = await verifyCertifiedProfile(bytes, { anchors: pki.anchors, request, file: 'SN-000123.mcp' });
    expect(result.failures).toEqual([]);
    expect(result.ok).toBe(true);
    const generic = await verifyFile(bytes, { anchors: pki.anchors });
    expect(generic.type).toBe('mcp');
    expect(generic.ok).toBe(true);
  });

  it('reports a profile answering another request as mismatch', async () => {
    const request = readProvisionRequest((await makeRequest()).bytes);
    const otherRequest = readProvisionRequest((await makeRequest()).bytes);
    const { bytes } = await createCertifiedProfile({
      profile: definition,
      hardwareId: request.manifest.hardwareId,
      requestId: request.manifest.requestId,
      issued: await issueFor(request),
      issuedChain: [pki.deviceCa.certificate],
      signer: pki.profileSigner,
    });
    const result = await verifyCertifiedProfile(bytes, { anchors: pki.anchors, request: otherRequest, file: 'SN-000123.mcp' });
    expect(result.ok).toBe(false);
    expect(result.failures.map((failure) => failure.code)).toEqual(['mismatch', 'mismatch']);
    expect(result.failures.map((failure) => failure.message)).toEqual([
      expect.stringContaining('manifest.certificates[0]'),
      expect.stringContaining('manifest.certificates[1]'),
    ]);
  });

  it('reports an issued certificate outside its role as mismatch', async () => {
    const request = readProvisionRequest((await makeRequest()).bytes);
    const issued = await issueFor(request);
    const wrongRole = definition.keyRoles.map((spec) => (spec.role === 'tls-client' ? { ...spec, extendedKeyUsage: ['1.3.6.1.5.5.7.3.1'] } : spec));
    const { bytes } = await createCertifiedProfile({
      profile: { ...definition, keyRoles: wrongRole },
      hardwareId: request.manifest.hardwareId,
      requestId: request.manifest.requestId,
      issued,
      issuedChain: [pki.deviceCa.certificate],
      signer: pki.profileSigner,
    });
    const result = await verifyCertifiedProfile(bytes, { anchors: pki.anchors });
    expect(result.failures.map((failure) => failure.code)).toContain('mismatch');
    expect(result.failures.map((failure) => failure.code)).toContain('wrong-usage');
  });
});

describe('detectFileType', () => {
  it('recognises certificates and CSRs in DER and PEM', async () => {
    const { entries } = await createTestCsrs([{ role: 'a', algorithm: 'ecdsa-p256' }]);
    expect(detectFileType(pki.root.certificate.der)).toBe('certificate');
    expect(detectFileType(new TextEncoder().encode(toPem('CERTIFICATE', pki.root.certificate.der)))).toBe('certificate');
    expect(detectFileType(entries[0]!.csr)).toBe('csr');
    expect(detectFileType(new TextEncoder().encode(toPem('CERTIFICATE REQUEST', entries[0]!.csr)))).toBe('csr');
    expect(detectFileType(new TextEncoder().encode(toPem('PKCS7', writeTrustStore([pki.root.certificate]))))).toBe('mcts');
  });

  it('returns unknown for other input', () => {
    expect(detectFileType(new Uint8Array())).toBe('unknown');
    expect(detectFileType(new TextEncoder().encode('{"type":"mcpr"}'))).toBe('unknown');
    expect(detectFileType(Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x00))).toBe('unknown');
  });

  it('recognises identity containers by their magic', () => {
    const container = (magic: Uint8Array): Uint8Array => {
      const bytes = new Uint8Array(64);
      bytes.set(magic);
      return bytes;
    };
    expect(detectFileType(container(PRIVATE_IDENTITY_MAGIC.mcpip), 'renamed.bin')).toBe('mcpip');
    expect(detectFileType(container(PRIVATE_IDENTITY_MAGIC.mcpi))).toBe('mcpi');
    expect(detectFileType(container(PRIVATE_IDENTITY_MAGIC['issuer-keys']))).toBe('unknown');
  });

  it('falls back to the extension for identity containers', () => {
    expect(detectFileType(new Uint8Array(8), 'device.MCPI')).toBe('mcpi');
    expect(detectFileType(new Uint8Array(8), 'device.mcpip')).toBe('mcpip');
  });
});
