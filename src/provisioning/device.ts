import { ProvkitError } from '../errors.js';
import { exportPkcs8, generateKeyPair, importPrivateKey, type KeyAlgorithmName } from '../crypto/algorithms.js';
import type { Argon2idParameters, KeyDerivation } from '../crypto/wasm.js';
import { createCertificationRequest, parseCertificationRequest, verifyCertificationRequest } from '../formats/csr.js';
import { decryptPrivateIdentity, encryptPrivateIdentity, type IdentityKey } from '../formats/identity.js';
import { newUuid, type CsrEntry, type ProvisionRequestManifest } from '../formats/manifest.js';
import { validatePath } from '../formats/path.js';
import { expandSubjectTemplate } from '../formats/profile.js';
import { createProvisionRequest, readProvisionRequest } from '../formats/request.js';
import { readTrustStore } from '../formats/truststore.js';
import type { VerificationFailure } from '../formats/verification.js';
import { VerificationCache, verifyCertifiedProfile } from '../formats/verify.js';
import type { Certificate } from '../formats/x509.js';
import { silentLogger, type Logger } from '../log/logger.js';
import { checkProvisioningPackage, privateKeyMatches, type DeviceFiles, type DeviceSession, type PackageProblem } from './package-check.js';
import { mapConcurrent } from './concurrency.js';
import { hardwareIdUri, subjectsEqual, validateHardwareId } from './subject.js';

/** Options shared by the device operations. */
export interface DeviceOptions {
  /** Key derivation (Argon2id) for the Private Identity containers. */
  kdf: KeyDerivation;
  /** Argon2id parameters for the containers this device writes; omit for the defaults. Tests pass cheaper ones. */
  kdfParameters?: Argon2idParameters;
  /** Validation and creation time; default now. */
  time?: Date;
  signal?: AbortSignal;
  logger?: Logger;
}

/** A device ready to create requests: the checked package, its component and hardware id. */
export interface Device extends DeviceSession {
  hardwareId: string;
}

/** A CSR made outside provkit (secure element, TPM, OpenSSL) for one key role. */
export interface ExternalCsr {
  role: string;
  /** DER PKCS #10 CertificationRequest. */
  csr: Uint8Array;
  /** Name of the file the CSR was read from, for messages; without it they name the role. */
  file?: string;
}

/** A request created by {@link generateProvisionRequest}. */
export interface GeneratedRequest {
  requestId: string;
  manifest: ProvisionRequestManifest;
  /** The signed `.mcpr`. */
  request: Uint8Array;
  /** The pending `.mcpi` with the new private keys, when a passphrase was given and provkit generated at least one key. */
  pendingIdentity?: Uint8Array;
  /** The generated key pairs by role, for callers that keep keys in memory instead of a pending `.mcpi`. */
  keys: Array<{ role: string; algorithm: KeyAlgorithmName; keyPair: CryptoKeyPair }>;
}

/** A Certified Profile accepted by {@link installCertifiedProfile}. */
export interface InstalledProfile {
  /** The final `.mcpi`: the private keys with their certificates and chains, encrypted. */
  identity: Uint8Array;
  /** The `.mcp` as received and verified. */
  profile: Uint8Array;
  hardwareId: string;
  requestId: string;
  certificates: Array<{ role: string; certificate: Certificate }>;
  warnings: string[];
}

/** Throws one ProvkitError for a list of problems: the first problem's code, every message. */
export function throwProblems(problems: readonly PackageProblem[] | readonly VerificationFailure[], what: string): never {
  const first = problems[0]!;
  const rest = problems.length > 1 ? ` (and ${problems.length - 1} more: ${problems.slice(1).map((problem) => problem.message).join('; ')})` : '';
  throw new ProvkitError(first.code, `${what}: ${first.message}${rest}`);
}

