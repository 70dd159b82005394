import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProvkitError } from '../../src/errors.js';
import { toPem } from '../../src/formats/der.js';
import { OID_KP_DEVICE_IDENTITY } from '../../src/formats/oids.js';
import { readCertifiedProfile } from '../../src/formats/profile.js';
import { readProvisionRequest } from '../../src/formats/request.js';
import { parseCertificate } from '../../src/formats/x509.js';
import { currentState } from '../../src/issuer/states.js';
import { OID_KP_CLIENT_AUTH, OID_KP_SERVER_AUTH } from '../../src/issuer/system.js';
import { generateProvisionRequest, initialiseDevice } from '../../src/provisioning/device.js';
import { createTestIssuer, createTestSystem, DEVICE_PASSPHRASE, LAB_PASSPHRASE, openssl, PACKAGE_PASSPHRASE, temporaryDirectory, TEST_KDF_PARAMETERS, testKdf, writePem } from './provisioning-fixtures.js';

async function deviceRequest(pkg: { trustStore: Uint8Array; profile: Uint8Array; identity: Uint8Array }, hardwareId: string, time?: Date) {
  const kdf = await testKdf();
  const device = await initialiseDevice(pkg, { kdf, passphrase: PACKAGE_PASSPHRASE, hardwareId, ...(time !== undefined ? { time } : {}) });
  return generateProvisionRequest(device, { kdf, kdfParameters: TEST_KDF_PARAMETERS, passphrase: DEVICE_PASSPHRASE, ...(time !== undefined ? { time } : {}) });
}

function codeOf(error: unknown): string {
  return error instanceof ProvkitError ? error.code : `not a ProvkitError: ${String(error)}`;
}

