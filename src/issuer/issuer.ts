import { ProvkitError, type ErrorCode } from '../errors.js';
import { exportPkcs8, type KeyAlgorithmName } from '../crypto/algorithms.js';
import type { Argon2idParameters, KeyDerivation } from '../crypto/wasm.js';
import { encryptPrivateIdentity } from '../formats/identity.js';
import { newUuid } from '../formats/manifest.js';
import { createCertifiedProfile, createProfileToProvision, expandSubjectTemplate, type ProfileDefinition } from '../formats/profile.js';
import { readProvisionRequest } from '../formats/request.js';
import { writeTrustStore } from '../formats/truststore.js';
import type { VerificationFailure } from '../formats/verification.js';
import { issueCertificate, parseCertificate, type Certificate } from '../formats/x509.js';
import { Logger, silentLogger } from '../log/logger.js';
import { mapConcurrent } from '../provisioning/concurrency.js';
import { hardwareIdUri } from '../provisioning/subject.js';
import { clampTo, createCaHierarchy, generateProvisioningKey, issueProvisioningCertificate, issueProxyCertificate, unlockCa, withParameters, type UnlockedCa } from './ca.js';
import { buildProvisioningReport, type ProvisioningReport } from './report.js';
import { applyTransition, currentState, type RequestState } from './states.js';
import {
  requireRequest,
  requireSystem,
  type ComponentRecord,
  type IssuedCertificateRecord,
  type IssuerStore,
  type ProxyRecord,
  type RequestRecord,
  type SystemRecord,
} from './store.js';
import { normaliseSystemSpec, type SystemSpec } from './system.js';
import { RequestVerifier } from './verify-request.js';

const DAY_MS = 86_400_000;
/** Actor recorded for the issuer's own automatic transitions. */
export const ISSUER_ACTOR = 'issuer';

/** Options of a {@link LabIssuer}. */
export interface LabIssuerOptions {
  store: IssuerStore;
  /** Key derivation for the encrypted CA keys and provisioning packages (Argon2id). */
  kdf: KeyDerivation;
  /** Argon2id parameters for files this issuer encrypts; omit for the container's defaults. Tests pass cheaper ones. */
  kdfParameters?: Argon2idParameters;
  logger?: Logger;
  /** Clock; default the system time. */
  now?: () => Date;
}

/** The three files of a provisioning package for one component. */
export interface ProvisioningPackage {
  systemId: string;
  componentHandle: string;
  profileId: string;
  /** `.mcts`: the system's trust anchors. */
  trustStore: Uint8Array;
  /** `.mcpp`: the key roles to generate, signed by the profile signer, with the provisioning certificate. */
  profile: Uint8Array;
  /** `.mcpip`: the provisioning identity's key, certificate and chain, encrypted under the package passphrase. */
  identity: Uint8Array;
  /** Lowercase hex serial of the provisioning certificate. */
  provisioningSerialHex: string;
}

/** A proxy identity as {@link LabIssuer.issueProxy} returns it. */
export interface ProxyIdentity {
  /** `.mcpi`: the proxy key (role `proxy`), its certificate and the issuing CA, encrypted under the proxy passphrase. */
  identity: Uint8Array;
  certificate: Certificate;
  record: ProxyRecord;
}

/** Key role of the proxy key inside its `.mcpi`. */
export const PROXY_KEY_ROLE = 'proxy';

/** Outcome of submitting one request. */
export interface SubmitResult {
  file: string;
  /** False when any check failed, including a replay (which is not recorded). */
  ok: boolean;
  systemId?: string;
  requestId?: string;
  hardwareId?: string;
  componentHandle?: string;
  /** State after submission; undefined when the request was not recorded (unreadable, unknown system, replay). */
  state?: RequestState;
  failures: VerificationFailure[];
  warnings: string[];
  /** The Certified Profile, when the system approves automatically and a CA was given to issue it. */
  profile?: Uint8Array;
}

/** Progress of a batch: files done out of the total. */
export type ProgressCallback = (done: number, total: number) => void;