/**
 * Initialises a device from a provisioning package (`.mcts`, `.mcpp`, `.mcpip`), or from its
 * current `.mcp` and `.mcpi` for reprovisioning. Checks the package first. When it has
 * problems, throws a ProvkitError with the first problem's code whose message lists them all.
 * Throws ProvkitError('invalid-argument') for a bad hardware id, and ('mismatch') for another
 * component or, when reprovisioning, a hardware id other than the current identity's.
 */
export async function initialiseDevice(
  files: DeviceFiles,
  options: DeviceOptions & { passphrase: string; componentHandle?: string; hardwareId?: string },
): Promise<Device> {
  const check = await checkProvisioningPackage(files, { passphrase: options.passphrase, kdf: options.kdf, ...timeAndSignal(options) });
  if (!check.ok || check.session === undefined) throwProblems(check.problems, 'the provisioning package is not usable');
  const session = check.session;
  if (options.componentHandle !== undefined && options.componentHandle !== session.componentHandle) {
    throw new ProvkitError('mismatch', `the package is for component "${session.componentHandle}", not "${options.componentHandle}"; use the package of this component`);
  }
  const hardwareId = options.hardwareId ?? session.currentHardwareId;
  if (hardwareId === undefined) throw new ProvkitError('invalid-argument', 'a hardware id is needed for first provisioning');
  validateHardwareId(hardwareId, { field: 'hardwareId' });
  checkSubjectsFit(session, hardwareId);
  if (session.currentHardwareId !== undefined && hardwareId !== session.currentHardwareId) {
    throw new ProvkitError('mismatch', `reprovisioning keeps the hardware id: the current identity is for "${session.currentHardwareId}", not "${hardwareId}"`);
  }
  (options.logger ?? silentLogger()).child('device').info('device initialised', { purpose: session.purpose, systemId: session.systemId, component: session.componentHandle, hardwareId });
  return { ...session, hardwareId };
}

/**
 * Expands every role's subject template with the hardware id, so that a hardware id the
 * profile cannot encode fails before any key is generated. A `serialNumber` attribute is a
 * PrintableString (RFC 5280 appendix A), which has no "_" although hardware ids may contain it.
 */
function checkSubjectsFit(session: DeviceSession, hardwareId: string): void {
  for (const spec of session.keyRoles) {
    try {
      expandSubjectTemplate(spec.subjectTemplate, { hardwareId, componentHandle: session.componentHandle, role: spec.role, systemId: session.systemId, requestId: session.profileId });
    } catch (error) {
      if (!(error instanceof ProvkitError)) throw error;
      throw new ProvkitError('invalid-argument', `hardware id "${hardwareId}" does not fit the subject of role "${spec.role}" (${error.message}); use a hardware id this profile can encode`, { field: 'hardwareId' });
    }
  }
}

/**
 * Creates a Provision Request. For each key role of the profile it generates a key pair and a
 * CSR with the template's subject and the hardware id in subject and subjectAltName, or takes
 * the given external CSR after checking its self-signature, algorithm and subject. Then it
 * signs the `.mcpr` and, with a passphrase, encrypts the new private keys as the pending `.mcpi`.
 * Throws ProvkitError('signature-invalid') or ('mismatch') for a bad external CSR.
 */
