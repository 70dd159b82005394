import { beforeAll, describe, expect, it } from 'vitest';
import { ProvkitError } from '../../src/errors.js';
import { exportSpki, generateKeyPair, type KeyAlgorithmName } from '../../src/crypto/algorithms.js';
import { createCertificationRequest, type CertificationRequest } from '../../src/formats/csr.js';
import { expandSubjectTemplate } from '../../src/formats/profile.js';
import { createProvisionRequest } from '../../src/formats/request.js';
import type { SubmitResult } from '../../src/issuer/issuer.js';
import { generateProvisionRequest, initialiseDevice, installCertifiedProfile, type Device } from '../../src/provisioning/device.js';
import { hardwareIdUri } from '../../src/provisioning/subject.js';
import { createTestIssuer, createTestSystem, DEVICE_PASSPHRASE, PACKAGE_PASSPHRASE, TEST_KDF_PARAMETERS, testKdf } from './provisioning-fixtures.js';

const DAY_MS = 86_400_000;

/** Creates a CSR for `role` of `device` with the profile's subject, from a fresh key of `algorithm`. */
async function csrFor(device: Device, role: string, options: { algorithm?: KeyAlgorithmName; hardwareId?: string; componentHandle?: string; requestId: string }): Promise<CertificationRequest> {
  const spec = device.keyRoles.find((candidate) => candidate.role === role)!;
  const algorithm = options.algorithm ?? spec.algorithm;
  const keys = await generateKeyPair(algorithm);
  const hardwareId = options.hardwareId ?? device.hardwareId;
  return createCertificationRequest({
    subject: expandSubjectTemplate(spec.subjectTemplate, { hardwareId, componentHandle: options.componentHandle ?? device.componentHandle, role, systemId: device.systemId, requestId: options.requestId }),
    privateKey: keys.privateKey,
    publicKey: keys.publicKey,
    algorithm,
    subjectAltNames: [{ type: 'uri', value: hardwareIdUri(hardwareId) }],
  });
}

/** Signs a request with the device's provisioning identity around the given CSR entries. */
async function signedRequest(device: Device, entries: Array<{ role: string; algorithm: KeyAlgorithmName; csr: Uint8Array }>, overrides: { requestId: string; componentHandle?: string; profileId?: string; createdAt?: Date; hardwareId?: string }): Promise<Uint8Array> {
  const { bytes } = await createProvisionRequest({
    requestId: overrides.requestId,
    systemId: device.systemId,
    componentHandle: overrides.componentHandle ?? device.componentHandle,
    hardwareId: overrides.hardwareId ?? device.hardwareId,
    profileId: overrides.profileId ?? device.profileId,
    purpose: 'initial',
    ...(overrides.createdAt !== undefined ? { createdAt: overrides.createdAt } : {}),
    csrs: entries,
    signer: device.signer,
  });
  return bytes;
}

function codes(result: SubmitResult): string[] {
  return result.failures.map((failure) => failure.code);
}