/**
 * The lab issuer: creates systems and their CA hierarchy, exports provisioning packages,
 * checks Provision Requests, runs the approval states, issues certificates and Certified
 * Profiles, and reports. All state lives in the {@link IssuerStore}; CA keys are used only
 * after {@link LabIssuer.unlock} decrypted them with the operator's passphrase.
 */
export class LabIssuer {
  readonly store: IssuerStore;
  readonly #kdf: KeyDerivation;
  readonly #kdfParameters: Argon2idParameters | undefined;
  readonly #logger: Logger;
  readonly #now: () => Date;
  readonly verifier = new RequestVerifier();

  constructor(options: LabIssuerOptions) {
    this.store = options.store;
    this.#kdf = options.kdf;
    this.#kdfParameters = options.kdfParameters;
    this.#logger = (options.logger ?? silentLogger()).child('issuer');
    this.#now = options.now ?? (() => new Date());
  }

  /**
   * Creates a system and its CA hierarchy, with the CA keys encrypted under `passphrase`.
   * Throws ProvkitError('invalid-argument') for a bad spec, ('invalid-state') when a system of
   * that name exists.
   */
  async createSystem(spec: SystemSpec, passphrase: string, options: { signal?: AbortSignal } = {}): Promise<SystemRecord> {
    const normalised = normaliseSystemSpec(spec);
    const existing = await this.store.transaction((tx) => tx.listSystems());
    if (existing.some((system) => system.name === normalised.name)) {
      throw new ProvkitError('invalid-state', `a system named ${JSON.stringify(normalised.name)} already exists; choose another name`);
    }
    const now = this.#now();
    const id = newUuid();
    const { record: ca } = await createCaHierarchy({
      systemId: id,
      systemName: normalised.name,
      algorithm: normalised.caAlgorithm,
      validityDays: normalised.caValidityDays,
      passphrase,
      protection: withParameters({ kdf: this.#kdf }, this.#kdfParameters),
      now,
      ...(options.signal !== undefined ? { signal: options.signal } : {}),
    });
    const system: SystemRecord = {
      id,
      name: normalised.name,
      approvalMode: normalised.approvalMode,
      components: normalised.components,
      requestWindowSeconds: normalised.requestWindowSeconds,
      createdAt: now.toISOString(),
      ca,
    };
    if (normalised.hardwareIdAllowList !== undefined) system.hardwareIdAllowList = normalised.hardwareIdAllowList;
    await this.store.transaction(async (tx) => {
      if ((await tx.listSystems()).some((other) => other.name === system.name)) {
        throw new ProvkitError('invalid-state', `a system named ${JSON.stringify(system.name)} already exists; choose another name`);
      }
      await tx.putSystem(system);
    });
    this.#logger.info('system created', { systemId: id, name: system.name, approvalMode: system.approvalMode, components: system.components.length });
    return system;
  }

  /** Lists the systems of the store. */
  async listSystems(): Promise<SystemRecord[]> {
    return this.store.transaction((tx) => tx.listSystems());
  }

  /**
   * Finds a system by id or name, or the only system when `idOrName` is undefined.
   * Throws ProvkitError('not-found'), or ('invalid-argument') when several systems exist and none is named.
   */
  async findSystem(idOrName?: string): Promise<SystemRecord> {
    const systems = await this.listSystems();
    if (idOrName === undefined) {
      if (systems.length === 1) return systems[0]!;
      if (systems.length === 0) throw new ProvkitError('not-found', 'the lab has no system yet; create one with "provkit lab init"');
      throw new ProvkitError('invalid-argument', `the lab has ${systems.length} systems (${systems.map((system) => system.name).join(', ')}); name one with --system`);
    }
    const system = systems.find((candidate) => candidate.id === idOrName || candidate.name === idOrName);
    if (system === undefined) throw new ProvkitError('not-found', `no system with id or name ${JSON.stringify(idOrName)}; the lab has ${systems.map((candidate) => candidate.name).join(', ') || 'none'}`);
    return system;
  }

  /** Finds the system a request id belongs to; throws ProvkitError('not-found'). */
  async findRequest(requestId: string): Promise<RequestRecord> {
    return this.store.transaction(async (tx) => {
      for (const system of await tx.listSystems()) {
        const record = await tx.getRequest(system.id, requestId);
        if (record !== undefined) return record;
      }
      throw new ProvkitError('not-found', `no request with id ${requestId} in this lab; check the id with "provkit lab report"`);
    });
  }

  /** Decrypts a system's CA keys; throws ProvkitError('decrypt-failed') for a wrong passphrase. */
  async unlock(systemId: string, passphrase: string, signal?: AbortSignal): Promise<UnlockedCa> {
    const system = await this.store.transaction((tx) => requireSystem(tx, systemId));
    return unlockCa(system, passphrase, this.#kdf, signal);
  }

  /** Returns the system's TrustStore (`.mcts`) holding its root certificate. */
  async trustStore(systemId: string): Promise<Uint8Array> {
    const system = await this.store.transaction((tx) => requireSystem(tx, systemId));
    return writeTrustStore([parseCertificate(system.ca.root, { file: `system ${system.name}`, field: 'ca.root' })]);
  }

  /**
   * Exports a provisioning package for a component: a fresh provisioning identity (key and
   * certificate under the provisioning CA), the `.mcpp` naming it, and the TrustStore. Throws
   * ProvkitError('not-allowed') for a component the system does not have.
   */
  async exportPackage(
    systemId: string,
    componentHandle: string,
    options: { ca: UnlockedCa; packagePassphrase: string; validityDays?: number; algorithm?: KeyAlgorithmName; signal?: AbortSignal },
  ): Promise<ProvisioningPackage> {
    const system = await this.store.transaction((tx) => requireSystem(tx, systemId));
    const component = requireComponent(system, componentHandle);
    checkUnlocked(options.ca, system);
    const now = this.#now();
    const algorithm = options.algorithm ?? 'ecdsa-p256';
    const { keys, spki } = await generateProvisioningKey(algorithm);
    const certificate = await issueProvisioningCertificate({
      ca: options.ca,
      systemName: system.name,
      componentHandle,
      subjectSpki: spki,
      validityDays: options.validityDays ?? 365,
      now,
    });
    const profileId = newUuid();
    const profile = await createProfileToProvision({
      profile: profileDefinition(system, component, profileId, now),
      provisioningCertificate: certificate,
      // The certificate set also carries the provisioning CA, so that the device can validate
      // the provisioning certificate the profile names.
      signer: { ...profileSigner(options.ca), chain: [options.ca.provisioningCa.certificate] },
      signingTime: now,
    });
    const identity = await encryptPrivateIdentity(
      {
        kind: 'mcpip',
        systemId: system.id,
        componentHandle,
        keys: [{ role: 'provisioning', algorithm, pkcs8: await exportPkcs8(keys.privateKey), certificate: certificate.der, chain: [options.ca.provisioningCa.certificate.der] }],
      },
      options.packagePassphrase,
      withParameters({ kdf: this.#kdf, ...(options.signal !== undefined ? { signal: options.signal } : {}) }, this.#kdfParameters),
    );
    await this.store.transaction(async (tx) => {
      await tx.putPackage({ systemId, componentHandle, serialHex: certificate.serialHex, certificate: certificate.der, profileId, createdAt: now.toISOString() });
    });
    this.#logger.info('package exported', { systemId, component: componentHandle, profileId, provisioningSerial: certificate.serialHex, notAfter: certificate.notAfter.toISOString() });
    return {
      systemId,
      componentHandle,
      profileId,
      trustStore: writeTrustStore([options.ca.root.certificate]),
      profile: profile.bytes,
      identity,
      provisioningSerialHex: certificate.serialHex,
    };
  }

  /**
   * Issues a proxy identity for a system: a new key pair and a certificate with the proxy
   * usage under the issuing CA, returned as a `.mcpi` encrypted under `proxyPassphrase` and
   * recorded in the system. `name` (the CN and the `.mcpi` hardware id) is unique per system.
   * Throws ProvkitError('invalid-argument') for a bad name, ('invalid-state') for a name in use.
   */
  async issueProxy(
    systemId: string,
    name: string,
    options: { ca: UnlockedCa; proxyPassphrase: string; validityDays?: number; algorithm?: KeyAlgorithmName; signal?: AbortSignal },
  ): Promise<ProxyIdentity> {
    if (!/^[A-Za-z0-9._:-]{1,36}$/.test(name)) {
      throw new ProvkitError('invalid-argument', `proxy name ${JSON.stringify(name)} must be 1 to 36 letters, digits, '.', '_', ':' or '-', because the .mcpi header stores it as the hardware id`);
    }
    const system = await this.store.transaction((tx) => requireSystem(tx, systemId));
    checkUnlocked(options.ca, system);
    const inUse = (candidate: SystemRecord): boolean => (candidate.proxies ?? []).some((proxy) => proxy.name === name);
    if (inUse(system)) throw new ProvkitError('invalid-state', `system ${system.name} already has a proxy named ${JSON.stringify(name)}; choose another name`);
    const now = this.#now();
    const algorithm = options.algorithm ?? 'ecdsa-p256';
    const { keys, spki } = await generateProvisioningKey(algorithm);
    const certificate = await issueProxyCertificate({ ca: options.ca, systemName: system.name, name, subjectSpki: spki, validityDays: options.validityDays ?? 365, now });
    const identity = await encryptPrivateIdentity(
      {
        kind: 'mcpi',
        systemId: system.id,
        componentHandle: PROXY_KEY_ROLE,
        hardwareId: name,
        keys: [{ role: PROXY_KEY_ROLE, algorithm, pkcs8: await exportPkcs8(keys.privateKey), certificate: certificate.der, chain: [options.ca.issuingCa.certificate.der] }],
      },
      options.proxyPassphrase,
      withParameters({ kdf: this.#kdf, ...(options.signal !== undefined ? { signal: options.signal } : {}) }, this.#kdfParameters),
    );
    const record: ProxyRecord = { name, serialHex: certificate.serialHex, subject: certificate.subjectName, certificate: certificate.der, notAfter: certificate.notAfter.toISOString(), createdAt: now.toISOString() };
    await this.store.transaction(async (tx) => {
      const current = await requireSystem(tx, systemId);
      if (inUse(current)) throw new ProvkitError('invalid-state', `system ${current.name} already has a proxy named ${JSON.stringify(name)}; choose another name`);
      await tx.putSystem({ ...current, proxies: [...(current.proxies ?? []), record] });
    });
    this.#logger.info('proxy issued', { systemId, name, serial: certificate.serialHex, notAfter: record.notAfter });
    return { identity, certificate, record };
  }

  /** Lists the proxy identities issued for a system, oldest first; throws ProvkitError('not-found'). */
  async listProxies(systemId: string): Promise<ProxyRecord[]> {
    const system = await this.store.transaction((tx) => requireSystem(tx, systemId));
    return [...(system.proxies ?? [])];
  }

  /**
   * Checks a Provision Request and records it: Verifying, then Failed (with the code of the
   * first failed check), Auto-approved or Needs approval. When the system approves
   * automatically and `ca` is given, issues the Certified Profile at once. A request that
   * cannot be read, names an unknown system or replays a request id is not recorded; its
   * failure is in the result. Throws only for storage failures.
   */
  async submitRequest(bytes: Uint8Array, options: { file?: string; actor?: string; ca?: UnlockedCa } = {}): Promise<SubmitResult> {
    const file = options.file ?? 'request.mcpr';
    const actor = options.actor ?? ISSUER_ACTOR;
    const now = this.#now();
    let request;
    try {
      request = this.verifier.read(bytes, file);
    } catch (error) {
      return this.#unrecorded(file, error);
    }
    const manifest = request.manifest;
    const base = { file, requestId: manifest.requestId, hardwareId: manifest.hardwareId, componentHandle: manifest.componentHandle };

    const context = await this.store.transaction(async (tx) => {
      const system = await tx.getSystem(manifest.systemId);
      if (system === undefined) return undefined;
      return { system, packages: await tx.listPackages(system.id), certificates: await tx.listCertificates(system.id), seen: await tx.hasSeenRequestId(system.id, manifest.requestId) };
    });
    if (context === undefined) {
      this.#logger.warn('request for an unknown system', { file, requestId: manifest.requestId, systemId: manifest.systemId });
      return { ...base, ok: false, failures: [{ code: 'not-found', message: `${file}: manifest.systemId: system ${manifest.systemId} does not exist in this lab` }], warnings: request.warnings };
    }
    const { system } = context;
    const verification = await this.verifier.verify(request, context, now, () => context.seen);

    const replay = verification.failures.find((failure) => failure.code === 'replay');
    if (replay !== undefined) {
      this.#logger.warn('replayed request', { file, systemId: system.id, requestId: manifest.requestId, hardwareId: manifest.hardwareId });
      return { ...base, systemId: system.id, ok: false, failures: [replay, ...verification.failures.filter((failure) => failure !== replay)], warnings: verification.warnings };
    }

    const first = verification.failures[0];
    const state = await this.store.transaction(async (tx) => {
      if (!(await tx.markRequestIdSeen(system.id, manifest.requestId))) return 'replay' as const;
      // A proxied request names its proxy as the actor that delivered it.
      const proxySigner = verification.proxySigner;
      let history = applyTransition([], 'verifying', { actor: proxySigner === undefined ? ISSUER_ACTOR : `proxy ${proxySigner.serialHex}`, at: now }, manifest.requestId);
      if (first !== undefined) {
        history = applyTransition(history, 'failed', { actor: ISSUER_ACTOR, at: now, code: first.code, message: first.message }, manifest.requestId);
      } else {
        history = applyTransition(history, system.approvalMode === 'automatic' ? 'auto-approved' : 'needs-approval', { actor: system.approvalMode === 'automatic' ? ISSUER_ACTOR : actor, at: now }, manifest.requestId);
      }
      const record: RequestRecord = {
        systemId: system.id,
        requestId: manifest.requestId,
        componentHandle: manifest.componentHandle,
        hardwareId: manifest.hardwareId,
        reprovisioning: manifest.purpose === 'reprovision',
        receivedAt: now.toISOString(),
        request: request.bytes,
        history,
      };
      if (first !== undefined) record.failure = { code: first.code, message: first.message };
      if (proxySigner !== undefined) record.proxy = { serialHex: proxySigner.serialHex, subject: proxySigner.subjectName };
      await tx.putRequest(record);
      const device = (await tx.getDevice(system.id, manifest.hardwareId)) ?? { systemId: system.id, hardwareId: manifest.hardwareId, componentHandle: manifest.componentHandle, requestIds: [] };
      if (first === undefined) device.componentHandle = manifest.componentHandle;
      device.requestIds = [...device.requestIds, manifest.requestId];
      await tx.putDevice(device);
      return currentState(history);
    });
    if (state === 'replay') {
      const failure: VerificationFailure = { code: 'replay', message: `${file}: manifest.requestId: request id ${manifest.requestId} was already submitted; the device must create a new request` };
      return { ...base, systemId: system.id, ok: false, failures: [failure], warnings: verification.warnings };
    }

    const fields = { file, systemId: system.id, requestId: manifest.requestId, hardwareId: manifest.hardwareId, state };
    if (first !== undefined) this.#logger.warn('request failed verification', { ...fields, code: first.code, failures: verification.failures.length });
    else this.#logger.info('request accepted', fields);

    const result: SubmitResult = { ...base, systemId: system.id, ok: first === undefined, state, failures: verification.failures, warnings: verification.warnings };
    if (state === 'auto-approved' && options.ca !== undefined) {
      result.profile = await this.issueProfile(system.id, manifest.requestId, { ca: options.ca, actor: ISSUER_ACTOR });
      result.state = 'provisioning';
    }
    return result;
  }

  /**
   * Submits many requests, `concurrency` (default 8) at a time, and returns the results in
   * input order, reporting progress after each. Concurrency is safe: the replay check and the
   * record are one store transaction per request. Throws ProvkitError('cancelled') when
   * `signal` aborts; requests already submitted stay recorded.
   */
  async submitBatch(
    files: Array<{ bytes: Uint8Array; file: string }>,
    options: { actor?: string; ca?: UnlockedCa; signal?: AbortSignal; onProgress?: ProgressCallback; concurrency?: number } = {},
  ): Promise<SubmitResult[]> {
    return mapConcurrent(
      files,
      options.concurrency ?? 8,
      (entry) => this.submitRequest(entry.bytes, { file: entry.file, ...(options.actor !== undefined ? { actor: options.actor } : {}), ...(options.ca !== undefined ? { ca: options.ca } : {}) }),
      { what: 'request submission', ...(options.signal !== undefined ? { signal: options.signal } : {}), ...(options.onProgress !== undefined ? { onProgress: options.onProgress } : {}) },
    );
  }

  /** Approves a request that needs approval; throws ProvkitError('invalid-state') from any other state. */
  async approve(systemId: string, requestId: string, actor: string): Promise<RequestRecord> {
    return this.#transition(systemId, requestId, 'approved', { actor });
  }

  /** Rejects a request that needs approval, with a reason; throws ProvkitError('invalid-state') from any other state. */
  async reject(systemId: string, requestId: string, actor: string, reason: string): Promise<RequestRecord> {
    return this.#transition(systemId, requestId, 'rejected', { actor, reason });
  }

  /** Marks a provisioning request as provisioned once the device installed its profile. */
  async complete(systemId: string, requestId: string, actor: string): Promise<RequestRecord> {
    return this.#transition(systemId, requestId, 'provisioned', { actor });
  }

  /**
   * Issues the certificates of an approved request and its Certified Profile (`.mcp`), and
   * moves it to Provisioning. For a request already in Provisioning or Provisioned, returns
   * the profile issued before. Throws ProvkitError('invalid-state') from any other state.
   */
  async issueProfile(systemId: string, requestId: string, options: { ca: UnlockedCa; actor: string }): Promise<Uint8Array> {
    const { system, record } = await this.store.transaction(async (tx) => ({ system: await requireSystem(tx, systemId), record: await requireRequest(tx, systemId, requestId) }));
    const state = currentState(record.history);
    if ((state === 'provisioning' || state === 'provisioned') && record.profile !== undefined) return record.profile;
    if (state !== 'approved' && state !== 'auto-approved') {
      throw new ProvkitError('invalid-state', `request ${requestId} is ${state}; a profile is issued only for an approved request`);
    }
    checkUnlocked(options.ca, system);
    const now = this.#now();
    const request = readProvisionRequest(record.request, { file: `request ${requestId}` });
    const manifest = request.manifest;
    const component = requireComponent(system, manifest.componentHandle);

    const issued: Array<{ role: string; certificate: Certificate }> = [];
    const notBefore = new Date(Math.floor(now.getTime() / 1000) * 1000 - 60_000);
    for (const [index, entry] of manifest.csrs.entries()) {
      const spec = component.roles.find((role) => role.role === entry.role);
      if (spec === undefined) throw new ProvkitError('mismatch', `role "${entry.role}" is no longer a key role of component "${component.handle}"`, { file: `request ${requestId}` });
      const certificate = await issueCertificate({
        subject: expandSubjectTemplate(spec.subjectTemplate, { hardwareId: manifest.hardwareId, componentHandle: manifest.componentHandle, role: spec.role, systemId: system.id, requestId }),
        subjectSpki: request.csrs[index]!.spki,
        issuer: options.ca.issuingCa.certificate,
        issuerKey: options.ca.issuingCa.privateKey,
        issuerAlgorithm: options.ca.issuingCa.algorithm,
        notBefore,
        notAfter: clampTo(new Date(notBefore.getTime() + spec.validityDays * DAY_MS), options.ca.issuingCa.certificate.notAfter),
        keyUsage: spec.keyUsage,
        extendedKeyUsage: spec.extendedKeyUsage,
        subjectAltNames: [{ type: 'uri', value: hardwareIdUri(manifest.hardwareId) }],
      });
      issued.push({ role: spec.role, certificate });
    }
    const profile = await createCertifiedProfile({
      profile: profileDefinition(system, component, manifest.profileId, now),
      hardwareId: manifest.hardwareId,
      requestId,
      issued,
      issuedChain: [options.ca.issuingCa.certificate],
      signer: profileSigner(options.ca),
      signingTime: now,
    });

    await this.store.transaction(async (tx) => {
      const current = await requireRequest(tx, systemId, requestId);
      const history = applyTransition(current.history, 'provisioning', { actor: options.actor, at: now }, requestId);
      await tx.putRequest({ ...current, history, profile: profile.bytes });
      for (const entry of issued) {
        const certificateRecord: IssuedCertificateRecord = {
          systemId,
          serialHex: entry.certificate.serialHex,
          requestId,
          hardwareId: manifest.hardwareId,
          role: entry.role,
          notBefore: entry.certificate.notBefore.toISOString(),
          notAfter: entry.certificate.notAfter.toISOString(),
          certificate: entry.certificate.der,
        };
        await tx.putCertificate(certificateRecord);
      }
    });
    this.#logger.info('profile issued', { systemId, requestId, hardwareId: manifest.hardwareId, certificates: issued.map((entry) => `${entry.role}=${entry.certificate.serialHex}`).join(';') });
    return profile.bytes;
  }

  /** Reads a request record; throws ProvkitError('not-found'). */
  async getRequest(systemId: string, requestId: string): Promise<RequestRecord> {
    return this.store.transaction((tx) => requireRequest(tx, systemId, requestId));
  }

  /** Builds the provisioning report of a system. */
  async report(systemId: string): Promise<ProvisioningReport> {
    return buildProvisioningReport(this.store, systemId, this.#now());
  }

  async #transition(systemId: string, requestId: string, to: RequestState, details: { actor: string; reason?: string }): Promise<RequestRecord> {
    const now = this.#now();
    const record = await this.store.transaction(async (tx) => {
      const current = await requireRequest(tx, systemId, requestId);
      const history = applyTransition(current.history, to, { ...details, at: now }, requestId);
      const updated = { ...current, history };
      await tx.putRequest(updated);
      return updated;
    });
    this.#logger.info(`request ${to}`, { systemId, requestId, hardwareId: record.hardwareId, actor: details.actor });
    return record;
  }

  #unrecorded(file: string, error: unknown): SubmitResult {
    if (!(error instanceof ProvkitError)) throw error;
    this.#logger.warn('unreadable request', { file, code: error.code });
    return { file, ok: false, failures: [{ code: error.code, message: error.message }], warnings: [] };
  }
}

function requireComponent(system: SystemRecord, handle: string): ComponentRecord {
  const component = system.components.find((candidate) => candidate.handle === handle);
  if (component === undefined) {
    throw new ProvkitError('not-allowed', `system ${system.name} has no component "${handle}"; its components are ${system.components.map((candidate) => candidate.handle).join(', ')}`);
  }
  return component;
}

function checkUnlocked(ca: UnlockedCa, system: SystemRecord): void {
  if (ca.systemId !== system.id) throw new ProvkitError('mismatch', `the unlocked CA belongs to system ${ca.systemId}, not ${system.id}`);
}

function profileDefinition(system: SystemRecord, component: ComponentRecord, profileId: string, now: Date): ProfileDefinition {
  const definition: ProfileDefinition = { profileId, systemId: system.id, systemName: system.name, componentHandle: component.handle, keyRoles: component.roles, createdAt: now };
  if (component.name !== undefined) definition.componentName = component.name;
  return definition;
}

function profileSigner(ca: UnlockedCa): { certificate: Certificate; privateKey: CryptoKey; algorithm: KeyAlgorithmName; chain: Certificate[] } {
  return { certificate: ca.profileSigner.certificate, privateKey: ca.profileSigner.privateKey, algorithm: ca.profileSigner.algorithm, chain: [] };
}

/** Returns the error code of the first failure, for callers that report one class. */
export function primaryFailureCode(result: SubmitResult): ErrorCode | undefined {
  return result.failures[0]?.code;
}