export async function generateProvisionRequest(
  device: Device,
  options: DeviceOptions & { passphrase?: string; externalCsrs?: ExternalCsr[]; requestId?: string },
): Promise<GeneratedRequest> {
  const time = options.time ?? new Date();
  const requestId = options.requestId ?? newUuid();
  const external = new Map((options.externalCsrs ?? []).map((entry) => [entry.role, entry]));
  // A CSR read from a file is reported by the file name the user gave, not an internal field.
  const csrLocation = (entry: ExternalCsr) => (entry.file === undefined ? { field: `externalCsrs[${entry.role}]` } : { file: entry.file });
  for (const entry of external.values()) {
    if (!device.keyRoles.some((spec) => spec.role === entry.role)) {
      throw new ProvkitError('mismatch', `the external CSR is for role "${entry.role}", which the profile does not have; its roles are ${device.keyRoles.map((spec) => spec.role).join(', ')}`, csrLocation(entry));
    }
  }

  // The roles are independent, so their keys and CSRs are made concurrently; WebCrypto runs
  // key generation and signing off the calling thread.
  throwIfAborted(options.signal);
  const perRole = await Promise.all(
    device.keyRoles.map(async (spec): Promise<{ entry: CsrEntry; key?: GeneratedRequest['keys'][number] }> => {
      const subject = expandSubjectTemplate(spec.subjectTemplate, { hardwareId: device.hardwareId, componentHandle: device.componentHandle, role: spec.role, systemId: device.systemId, requestId });
      const externalEntry = external.get(spec.role);
      if (externalEntry !== undefined) {
        const where = csrLocation(externalEntry);
        const csr = parseCertificationRequest(externalEntry.csr, where);
        const outcome = await verifyCertificationRequest(csr);
        if (outcome !== 'valid') {
          throw new ProvkitError(outcome === 'unsupported' ? 'unsupported' : 'signature-invalid', `the external CSR for role "${spec.role}" ${outcome === 'unsupported' ? 'uses an unsupported signature algorithm' : 'has a signature that does not verify with its own key'}`, where);
        }
        if (csr.keyAlgorithm !== spec.algorithm) throw new ProvkitError('mismatch', `the external CSR for role "${spec.role}" holds a ${csr.keyAlgorithm ?? 'unsupported'} key; the profile requires ${spec.algorithm}`, where);
        if (!subjectsEqual(subject, csr.subject)) {
          throw new ProvkitError('mismatch', `the external CSR for role "${spec.role}" has subject "${csr.subjectName}"; the profile's template gives ${subject.map((attribute) => `${attribute.shortName ?? attribute.type}=${attribute.value}`).join(', ')}`, where);
        }
        return { entry: { role: spec.role, algorithm: spec.algorithm, csr: csr.der } };
      }
      const keyPair = await generateKeyPair(spec.algorithm);
      const csr = await createCertificationRequest({
        subject,
        privateKey: keyPair.privateKey,
        publicKey: keyPair.publicKey,
        algorithm: spec.algorithm,
        subjectAltNames: [{ type: 'uri', value: hardwareIdUri(device.hardwareId) }],
      });
      return { entry: { role: spec.role, algorithm: spec.algorithm, csr: csr.der }, key: { role: spec.role, algorithm: spec.algorithm, keyPair } };
    }),
  );
  const csrs = perRole.map((result) => result.entry);
  const keys = perRole.flatMap((result) => (result.key === undefined ? [] : [result.key]));

  const { bytes, manifest } = await createProvisionRequest({
    requestId,
    systemId: device.systemId,
    componentHandle: device.componentHandle,
    hardwareId: device.hardwareId,
    profileId: device.profileId,
    purpose: device.purpose,
    createdAt: time,
    csrs,
    signer: device.signer,
  });

  const result: GeneratedRequest = { requestId, manifest, request: bytes, keys };
  if (options.passphrase !== undefined && keys.length > 0) {
    const identityKeys: IdentityKey[] = [];
    for (const key of keys) identityKeys.push({ role: key.role, algorithm: key.algorithm, pkcs8: await exportPkcs8(key.keyPair.privateKey) });
    result.pendingIdentity = await encryptPrivateIdentity(
      { kind: 'mcpi', systemId: device.systemId, componentHandle: device.componentHandle, hardwareId: device.hardwareId, keys: identityKeys },
      options.passphrase,
      encryptionOptions(options),
    );
  }
  (options.logger ?? silentLogger()).child('device').info('request created', { requestId, hardwareId: device.hardwareId, purpose: device.purpose, roles: csrs.length, external: external.size });
  return result;
}