describe('LabIssuer automatic approval', () => {
  let setup: Awaited<ReturnType<typeof createTestIssuer>>;
  let system: Awaited<ReturnType<typeof createTestSystem>>;
  let temporary: Awaited<ReturnType<typeof temporaryDirectory>>;

  beforeAll(async () => {
    setup = await createTestIssuer();
    system = await createTestSystem(setup.issuer, { validityDays: 90 });
    temporary = await temporaryDirectory('provkit-issuer-');
  });
  afterAll(async () => temporary.cleanup());

  it('issues RFC 5280 certificates per role', async () => {
    const { issuer } = setup;
    const generated = await deviceRequest(system.packages.get('pump')!, 'SN-AUTO-1');
    const result = await issuer.submitRequest(generated.request, { ca: system.ca });
    expect(result.failures).toEqual([]);
    expect(result.ok).toBe(true);
    expect(result.state).toBe('provisioning');

    const profile = readCertifiedProfile(result.profile!, { file: 'SN-AUTO-1.mcp' });
    expect(profile.manifest.requestId).toBe(generated.requestId);
    expect(profile.manifest.hardwareId).toBe('SN-AUTO-1');
    expect(profile.issued.map((entry) => entry.role)).toEqual(['identity', 'tls']);
    const issuing = system.ca.issuingCa.certificate;
    const request = readProvisionRequest(generated.request, {});
    for (const [index, entry] of profile.issued.entries()) {
      const certificate = entry.certificate;
      expect(certificate.version).toBe(3);
      expect(certificate.serialNumber[0]! & 0x80).toBe(0);
      expect(certificate.serialNumber.length).toBeGreaterThanOrEqual(15);
      expect(certificate.serialNumber.length).toBeLessThanOrEqual(16);
      expect(certificate.issuerName).toBe(issuing.subjectName);
      expect(certificate.authorityKeyIdentifier).toEqual(issuing.subjectKeyIdentifier);
      expect(certificate.subjectKeyIdentifier).toBeDefined();
      expect(certificate.basicConstraints?.ca ?? false).toBe(false);
      expect(certificate.subjectAltNames).toEqual([{ type: 'uri', value: 'urn:provkit:hardware-id:SN-AUTO-1' }]);
      expect(certificate.subject.find((attribute) => attribute.shortName === 'CN')?.value).toBe('SN-AUTO-1');
      expect(certificate.subject.find((attribute) => attribute.shortName === 'serialNumber')?.value).toBe('SN-AUTO-1');
      expect(certificate.spki).toEqual(request.csrs[index]!.spki);
      expect(certificate.notAfter.getTime() - certificate.notBefore.getTime()).toBe(90 * 86_400_000);
    }
    expect(profile.issued[0]!.certificate.keyUsage).toEqual(['digitalSignature']);
    expect(profile.issued[0]!.certificate.extendedKeyUsage).toEqual([OID_KP_CLIENT_AUTH, OID_KP_DEVICE_IDENTITY]);
    expect(profile.issued[1]!.certificate.keyUsage).toEqual(['digitalSignature', 'keyAgreement']);
    expect(profile.issued[1]!.certificate.extendedKeyUsage).toEqual([OID_KP_SERVER_AUTH, OID_KP_CLIENT_AUTH]);

    const record = await issuer.getRequest(system.system.id, generated.requestId);
    expect(record.history.map((transition) => `${transition.state}/${transition.actor}`)).toEqual(['verifying/issuer', 'auto-approved/issuer', 'provisioning/issuer']);

    // OpenSSL as the independent check of every issued certificate and of the request.
    const directory = temporary.directory;
    await writePem(path.join(directory, 'anchors.pem'), [system.ca.root.certificate]);
    await writePem(path.join(directory, 'issuing.pem'), [issuing]);
    for (const entry of profile.issued) {
      const file = path.join(directory, `${entry.role}.pem`);
      await writePem(file, [entry.certificate]);
      const verified = await openssl(['verify', '-x509_strict', '-CAfile', 'anchors.pem', '-untrusted', 'issuing.pem', file], directory);
      expect(verified.stdout.trim()).toBe(`${file}: OK`);
    }
    await writeFile(path.join(directory, 'request.mcpr'), generated.request);
    const cms = await openssl(['cms', '-verify', '-inform', 'DER', '-in', 'request.mcpr', '-binary', '-CAfile', 'anchors.pem', '-purpose', 'any', '-out', 'manifest.json'], directory);
    expect(cms.stderr).toContain('Verification successful');
    for (const [index, csr] of request.csrs.entries()) {
      await writeFile(path.join(directory, `csr${index}.pem`), toPem('CERTIFICATE REQUEST', csr.der));
      const verified = await openssl(['req', '-in', `csr${index}.pem`, '-noout', '-verify'], directory);
      expect(`${verified.stdout}${verified.stderr}`).toMatch(/verify OK/i);
    }
    await writeFile(path.join(directory, 'profile.mcp'), result.profile!);
    const profileCms = await openssl(['cms', '-verify', '-inform', 'DER', '-in', 'profile.mcp', '-binary', '-CAfile', 'anchors.pem', '-purpose', 'any', '-out', 'profile.json'], directory);
    expect(profileCms.stderr).toContain('Verification successful');
  });

  it('keeps the state as auto-approved without a CA, then issues on request', async () => {
    const { issuer } = setup;
    const generated = await deviceRequest(system.packages.get('pump')!, 'SN-AUTO-2');
    const result = await issuer.submitRequest(generated.request);
    expect(result.state).toBe('auto-approved');
    expect(result.profile).toBeUndefined();
    const profile = await issuer.issueProfile(system.system.id, generated.requestId, { ca: system.ca, actor: 'alice' });
    // Asking again returns the same profile rather than issuing new certificates.
    expect(await issuer.issueProfile(system.system.id, generated.requestId, { ca: system.ca, actor: 'alice' })).toEqual(profile);
    const certificates = await setup.store.transaction((tx) => tx.listCertificates(system.system.id, generated.requestId));
    expect(certificates.map((certificate) => certificate.role)).toEqual(['identity', 'tls']);
    const record = await issuer.complete(system.system.id, generated.requestId, 'bob');
    expect(record.history.map((transition) => `${transition.state}/${transition.actor}`)).toEqual(['verifying/issuer', 'auto-approved/issuer', 'provisioning/alice', 'provisioned/bob']);
  });

  it('verifies a batch in input order', async () => {
    const files = [];
    for (const hardwareId of ['SN-V1', 'SN-V2']) files.push({ bytes: (await deviceRequest(system.packages.get('pump')!, hardwareId)).request, file: `${hardwareId}.mcpr` });
    files.splice(1, 0, { bytes: new Uint8Array([1, 2, 3]), file: 'garbage.mcpr' });
    const context = await setup.store.transaction(async (tx) => ({ system: (await tx.getSystem(system.system.id))!, packages: await tx.listPackages(system.system.id), certificates: await tx.listCertificates(system.system.id) }));
    const progress: number[] = [];
    const results = await setup.issuer.verifier.verifyBatch(files, context, new Date(), { concurrency: 2, onProgress: (done) => progress.push(done) });
    expect(results).toHaveLength(3);
    expect('error' in results[1]! ? results[1].error.code : 'verified').toBe('malformed');
    for (const index of [0, 2]) {
      const result = results[index]!;
      expect('error' in result).toBe(false);
      if (!('error' in result)) {
        expect(result.failures).toEqual([]);
        expect(result.request.manifest.hardwareId).toBe(index === 0 ? 'SN-V1' : 'SN-V2');
      }
    }
    expect(progress.sort()).toEqual([1, 2, 3]);
  });

  it('rejects a wrong lab passphrase with decrypt-failed', async () => {
    await expect(setup.issuer.unlock(system.system.id, 'not the lab passphrase')).rejects.toMatchObject({ code: 'decrypt-failed' });
  });

  it('submits a batch with progress and stops on abort', async () => {
    const requests = [];
    for (const hardwareId of ['SN-B1', 'SN-B2', 'SN-B3']) {
      requests.push({ bytes: (await deviceRequest(system.packages.get('pump')!, hardwareId)).request, file: `${hardwareId}.mcpr` });
    }
    const progress: string[] = [];
    const results = await setup.issuer.submitBatch(requests, { onProgress: (done, total) => progress.push(`${done}/${total}`) });
    expect(results.map((result) => result.state)).toEqual(['auto-approved', 'auto-approved', 'auto-approved']);
    expect(progress).toEqual(['1/3', '2/3', '3/3']);
    const controller = new AbortController();
    controller.abort();
    await expect(setup.issuer.submitBatch(requests, { signal: controller.signal })).rejects.toMatchObject({ code: 'cancelled' });
  });
});