describe('request rejections at the issuer', () => {
  let setup: Awaited<ReturnType<typeof createTestIssuer>>;
  let created: Awaited<ReturnType<typeof createTestSystem>>;
  let pumpDevice: Device;

  beforeAll(async () => {
    setup = await createTestIssuer();
    created = await createTestSystem(setup.issuer, { components: [{ handle: 'pump' }, { handle: 'monitor' }], hardwareIdAllowList: ['SN-1', 'SN-2', 'SN-3', 'SN-4', 'SN-5', 'SN-6', 'SN-7', 'SN-8'] });
    pumpDevice = await initialiseDevice(created.packages.get('pump')!, { kdf: await testKdf(), passphrase: PACKAGE_PASSPHRASE, hardwareId: 'SN-1' });
  });

  it('replay: the same request twice', async () => {
    const generated = await generateProvisionRequest({ ...pumpDevice, hardwareId: 'SN-2' }, { kdf: await testKdf() });
    const first = await setup.issuer.submitRequest(generated.request, { file: 'SN-2.mcpr' });
    expect(first.state).toBe('auto-approved');
    const second = await setup.issuer.submitRequest(generated.request, { file: 'SN-2.mcpr' });
    expect(codes(second)).toEqual(['replay']);
    expect(second.state).toBeUndefined();
    // The replay leaves the first request untouched.
    const record = await setup.issuer.getRequest(created.system.id, generated.requestId);
    expect(record.history.map((transition) => transition.state)).toEqual(['verifying', 'auto-approved']);
  });

  it('unknown hardware id: outside the allow-list', async () => {
    const generated = await generateProvisionRequest({ ...pumpDevice, hardwareId: 'SN-UNLISTED' }, { kdf: await testKdf() });
    const result = await setup.issuer.submitRequest(generated.request);
    expect(codes(result)).toEqual(['not-allowed']);
    expect(result.state).toBe('failed');
    const record = await setup.issuer.getRequest(created.system.id, generated.requestId);
    expect(record.failure?.code).toBe('not-allowed');
    expect(record.history.at(-1)).toMatchObject({ state: 'failed', actor: 'issuer', code: 'not-allowed' });
  });

  it('wrong component: signed with another component\'s provisioning identity', async () => {
    const requestId = crypto.randomUUID();
    const monitorProfileId = created.packages.get('monitor')!.profileId;
    const entries = [];
    for (const role of ['identity', 'tls']) {
      const csr = await csrFor(pumpDevice, role, { requestId, componentHandle: 'monitor', hardwareId: 'SN-3' });
      entries.push({ role, algorithm: 'ecdsa-p256' as const, csr: csr.der });
    }
    const bytes = await signedRequest(pumpDevice, entries, { requestId, componentHandle: 'monitor', profileId: monitorProfileId, hardwareId: 'SN-3' });
    const result = await setup.issuer.submitRequest(bytes);
    expect(codes(result)).toEqual(['not-allowed']);
    expect(result.failures[0]!.message).toContain('signed with the provisioning identity of component "pump"');
  });

  it('tampered CSR: a changed signature byte', async () => {
    const requestId = crypto.randomUUID();
    const identity = await csrFor(pumpDevice, 'identity', { requestId, hardwareId: 'SN-4' });
    const tls = await csrFor(pumpDevice, 'tls', { requestId, hardwareId: 'SN-4' });
    const tampered = tls.der.slice();
    tampered[tampered.length - 1]! ^= 0x01;
    const bytes = await signedRequest(pumpDevice, [{ role: 'identity', algorithm: 'ecdsa-p256', csr: identity.der }, { role: 'tls', algorithm: 'ecdsa-p256', csr: tampered }], { requestId, hardwareId: 'SN-4' });
    const result = await setup.issuer.submitRequest(bytes);
    expect(codes(result)).toEqual(['signature-invalid']);
    expect(result.failures[0]!.message).toContain('manifest.csrs[1].csr');
  });

  it('CSR whose key does not match its signature', async () => {
    const requestId = crypto.randomUUID();
    const identity = await csrFor(pumpDevice, 'identity', { requestId, hardwareId: 'SN-5' });
    const tls = await csrFor(pumpDevice, 'tls', { requestId, hardwareId: 'SN-5' });
    // Put another P-256 key (same encoded length) in place of the signed one.
    const otherSpki = await exportSpki((await generateKeyPair('ecdsa-p256')).publicKey);
    const swapped = tls.der.slice();
    const offset = indexOf(swapped, tls.spki);
    swapped.set(otherSpki, offset);
    const bytes = await signedRequest(pumpDevice, [{ role: 'identity', algorithm: 'ecdsa-p256', csr: identity.der }, { role: 'tls', algorithm: 'ecdsa-p256', csr: swapped }], { requestId, hardwareId: 'SN-5' });
    const result = await setup.issuer.submitRequest(bytes);
    expect(codes(result)).toEqual(['signature-invalid']);
  });

  it('role with the wrong algorithm and a missing role', async () => {
    const requestId = crypto.randomUUID();
    const identity = await csrFor(pumpDevice, 'identity', { requestId, hardwareId: 'SN-6', algorithm: 'ecdsa-p384' });
    const bytes = await signedRequest(pumpDevice, [{ role: 'identity', algorithm: 'ecdsa-p384', csr: identity.der }], { requestId, hardwareId: 'SN-6' });
    const result = await setup.issuer.submitRequest(bytes);
    expect(codes(result)).toEqual(['mismatch', 'mismatch']);
    expect(result.failures[0]!.message).toContain('role "identity" needs ecdsa-p256, not ecdsa-p384');
    expect(result.failures[1]!.message).toContain('no CSR for key role "tls"');
  });

  it('creation time outside the window', async () => {
    const generated = await generateProvisionRequest({ ...pumpDevice, hardwareId: 'SN-7' }, { kdf: await testKdf(), time: setup.clock.now });
    // The issuer receives it two days later; the window is one day.
    const created = setup.clock.now;
    setup.clock.now = new Date(created.getTime() + 2 * DAY_MS);
    const result = await setup.issuer.submitRequest(generated.request);
    setup.clock.now = created;
    expect(codes(result)).toEqual(['expired']);
    expect(result.failures[0]!.message).toContain('manifest.createdAt');
  });

  it('unknown system', async () => {
    const other = await createTestIssuer();
    const otherSystem = await createTestSystem(other.issuer, { name: 'Other' });
    const otherDevice = await initialiseDevice(otherSystem.packages.get('pump')!, { kdf: await testKdf(), passphrase: PACKAGE_PASSPHRASE, hardwareId: 'SN-8' });
    const generated = await generateProvisionRequest(otherDevice, { kdf: await testKdf() });
    const result = await setup.issuer.submitRequest(generated.request);
    expect(codes(result)).toEqual(['not-found']);
    expect(result.state).toBeUndefined();
  });

  it('unreadable request', async () => {
    const result = await setup.issuer.submitRequest(new Uint8Array([0x30, 0x03, 0x02, 0x01]), { file: 'broken.mcpr' });
    expect(codes(result)).toEqual(['malformed']);
    expect(result.failures[0]!.message).toMatch(/^broken\.mcpr/);
  });
});

