import { ProvkitError, type ErrorCode } from '../errors.js';
import type { KeyRoleSpec } from '../formats/manifest.js';
import type { StateTransition } from './states.js';

/**
 * Storage of the lab issuer behind one interface, so that the same issuer code runs on an
 * in-memory store (tests), a directory (`provkit lab --lab DIR`), IndexedDB (the page) or a
 * server database. Every change happens inside {@link IssuerStore.transaction}, which either
 * applies all of its writes or none.
 *
 * Records hold no plaintext key material: CA keys are stored as an encrypted Private Identity
 * container, and devices' private keys never reach the issuer.
 */

/** A key role of a component, exactly as the Certified Profiles carry it. */
export type RoleSpecRecord = KeyRoleSpec;

/** A component of a system: a device type with its key roles. */
export interface ComponentRecord {
  handle: string;
  /** Human-readable name, copied into the profiles as `componentName`. */
  name?: string;
  roles: RoleSpecRecord[];
}

/** The certificates of a system's CA hierarchy and its encrypted private keys. */
export interface CaRecord {
  /** DER certificates. */
  root: Uint8Array;
  issuingCa: Uint8Array;
  profileSigner: Uint8Array;
  provisioningCa: Uint8Array;
  /** The four CA private keys as an encrypted Private Identity container of kind `issuer-keys`. */
  encryptedKeys: Uint8Array;
}

/** A provisioning system: its settings and its CA hierarchy. */
export interface SystemRecord {
  id: string;
  name: string;
  approvalMode: 'automatic' | 'manual';
  components: ComponentRecord[];
  /** Allowed hardware ids; absent means any hardware id is accepted. */
  hardwareIdAllowList?: string[];
  /** How far a request's creation time may lie from the time it is processed, in seconds. */
  requestWindowSeconds: number;
  createdAt: string;
  ca: CaRecord;
  /** Proxy identities issued for the system; absent in labs created before proxies existed. */
  proxies?: ProxyRecord[];
}

/** A proxy identity issued for a system: the device that wraps other devices' requests. */
export interface ProxyRecord {
  /** Name given at issue, unique within the system; the certificate's CN. */
  name: string;
  /** Lowercase hex serial of the proxy certificate. */
  serialHex: string;
  /** The certificate's subject as a string, for example "CN=gateway-1,OU=proxy,O=Pumps". */
  subject: string;
  certificate: Uint8Array;
  notAfter: string;
  createdAt: string;
}

/** A provisioning package exported for a component: the provisioning certificate it carries. */
export interface PackageRecord {
  systemId: string;
  componentHandle: string;
  /** Lowercase hex serial of the provisioning certificate. */
  serialHex: string;
  certificate: Uint8Array;
  /** profileId of the `.mcpp` exported with it; requests must name a profile the system issued. */
  profileId: string;
  createdAt: string;
}

/** One received Provision Request and what became of it. */
export interface RequestRecord {
  systemId: string;
  requestId: string;
  componentHandle: string;
  hardwareId: string;
  /** True when the request was signed with a device identity rather than a provisioning identity. */
  reprovisioning: boolean;
  receivedAt: string;
  /** The `.mcpr` exactly as received. */
  request: Uint8Array;
  history: StateTransition[];
  /** The Certified Profile (`.mcp`) once issued. */
  profile?: Uint8Array;
  /** Set when verification failed: the code and message of the first failed check. */
  failure?: { code: ErrorCode; message: string };
  /** The proxy whose outer SignedData carried the request, when it arrived wrapped. */
  proxy?: { serialHex: string; subject: string };
}

/** A certificate issued to a device. */
export interface IssuedCertificateRecord {
  systemId: string;
  serialHex: string;
  requestId: string;
  hardwareId: string;
  role: string;
  notBefore: string;
  notAfter: string;
  certificate: Uint8Array;
}

/** A device of a system, identified by its hardware id, with the requests it sent. */
export interface DeviceRecord {
  systemId: string;
  hardwareId: string;
  componentHandle: string;
  /** Request ids in the order they were received; the last one is the device's current request. */
  requestIds: string[];
}