describe('LabIssuer manual approval', () => {
  it('follows needs-approval, approved, provisioning, provisioned', async () => {
    const { issuer } = await createTestIssuer();
    const { system, ca, packages } = await createTestSystem(issuer, { approvalMode: 'manual' });
    const generated = await deviceRequest(packages.get('pump')!, 'SN-MAN-1');
    const result = await issuer.submitRequest(generated.request, { ca, actor: 'alice' });
    expect(result.state).toBe('needs-approval');
    expect(result.profile).toBeUndefined();
    await expect(issuer.issueProfile(system.id, generated.requestId, { ca, actor: 'alice' })).rejects.toMatchObject({ code: 'invalid-state' });
    await expect(issuer.complete(system.id, generated.requestId, 'alice')).rejects.toMatchObject({ code: 'invalid-state' });

    await issuer.approve(system.id, generated.requestId, 'alice');
    await expect(issuer.approve(system.id, generated.requestId, 'alice')).rejects.toMatchObject({ code: 'invalid-state' });
    await issuer.issueProfile(system.id, generated.requestId, { ca, actor: 'alice' });
    const record = await issuer.complete(system.id, generated.requestId, 'bob');
    expect(record.history.map((transition) => transition.state)).toEqual(['verifying', 'needs-approval', 'approved', 'provisioning', 'provisioned']);
    expect(record.history.map((transition) => transition.actor)).toEqual(['issuer', 'alice', 'alice', 'alice', 'bob']);

    const report = await issuer.report(system.id);
    expect(report.rows).toHaveLength(1);
    expect(report.rows[0]!.state).toBe('provisioned');
    expect(Object.keys(report.rows[0]!.transitions)).toEqual(['verifying', 'needs-approval', 'approved', 'provisioning', 'provisioned']);
    expect(report.rows[0]!.certificates.map((certificate) => certificate.role)).toEqual(['identity', 'tls']);
  });

  it('records a rejection with its reason and refuses later approval', async () => {
    const { issuer } = await createTestIssuer();
    const { system, ca, packages } = await createTestSystem(issuer, { approvalMode: 'manual' });
    const generated = await deviceRequest(packages.get('pump')!, 'SN-REJ-1');
    await issuer.submitRequest(generated.request, { ca });
    const record = await issuer.reject(system.id, generated.requestId, 'carol', 'device not on the shipping list');
    expect(currentState(record.history)).toBe('rejected');
    expect(record.history.at(-1)).toMatchObject({ state: 'rejected', actor: 'carol', reason: 'device not on the shipping list' });
    await expect(issuer.approve(system.id, generated.requestId, 'carol')).rejects.toMatchObject({ code: 'invalid-state' });
    await expect(issuer.issueProfile(system.id, generated.requestId, { ca, actor: 'carol' })).rejects.toMatchObject({ code: 'invalid-state' });
    await expect(issuer.reject(system.id, generated.requestId, 'carol', '')).rejects.toMatchObject({ code: 'invalid-state' });
    const report = await issuer.report(system.id);
    expect(report.rows[0]).toMatchObject({ hardwareId: 'SN-REJ-1', state: 'rejected', rejectionReason: 'device not on the shipping list', certificates: [] });
  });
});