describe('expired provisioning certificate', () => {
  it('fails the request with expired', async () => {
    const setup = await createTestIssuer();
    const created = await createTestSystem(setup.issuer, {}, 1);
    const kdf = await testKdf();
    const device = await initialiseDevice(created.packages.get('pump')!, { kdf, passphrase: PACKAGE_PASSPHRASE, hardwareId: 'SN-OLD' });
    // Three days later the one-day provisioning certificate has expired.
    setup.clock.now = new Date(setup.clock.now.getTime() + 3 * DAY_MS);
    await expect(initialiseDevice(created.packages.get('pump')!, { kdf, passphrase: PACKAGE_PASSPHRASE, hardwareId: 'SN-OLD', time: setup.clock.now })).rejects.toMatchObject({ code: 'expired' });
    const requestId = crypto.randomUUID();
    const entries = [];
    for (const role of ['identity', 'tls']) entries.push({ role, algorithm: 'ecdsa-p256' as const, csr: (await csrFor(device, role, { requestId })).der });
    const bytes = await signedRequest(device, entries, { requestId, createdAt: setup.clock.now });
    const result = await setup.issuer.submitRequest(bytes);
    expect(new Set(codes(result))).toEqual(new Set(['expired']));
    expect(result.state).toBe('failed');
  });
});

describe('device-side rejections', () => {
  it('profile for another request, wrong passphrase, nothing returned', async () => {
    const setup = await createTestIssuer();
    const created = await createTestSystem(setup.issuer);
    const kdf = await testKdf();
    const pkg = created.packages.get('pump')!;
    await expect(initialiseDevice(pkg, { kdf, passphrase: 'wrong passphrase', hardwareId: 'SN-A' })).rejects.toMatchObject({ code: 'decrypt-failed' });

    const device = await initialiseDevice(pkg, { kdf, passphrase: PACKAGE_PASSPHRASE, hardwareId: 'SN-A' });
    const first = await generateProvisionRequest(device, { kdf, kdfParameters: TEST_KDF_PARAMETERS, passphrase: DEVICE_PASSPHRASE });
    const second = await generateProvisionRequest({ ...device, hardwareId: 'SN-B' }, { kdf, kdfParameters: TEST_KDF_PARAMETERS, passphrase: DEVICE_PASSPHRASE });
    await setup.issuer.submitRequest(first.request, { ca: created.ca });
    const secondProfile = (await setup.issuer.submitRequest(second.request, { ca: created.ca })).profile!;

    const attempt = installCertifiedProfile(
      { trustStore: pkg.trustStore, request: first.request, pendingIdentity: first.pendingIdentity!, profile: secondProfile },
      { kdf, kdfParameters: TEST_KDF_PARAMETERS, passphrase: DEVICE_PASSPHRASE },
    );
    const error = await attempt.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ProvkitError);
    expect((error as ProvkitError).code).toBe('mismatch');
    expect((error as ProvkitError).message).toContain('manifest.requestId');

    const firstProfile = (await setup.issuer.getRequest(created.system.id, first.requestId)).profile!;
    await expect(
      installCertifiedProfile({ trustStore: pkg.trustStore, request: first.request, pendingIdentity: first.pendingIdentity!, profile: firstProfile }, { kdf, kdfParameters: TEST_KDF_PARAMETERS, passphrase: 'wrong passphrase' }),
    ).rejects.toMatchObject({ code: 'decrypt-failed' });
  });
});

function indexOf(haystack: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  throw new Error('needle not found');
}