/**
 * Creates one request per hardware id from one checked package, as a factory line does for a
 * batch of devices, with `concurrency` (default 8) requests in flight. Reports progress after
 * each and stops with ProvkitError('cancelled') when `signal` aborts. Throws as
 * {@link generateProvisionRequest}, and ProvkitError('invalid-argument') for a bad hardware id.
 */
export async function generateProvisionRequestBatch(
  device: Device,
  hardwareIds: readonly string[],
  options: DeviceOptions & { passphrase?: string; onProgress?: (done: number, total: number) => void; concurrency?: number },
): Promise<GeneratedRequest[]> {
  if (device.purpose !== 'initial') throw new ProvkitError('invalid-argument', 'a batch is for first provisioning; reprovision each device with its own identity');
  hardwareIds.forEach((hardwareId, index) => validateHardwareId(hardwareId, { field: `hardwareIds[${index}]` }));
  return mapConcurrent(hardwareIds, options.concurrency ?? 8, (hardwareId) => generateProvisionRequest({ ...device, hardwareId }, options), {
    what: 'request generation',
    ...(options.signal !== undefined ? { signal: options.signal } : {}),
    ...(options.onProgress !== undefined ? { onProgress: options.onProgress } : {}),
  });
}

/**
 * Installs a Certified Profile. Verifies the `.mcp` against the TrustStore and checks that it
 * was issued for `request`: request id, hardware id, each certificate's public key equal to
 * the request's key for that role, every role present, validity. Checks that each pending
 * private key matches its certificate, then returns the final `.mcpi`, encrypted under
 * `newPassphrase` or else `passphrase`. Throws ProvkitError with the reason on any mismatch.
 * This function writes nothing, so the caller writes the outputs only after it returns.
 */