describe('LabIssuer systems', () => {
  it('validates the system spec', async () => {
    const { issuer } = await createTestIssuer();
    const attempts = [
      issuer.createSystem({ name: '', components: [{ handle: 'pump' }] }, LAB_PASSPHRASE),
      issuer.createSystem({ name: 'x', components: [] }, LAB_PASSPHRASE),
      issuer.createSystem({ name: 'x', components: [{ handle: 'pump' }, { handle: 'pump' }] }, LAB_PASSPHRASE),
      issuer.createSystem({ name: 'x', components: [{ handle: 'pump' }], hardwareIdAllowList: ['a'.repeat(37)] }, LAB_PASSPHRASE),
      issuer.createSystem({ name: 'x', components: [{ handle: 'pump', roles: [{ role: 'Bad Role' }] }] }, LAB_PASSPHRASE),
      issuer.createSystem({ name: 'x', components: [{ handle: 'pump', roles: [{ role: 'tls', algorithm: 'rsa-pss-2048', keyUsage: ['keyAgreement'] }] }] }, LAB_PASSPHRASE),
    ];
    for (const attempt of attempts) expect(codeOf(await attempt.catch((error: unknown) => error))).toBe('invalid-argument');
  });

  it('builds the CA hierarchy with the documented constraints', async () => {
    const { issuer } = await createTestIssuer();
    const { system, ca } = await createTestSystem(issuer);
    const root = parseCertificate(system.ca.root, {});
    expect(root.selfIssued).toBe(true);
    expect(root.basicConstraints).toEqual({ ca: true, pathLength: 1 });
    expect(ca.issuingCa.certificate.basicConstraints).toEqual({ ca: true, pathLength: 0 });
    expect(ca.provisioningCa.certificate.basicConstraints).toEqual({ ca: true, pathLength: 0 });
    expect(ca.profileSigner.certificate.basicConstraints?.ca ?? false).toBe(false);
    expect(ca.profileSigner.certificate.extendedKeyUsage).toEqual(['2.25.300802731784258787529098553703660543112.10.2']);
    for (const certificate of [ca.issuingCa.certificate, ca.provisioningCa.certificate, ca.profileSigner.certificate]) {
      expect(certificate.authorityKeyIdentifier).toEqual(root.subjectKeyIdentifier);
    }
    await expect(issuer.createSystem({ name: 'Test pumps', components: [{ handle: 'pump' }] }, LAB_PASSPHRASE)).rejects.toMatchObject({ code: 'invalid-state' });
  });

  it('refuses a package for an unknown component', async () => {
    const { issuer } = await createTestIssuer();
    const { system, ca } = await createTestSystem(issuer);
    await expect(issuer.exportPackage(system.id, 'valve', { ca, packagePassphrase: PACKAGE_PASSPHRASE })).rejects.toMatchObject({ code: 'not-allowed' });
  });
});