/**
 * Reads and writes inside one atomic transaction. Implementations must not let another
 * transaction observe the writes before the transaction ends, and must discard all of them
 * when the callback throws.
 */
export interface IssuerTransaction {
  getSystem(systemId: string): Promise<SystemRecord | undefined>;
  listSystems(): Promise<SystemRecord[]>;
  putSystem(system: SystemRecord): Promise<void>;

  putPackage(record: PackageRecord): Promise<void>;
  listPackages(systemId: string): Promise<PackageRecord[]>;

  getRequest(systemId: string, requestId: string): Promise<RequestRecord | undefined>;
  listRequests(systemId: string): Promise<RequestRecord[]>;
  putRequest(record: RequestRecord): Promise<void>;

  getDevice(systemId: string, hardwareId: string): Promise<DeviceRecord | undefined>;
  listDevices(systemId: string): Promise<DeviceRecord[]>;
  putDevice(record: DeviceRecord): Promise<void>;

  /** Records a request id as seen; returns false when it was already recorded (a replay). */
  markRequestIdSeen(systemId: string, requestId: string): Promise<boolean>;
  hasSeenRequestId(systemId: string, requestId: string): Promise<boolean>;

  putCertificate(record: IssuedCertificateRecord): Promise<void>;
  listCertificates(systemId: string, requestId?: string): Promise<IssuedCertificateRecord[]>;
}

/**
 * The issuer's storage. `transaction` runs `body` atomically. LabIssuer does its cryptography
 * before or after a transaction and only reads and writes the store inside one, so an
 * implementation may hold a database transaction open for the whole callback.
 */
export interface IssuerStore {
  transaction<T>(body: (tx: IssuerTransaction) => Promise<T>): Promise<T>;
}

/** The whole content of a store, as the snapshot-based implementations hold it. */
export interface IssuerData {
  version: 1;
  systems: Record<string, SystemRecord>;
  packages: Record<string, PackageRecord[]>;
  /** Keyed by system id, then request id. */
  requests: Record<string, Record<string, RequestRecord>>;
  /** Keyed by system id, then hardware id. */
  devices: Record<string, Record<string, DeviceRecord>>;
  /** Keyed by system id. */
  seenRequestIds: Record<string, string[]>;
  /** Keyed by system id. */
  certificates: Record<string, IssuedCertificateRecord[]>;
}

/** Returns an empty store content. */
export function emptyIssuerData(): IssuerData {
  return { version: 1, systems: {}, packages: {}, requests: {}, devices: {}, seenRequestIds: {}, certificates: {} };
}

/**
 * Reads an own property only. Keys such as hardware ids come from devices, and a hardware id
 * may be `__proto__`, which plain indexing would resolve to the object's prototype.
 */
function ownValue<T>(map: Record<string, T> | undefined, key: string): T | undefined {
  return map !== undefined && Object.hasOwn(map, key) ? map[key] : undefined;
}

/** Writes an own data property, even for the key `__proto__`, which plain assignment would treat as a prototype change. */
function setOwnValue<T>(map: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(map, key, { value, enumerable: true, writable: true, configurable: true });
}

/** A transaction over an in-memory copy of {@link IssuerData}; writes go to that copy only. */
class SnapshotTransaction implements IssuerTransaction {
  constructor(private readonly data: IssuerData) {}

  async getSystem(systemId: string): Promise<SystemRecord | undefined> {
    return ownValue(this.data.systems, systemId);
  }

  async listSystems(): Promise<SystemRecord[]> {
    return Object.values(this.data.systems);
  }

  async putSystem(system: SystemRecord): Promise<void> {
    setOwnValue(this.data.systems, system.id, system);
  }

  async putPackage(record: PackageRecord): Promise<void> {
    (this.data.packages[record.systemId] ??= []).push(record);
  }

  async listPackages(systemId: string): Promise<PackageRecord[]> {
    return [...(this.data.packages[systemId] ?? [])];
  }

  async getRequest(systemId: string, requestId: string): Promise<RequestRecord | undefined> {
    return ownValue(this.data.requests[systemId], requestId);
  }

  async listRequests(systemId: string): Promise<RequestRecord[]> {
    return Object.values(this.data.requests[systemId] ?? {});
  }