export async function installCertifiedProfile(
  files: { trustStore: Uint8Array; request: Uint8Array; pendingIdentity?: Uint8Array; profile: Uint8Array; names?: { trustStore?: string; request?: string; pendingIdentity?: string; profile?: string } },
  options: DeviceOptions & { passphrase?: string; newPassphrase?: string },
): Promise<InstalledProfile> {
  const time = options.time ?? new Date();
  const names = { trustStore: 'truststore.mcts', request: 'request.mcpr', pendingIdentity: 'pending.mcpi', profile: 'profile.mcp', ...files.names };
  const trustStore = readTrustStore(files.trustStore, { file: names.trustStore });
  const request = readProvisionRequest(files.request, { file: names.request });
  const cache = new VerificationCache();
  const verification = await verifyCertifiedProfile(files.profile, { anchors: trustStore.certificates, time, file: names.profile, cache, request });
  if (!verification.ok || verification.profile === undefined) throwProblems(verification.failures, `${names.profile} is rejected`);
  const profile = verification.profile;
  const manifest = profile.manifest;

  const missing = manifest.keyRoles.filter((spec) => !profile.issued.some((entry) => entry.role === spec.role));
  if (missing.length > 0) throw new ProvkitError('mismatch', `no certificate for key role ${missing.map((spec) => `"${spec.role}"`).join(', ')}`, { file: names.profile });
  for (const entry of profile.issued) {
    if (entry.certificate.notAfter.getTime() <= time.getTime()) throw new ProvkitError('expired', `the certificate of role "${entry.role}" expired at ${entry.certificate.notAfter.toISOString()}`, { file: names.profile });
  }

  const certificates = profile.issued.map((entry) => ({ role: entry.role, certificate: entry.certificate }));
  const generatedRoles = new Set<string>();
  const finalKeys: IdentityKey[] = [];
  let pendingHardwareId: string | undefined;
  if (files.pendingIdentity !== undefined) {
    if (options.passphrase === undefined) throw new ProvkitError('invalid-argument', 'the pending identity needs its passphrase');
    const pending = await decryptPrivateIdentity(files.pendingIdentity, options.passphrase, { kdf: options.kdf, file: names.pendingIdentity, ...(options.signal !== undefined ? { signal: options.signal } : {}) });
    pendingHardwareId = pending.hardwareId;
    const at = { file: names.pendingIdentity };
    if (pending.hardwareId !== manifest.hardwareId) throw new ProvkitError('mismatch', `the pending identity is for hardware id "${pending.hardwareId ?? ''}", the profile for "${manifest.hardwareId}"`, at);
    if (pending.systemId !== manifest.systemId || pending.componentHandle !== manifest.componentHandle) {
      throw new ProvkitError('mismatch', `the pending identity belongs to system ${pending.systemId} component "${pending.componentHandle}", the profile to ${manifest.systemId} "${manifest.componentHandle}"`, at);
    }
    for (const key of pending.keys) {
      const issued = profile.issued.find((entry) => entry.role === key.role);
      if (issued === undefined) throw new ProvkitError('mismatch', `the profile has no certificate for the pending key of role "${key.role}"`, at);
      const { privateKey, algorithm } = await importPrivateKey(key.pkcs8, { ...at, field: `keys[${key.role}]` }, key.algorithm);
      if (!(await privateKeyMatches(privateKey, algorithm, issued.certificate.spki))) {
        throw new ProvkitError('mismatch', `the certificate of role "${key.role}" does not contain the public key of the pending private key; this profile was issued for another request`, at);
      }
      const path = await validatePath(issued.certificate, {
        anchors: trustStore.certificates,
        intermediates: profile.signedData.certificates.filter((candidate) => candidate !== issued.certificate),
        time,
        cache: cache.paths,
      });
      const chain = path.chain.slice(1).filter((certificate) => !trustStore.certificates.some((anchor) => anchor.fingerprint === certificate.fingerprint));
      finalKeys.push({ role: key.role, algorithm: key.algorithm, pkcs8: key.pkcs8, certificate: issued.certificate.der, chain: chain.map((certificate) => certificate.der) });
      generatedRoles.add(key.role);
    }
  }
  const externalRoles = manifest.keyRoles.filter((spec) => !generatedRoles.has(spec.role)).map((spec) => spec.role);
  if (files.pendingIdentity === undefined && externalRoles.length !== manifest.keyRoles.length) {
    throw new ProvkitError('invalid-argument', 'the pending identity is missing');
  }

  let identity: Uint8Array = new Uint8Array();
  if (finalKeys.length > 0) {
    identity = await encryptPrivateIdentity(
      { kind: 'mcpi', systemId: manifest.systemId, componentHandle: manifest.componentHandle, hardwareId: pendingHardwareId ?? manifest.hardwareId, keys: finalKeys },
      options.newPassphrase ?? options.passphrase!,
      encryptionOptions(options),
    );
  }
  (options.logger ?? silentLogger()).child('device').info('profile installed', {
    requestId: manifest.requestId,
    hardwareId: manifest.hardwareId,
    certificates: certificates.map((entry) => `${entry.role}=${entry.certificate.serialHex}`).join(';'),
  });
  return { identity, profile: files.profile, hardwareId: manifest.hardwareId, requestId: manifest.requestId, certificates, warnings: verification.warnings };
}

function encryptionOptions(options: DeviceOptions): { kdf: KeyDerivation; parameters?: Argon2idParameters; signal?: AbortSignal } {
  return {
    kdf: options.kdf,
    ...(options.kdfParameters !== undefined ? { parameters: options.kdfParameters } : {}),
    ...(options.signal !== undefined ? { signal: options.signal } : {}),
  };
}

function timeAndSignal(options: DeviceOptions): { time?: Date; signal?: AbortSignal } {
  return { ...(options.time !== undefined ? { time: options.time } : {}), ...(options.signal !== undefined ? { signal: options.signal } : {}) };
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted === true) throw new ProvkitError('cancelled', 'request generation was cancelled');
}
