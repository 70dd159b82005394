import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportSpki } from '../../src/crypto/algorithms.js';
import { decryptPrivateIdentity, readPrivateIdentityHeader } from '../../src/formats/identity.js';
import { readProvisionRequest } from '../../src/formats/request.js';
import { parseCertificate } from '../../src/formats/x509.js';
import { Logger, type LogRecord } from '../../src/log/logger.js';
import { checkProvisioningPackage } from '../../src/provisioning/package-check.js';
import { generateProvisionRequest, generateProvisionRequestBatch, initialiseDevice, installCertifiedProfile } from '../../src/provisioning/device.js';
import { createTestIssuer, createTestSystem, DEVICE_PASSPHRASE, openssl, PACKAGE_PASSPHRASE, temporaryDirectory, TEST_KDF_PARAMETERS, testKdf } from './provisioning-fixtures.js';

const DAY_MS = 86_400_000;

describe('device provisioning', () => {
  let setup: Awaited<ReturnType<typeof createTestIssuer>>;
  let created: Awaited<ReturnType<typeof createTestSystem>>;
  let other: Awaited<ReturnType<typeof createTestSystem>>;
  let kdf: Awaited<ReturnType<typeof testKdf>>;
  let temporary: Awaited<ReturnType<typeof temporaryDirectory>>;

  beforeAll(async () => {
    kdf = await testKdf();
    setup = await createTestIssuer();
    created = await createTestSystem(setup.issuer, { components: [{ handle: 'pump' }, { handle: 'monitor' }] }, 30);
    other = await createTestSystem((await createTestIssuer()).issuer, { name: 'Other system' });
    temporary = await temporaryDirectory('provkit-device-');
  });
  afterAll(async () => temporary.cleanup());

  it('checks a good package', async () => {
    const result = await checkProvisioningPackage(created.packages.get('pump')!, { passphrase: PACKAGE_PASSPHRASE, kdf });
    expect(result.problems).toEqual([]);
    expect(result.ok).toBe(true);
    expect(result.purpose).toBe('initial');
    expect(result.session?.componentHandle).toBe('pump');
    expect(result.session?.keyRoles.map((role) => role.role)).toEqual(['identity', 'tls']);
  });

  it('reports every package problem with its code', async () => {
    const pump = created.packages.get('pump')!;
    const monitor = created.packages.get('monitor')!;
    const wrongPassphrase = await checkProvisioningPackage(pump, { passphrase: 'wrong', kdf });
    expect(wrongPassphrase.problems.map((problem) => problem.code)).toEqual(['decrypt-failed']);

    const foreignTrustStore = await checkProvisioningPackage({ ...pump, trustStore: other.packages.get('pump')!.trustStore }, { passphrase: PACKAGE_PASSPHRASE, kdf });
    expect(foreignTrustStore.ok).toBe(false);
    expect(new Set(foreignTrustStore.problems.map((problem) => problem.code))).toEqual(new Set(['untrusted']));

    const mixed = await checkProvisioningPackage({ ...pump, identity: monitor.identity }, { passphrase: PACKAGE_PASSPHRASE, kdf });
    expect(mixed.problems.map((problem) => problem.code)).toEqual(['mismatch', 'mismatch']);
    expect(mixed.problems[0]!.message).toContain('belongs to component "monitor"');
    expect(mixed.problems[1]!.message).toContain('provisioning certificate is not the one the profile names');

    const later = new Date(Date.now() + 40 * DAY_MS);
    const expired = await checkProvisioningPackage(pump, { passphrase: PACKAGE_PASSPHRASE, kdf, time: later });
    expect(new Set(expired.problems.map((problem) => problem.code))).toEqual(new Set(['expired']));
    expect(expired.problems.some((problem) => problem.message.includes('provisioning certificate'))).toBe(true);

    const swapped = await checkProvisioningPackage({ ...pump, profile: pump.identity, identity: pump.profile }, { passphrase: PACKAGE_PASSPHRASE, kdf });
    expect(swapped.problems.map((problem) => problem.code)).toEqual(['wrong-type', 'wrong-type']);
  });

  it('validates the hardware id and component', async () => {
    const pump = created.packages.get('pump')!;
    for (const hardwareId of ['', 'x'.repeat(37), 'SN 1', 'SN/1']) {
      await expect(initialiseDevice(pump, { kdf, passphrase: PACKAGE_PASSPHRASE, hardwareId })).rejects.toMatchObject({ code: 'invalid-argument' });
    }
    await expect(initialiseDevice(pump, { kdf, passphrase: PACKAGE_PASSPHRASE, hardwareId: 'x'.repeat(36), componentHandle: 'monitor' })).rejects.toMatchObject({ code: 'mismatch' });
    const device = await initialiseDevice(pump, { kdf, passphrase: PACKAGE_PASSPHRASE, hardwareId: 'AA:BB:CC:00:11:22' });
    expect(device.hardwareId).toBe('AA:BB:CC:00:11:22');
  });

  it('creates a request and a pending identity', async () => {
    const records: LogRecord[] = [];
    const logger = new Logger({ level: 'debug', sink: (record) => records.push(record) });
    const device = await initialiseDevice(created.packages.get('pump')!, { kdf, passphrase: PACKAGE_PASSPHRASE, hardwareId: 'SN-REQ-1', logger });
    const generated = await generateProvisionRequest(device, { kdf, kdfParameters: TEST_KDF_PARAMETERS, passphrase: DEVICE_PASSPHRASE, logger });
    const request = readProvisionRequest(generated.request, {});
    expect(request.manifest).toMatchObject({ type: 'mcpr', requestId: generated.requestId, systemId: created.system.id, componentHandle: 'pump', hardwareId: 'SN-REQ-1', profileId: created.packages.get('pump')!.profileId, purpose: 'initial' });
    expect(request.csrs.map((csr) => csr.subjectName)).toEqual(['OU=pump,serialNumber=SN-REQ-1,CN=SN-REQ-1', 'OU=pump tls,serialNumber=SN-REQ-1,CN=SN-REQ-1']);
    expect(request.csrs.map((csr) => csr.subjectAltNames)).toEqual([[{ type: 'uri', value: 'urn:provkit:hardware-id:SN-REQ-1' }], [{ type: 'uri', value: 'urn:provkit:hardware-id:SN-REQ-1' }]]);
    expect(request.signedData.signers[0]!.signerCertificate!.fingerprint).toBe(device.signer.certificate.fingerprint);

    const header = readPrivateIdentityHeader(generated.pendingIdentity!, {});
    expect(header).toMatchObject({ kind: 'mcpi', hardwareId: 'SN-REQ-1', componentHandle: 'pump', systemId: created.system.id });
    expect(header.keys.map((key) => key.role)).toEqual(['identity', 'tls']);
    expect(header.keys.every((key) => key.certificateSha256 === undefined)).toBe(true);
    const pending = await decryptPrivateIdentity(generated.pendingIdentity!, DEVICE_PASSPHRASE, { kdf });
    expect(pending.keys.length).toBe(2);
    for (const [index, key] of generated.keys.entries()) {
      expect(await exportSpki(key.keyPair.publicKey)).toEqual(request.csrs[index]!.spki);
    }
    // The log names ids only: no key, no passphrase.
    const text = JSON.stringify(records);
    expect(records.map((record) => record.message)).toEqual(['device initialised', 'request created']);
    expect(text).not.toContain(DEVICE_PASSPHRASE);
    expect(text).not.toContain(PACKAGE_PASSPHRASE);
  });

  it('installs the profile and reprovisions with the new identity', async () => {
    const pkg = created.packages.get('pump')!;
    const device = await initialiseDevice(pkg, { kdf, passphrase: PACKAGE_PASSPHRASE, hardwareId: 'SN-INST-1' });
    const generated = await generateProvisionRequest(device, { kdf, kdfParameters: TEST_KDF_PARAMETERS, passphrase: DEVICE_PASSPHRASE });
    const submitted = await setup.issuer.submitRequest(generated.request, { ca: created.ca });
    const installed = await installCertifiedProfile(
      { trustStore: pkg.trustStore, request: generated.request, pendingIdentity: generated.pendingIdentity!, profile: submitted.profile! },
      { kdf, kdfParameters: TEST_KDF_PARAMETERS, passphrase: DEVICE_PASSPHRASE, newPassphrase: 'final passphrase' },
    );
    expect(installed.requestId).toBe(generated.requestId);
    expect(installed.certificates.map((entry) => entry.role)).toEqual(['identity', 'tls']);
    const identity = await decryptPrivateIdentity(installed.identity, 'final passphrase', { kdf });
    expect(identity.kind).toBe('mcpi');
    expect(identity.hardwareId).toBe('SN-INST-1');
    for (const key of identity.keys) {
      const certificate = parseCertificate(key.certificate!, {});
      expect(certificate.issuerName).toBe(created.ca.issuingCa.certificate.subjectName);
      expect(key.chain!.map((der) => parseCertificate(der, {}).subjectName)).toEqual([created.ca.issuingCa.certificate.subjectName]);
    }

    // Reprovisioning: the current .mcp and .mcpi sign a new request with the same hardware id.
    await expect(initialiseDevice({ trustStore: pkg.trustStore, profile: installed.profile, identity: installed.identity }, { kdf, passphrase: 'final passphrase', hardwareId: 'SN-OTHER' })).rejects.toMatchObject({ code: 'mismatch' });
    const current = await initialiseDevice({ trustStore: pkg.trustStore, profile: installed.profile, identity: installed.identity }, { kdf, passphrase: 'final passphrase' });
    expect(current.purpose).toBe('reprovision');
    expect(current.hardwareId).toBe('SN-INST-1');
    const renewal = await generateProvisionRequest(current, { kdf, kdfParameters: TEST_KDF_PARAMETERS, passphrase: DEVICE_PASSPHRASE });
    expect(renewal.manifest.purpose).toBe('reprovision');
    const renewed = await setup.issuer.submitRequest(renewal.request, { ca: created.ca });
    expect(renewed.failures).toEqual([]);
    expect(renewed.state).toBe('provisioning');
    const reinstalled = await installCertifiedProfile(
      { trustStore: pkg.trustStore, request: renewal.request, pendingIdentity: renewal.pendingIdentity!, profile: renewed.profile! },
      { kdf, kdfParameters: TEST_KDF_PARAMETERS, passphrase: DEVICE_PASSPHRASE },
    );
    expect(reinstalled.hardwareId).toBe('SN-INST-1');
    expect(reinstalled.certificates[0]!.certificate.serialHex).not.toBe(installed.certificates[0]!.certificate.serialHex);
    const report = await setup.issuer.report(created.system.id);
    expect(report.rows.find((row) => row.hardwareId === 'SN-INST-1')).toMatchObject({ requestId: renewal.requestId, requestCount: 2, state: 'provisioning' });
  });

  it('takes CSRs generated by OpenSSL through the whole flow', async () => {
    const pkg = created.packages.get('pump')!;
    const device = await initialiseDevice(pkg, { kdf, passphrase: PACKAGE_PASSPHRASE, hardwareId: 'SN-TPM-1' });
    const directory = temporary.directory;
    const csrs = [];
    for (const [role, subject] of [['identity', '/CN=SN-TPM-1/serialNumber=SN-TPM-1/OU=pump'], ['tls', '/CN=SN-TPM-1/serialNumber=SN-TPM-1/OU=pump tls']] as const) {
      await openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${role}.key`, '-subj', subject, '-outform', 'DER', '-out', `${role}.csr`], directory);
      csrs.push({ role, csr: new Uint8Array(await readFile(path.join(directory, `${role}.csr`))) });
    }
    const generated = await generateProvisionRequest(device, { kdf, externalCsrs: csrs });
    expect(generated.pendingIdentity).toBeUndefined();
    expect(generated.keys).toEqual([]);
    const submitted = await setup.issuer.submitRequest(generated.request, { ca: created.ca });
    expect(submitted.failures).toEqual([]);
    const installed = await installCertifiedProfile({ trustStore: pkg.trustStore, request: generated.request, profile: submitted.profile! }, { kdf });
    expect(installed.identity.length).toBe(0);
    // The issued certificate contains the key OpenSSL generated.
    const publicKey = await openssl(['pkey', '-in', 'identity.key', '-pubout', '-outform', 'DER', '-out', 'identity.pub'], directory);
    expect(publicKey.stderr).toBe('');
    expect(new Uint8Array(await readFile(path.join(directory, 'identity.pub')))).toEqual(installed.certificates[0]!.certificate.spki);

    // A CSR whose subject is not the template's, and one whose signature was altered.
    await openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'bad.key', '-subj', '/CN=someone-else', '-outform', 'DER', '-out', 'bad.csr'], directory);
    const badSubject = new Uint8Array(await readFile(path.join(directory, 'bad.csr')));
    await expect(generateProvisionRequest(device, { kdf, externalCsrs: [{ role: 'tls', csr: badSubject }] })).rejects.toMatchObject({ code: 'mismatch' });
    // With the file name given, messages name that file, not the internal option.
    await expect(generateProvisionRequest(device, { kdf, externalCsrs: [{ role: 'tls', csr: badSubject, file: 'bad.csr' }] })).rejects.toMatchObject({
      code: 'mismatch',
      file: 'bad.csr',
      field: undefined,
      message: expect.stringMatching(/^bad\.csr: the external CSR for role "tls" has subject "CN=someone-else"/),
    });
    const altered = csrs[1]!.csr.slice();
    altered[altered.length - 1]! ^= 0x01;
    await expect(generateProvisionRequest(device, { kdf, externalCsrs: [{ role: 'tls', csr: altered }] })).rejects.toMatchObject({ code: 'signature-invalid' });
    await expect(generateProvisionRequest(device, { kdf, externalCsrs: [{ role: 'firmware', csr: altered }] })).rejects.toMatchObject({ code: 'mismatch' });
  });

  it('creates a batch with progress and honours abort', async () => {
    const device = await initialiseDevice(created.packages.get('pump')!, { kdf, passphrase: PACKAGE_PASSPHRASE, hardwareId: 'SN-BATCH-0' });
    const progress: number[] = [];
    const batch = await generateProvisionRequestBatch(device, ['SN-BATCH-1', 'SN-BATCH-2'], { kdf, onProgress: (done) => progress.push(done) });
    expect(batch.map((entry) => entry.manifest.hardwareId)).toEqual(['SN-BATCH-1', 'SN-BATCH-2']);
    expect(progress).toEqual([1, 2]);
    const controller = new AbortController();
    controller.abort();
    await expect(generateProvisionRequestBatch(device, ['SN-BATCH-3'], { kdf, signal: controller.signal })).rejects.toMatchObject({ code: 'cancelled' });
  });
});