  async putRequest(record: RequestRecord): Promise<void> {
    setOwnValue((this.data.requests[record.systemId] ??= {}), record.requestId, record);
  }

  async getDevice(systemId: string, hardwareId: string): Promise<DeviceRecord | undefined> {
    return ownValue(this.data.devices[systemId], hardwareId);
  }

  async listDevices(systemId: string): Promise<DeviceRecord[]> {
    return Object.values(this.data.devices[systemId] ?? {});
  }

  async putDevice(record: DeviceRecord): Promise<void> {
    setOwnValue((this.data.devices[record.systemId] ??= {}), record.hardwareId, record);
  }

  async markRequestIdSeen(systemId: string, requestId: string): Promise<boolean> {
    const seen = (this.data.seenRequestIds[systemId] ??= []);
    if (seen.includes(requestId)) return false;
    seen.push(requestId);
    return true;
  }

  async hasSeenRequestId(systemId: string, requestId: string): Promise<boolean> {
    return this.data.seenRequestIds[systemId]?.includes(requestId) ?? false;
  }

  async putCertificate(record: IssuedCertificateRecord): Promise<void> {
    (this.data.certificates[record.systemId] ??= []).push(record);
  }

  async listCertificates(systemId: string, requestId?: string): Promise<IssuedCertificateRecord[]> {
    const all = this.data.certificates[systemId] ?? [];
    return requestId === undefined ? [...all] : all.filter((record) => record.requestId === requestId);
  }
}

/**
 * A store that keeps the whole content as one snapshot: a transaction runs against a deep
 * copy, and the copy replaces the snapshot (and is persisted) only when the callback returns.
 * Transactions are serialised, so concurrent callers never interleave.
 * NOTE: every transaction copies the whole content, so its cost grows with the number of
 * records. That suits a lab, not a production issuer database.
 */
export abstract class SnapshotIssuerStore implements IssuerStore {
  #queue: Promise<unknown> = Promise.resolve();

  /** Reads the committed content. */
  protected abstract load(): Promise<IssuerData>;
  /** Persists new content; must be atomic (all or nothing). */
  protected abstract save(data: IssuerData): Promise<void>;

  /** Takes a lock shared with other processes, if the medium needs one; returns its release function. */
  protected async lock(): Promise<() => Promise<void>> {
    return async () => {};
  }

  transaction<T>(body: (tx: IssuerTransaction) => Promise<T>): Promise<T> {
    const run = async (): Promise<T> => {
      const release = await this.lock();
      try {
        const working = structuredClone(await this.load());
        const result = await body(new SnapshotTransaction(working));
        await this.save(working);
        return result;
      } finally {
        await release();
      }
    };
    const next = this.#queue.then(run, run);
    this.#queue = next.catch(() => undefined);
    return next;
  }
}

/** An issuer store in memory, for tests and for the page before it persists anything. */
export class MemoryIssuerStore extends SnapshotIssuerStore {
  #data: IssuerData;

  constructor(initial: IssuerData = emptyIssuerData()) {
    super();
    this.#data = structuredClone(initial);
  }

  protected async load(): Promise<IssuerData> {
    return this.#data;
  }

  protected async save(data: IssuerData): Promise<void> {
    this.#data = data;
  }

  /** Returns a deep copy of the committed content. */
  snapshot(): IssuerData {
    return structuredClone(this.#data);
  }
}

/** Reads a system or throws ProvkitError('not-found') naming it. */
export async function requireSystem(tx: IssuerTransaction, systemId: string): Promise<SystemRecord> {
  const system = await tx.getSystem(systemId);
  if (system === undefined) {
    throw new ProvkitError('not-found', `system ${JSON.stringify(systemId)} does not exist; list systems with "provkit lab report"`);
  }
  return system;
}

/** Reads a request or throws ProvkitError('not-found') naming it. */
export async function requireRequest(tx: IssuerTransaction, systemId: string, requestId: string): Promise<RequestRecord> {
  const record = await tx.getRequest(systemId, requestId);
  if (record === undefined) {
    throw new ProvkitError('not-found', `request ${requestId} is not known to system ${systemId}; submit it first`);
  }
  return record;
}
