import type {
  DeviceRecord,
  IssuedCertificateRecord,
  IssuerStore,
  IssuerTransaction,
  PackageRecord,
  RequestRecord,
  SystemRecord,
} from '../issuer/store.js';
import { inTransaction, type ProvkitDatabase } from './db.js';

/**
 * Keys of the `issuer` object store. One record per issuer entity, so a transaction writes
 * only what it changed; a prefix per kind and system lets lists read one key range. Parts are
 * URI-encoded so that a `/` inside an id cannot reach into another system's range.
 */
const part = encodeURIComponent;
const key = {
  system: (systemId: string) => `system/${part(systemId)}`,
  package: (record: PackageRecord) =>
    `package/${part(record.systemId)}/${part(record.componentHandle)}/${part(record.serialHex)}`,
  request: (systemId: string, requestId: string) => `request/${part(systemId)}/${part(requestId)}`,
  device: (systemId: string, hardwareId: string) => `device/${part(systemId)}/${part(hardwareId)}`,
  seen: (systemId: string, requestId: string) => `seen/${part(systemId)}/${part(requestId)}`,
  // Per request in issue order (role order), as the other stores list them.
  certificate: (record: IssuedCertificateRecord, index: number) =>
    `certificate/${part(record.systemId)}/${part(record.requestId)}/${String(index).padStart(4, '0')}`,
};

/** Writes of the running transaction, by record key. */
type Pending = Map<string, unknown>;

/** Name of the Web Lock that serialises lab issuer transactions across tabs of one origin. */
export const ISSUER_LOCK_NAME = 'provkit-lab-issuer';

/** The part of the Web Locks API (`navigator.locks`) the store uses. */
interface LockManagerLike {
  request<T>(name: string, callback: () => Promise<T>): Promise<T>;
}

/**
 * Runs `body` while holding the issuer's Web Lock, so that two tabs cannot both read a
 * request as undecided and both write a decision. Where the API is missing (Node, old
 * browsers) the body runs unlocked, and isolation holds within one page only.
 */
function underIssuerLock<T>(body: () => Promise<T>): Promise<T> {
  const locks = (globalThis as { navigator?: { locks?: LockManagerLike } }).navigator?.locks;
  return locks === undefined ? body() : locks.request(ISSUER_LOCK_NAME, body);
}

/**
 * The lab issuer's store in the workbench database. A transaction's reads see the
 * committed records plus its own writes. Its writes are buffered and committed in one
 * IndexedDB transaction when the body returns. The issuer may therefore run cryptography
 * inside the body, which would make IndexedDB commit early. Transactions run one after another,
 * within a page through a promise queue and across tabs through a Web Lock.
 */
export class IndexedDbIssuerStore implements IssuerStore {
  readonly #db: ProvkitDatabase;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(db: ProvkitDatabase) {
    this.#db = db;
  }

  /** Runs `body` atomically; throws what it throws (nothing is written) or ProvkitError('storage-full'). */
  transaction<T>(body: (tx: IssuerTransaction) => Promise<T>): Promise<T> {
    const run = async (): Promise<T> => {
      const pending: Pending = new Map();
      const result = await body(new BufferedTransaction(this.#db, pending));
      if (pending.size > 0) {
        await inTransaction(this.#db, ['issuer'], 'saving the lab issuer state', async (tx) => {
          const store = tx.objectStore('issuer');
          for (const [recordKey, value] of pending) await store.put({ key: recordKey, value });
        });
      }
      return result;
    };
    const locked = (): Promise<T> => underIssuerLock(run);
    const next = this.#queue.then(locked, locked);
    this.#queue = next.catch(() => undefined);
    return next;
  }
}

class BufferedTransaction implements IssuerTransaction {
  readonly #db: ProvkitDatabase;
  readonly #pending: Pending;

  constructor(db: ProvkitDatabase, pending: Pending) {
    this.#db = db;
    this.#pending = pending;
  }

  async #get<T>(recordKey: string): Promise<T | undefined> {
    if (this.#pending.has(recordKey)) return structuredClone(this.#pending.get(recordKey)) as T;
    return (await this.#db.get('issuer', recordKey))?.value as T | undefined;
  }

  async #entries<T>(prefix: string): Promise<[string, T][]> {
    const range = IDBKeyRange.bound(prefix, `${prefix}\uffff`);
    const merged = new Map<string, unknown>();
    for (const record of await this.#db.getAll('issuer', range)) merged.set(record.key, record.value);
    for (const [recordKey, value] of this.#pending) {
      if (recordKey.startsWith(prefix)) merged.set(recordKey, structuredClone(value));
    }
    return [...merged.entries()].sort(([a], [b]) => (a < b ? -1 : 1)) as [string, T][];
  }

  async #list<T>(prefix: string): Promise<T[]> {
    return (await this.#entries<T>(prefix)).map(([, value]) => value);
  }

  #put(recordKey: string, value: unknown): void {
    // A copy, so later mutation of the caller's object cannot change what is committed.
    this.#pending.set(recordKey, structuredClone(value));
  }

  getSystem(systemId: string): Promise<SystemRecord | undefined> {
    return this.#get(key.system(systemId));
  }

  listSystems(): Promise<SystemRecord[]> {
    return this.#list('system/');
  }

  async putSystem(system: SystemRecord): Promise<void> {
    this.#put(key.system(system.id), system);
  }

  async putPackage(record: PackageRecord): Promise<void> {
    this.#put(key.package(record), record);
  }

  listPackages(systemId: string): Promise<PackageRecord[]> {
    return this.#list(`package/${part(systemId)}/`);
  }

  getRequest(systemId: string, requestId: string): Promise<RequestRecord | undefined> {
    return this.#get(key.request(systemId, requestId));
  }

  listRequests(systemId: string): Promise<RequestRecord[]> {
    return this.#list(`request/${part(systemId)}/`);
  }

  async putRequest(record: RequestRecord): Promise<void> {
    this.#put(key.request(record.systemId, record.requestId), record);
  }

  getDevice(systemId: string, hardwareId: string): Promise<DeviceRecord | undefined> {
    return this.#get(key.device(systemId, hardwareId));
  }

  listDevices(systemId: string): Promise<DeviceRecord[]> {
    return this.#list(`device/${part(systemId)}/`);
  }

  async putDevice(record: DeviceRecord): Promise<void> {
    this.#put(key.device(record.systemId, record.hardwareId), record);
  }

  async markRequestIdSeen(systemId: string, requestId: string): Promise<boolean> {
    if (await this.hasSeenRequestId(systemId, requestId)) return false;
    this.#put(key.seen(systemId, requestId), true);
    return true;
  }

  async hasSeenRequestId(systemId: string, requestId: string): Promise<boolean> {
    return (await this.#get<boolean>(key.seen(systemId, requestId))) === true;
  }

  async putCertificate(record: IssuedCertificateRecord): Promise<void> {
    const prefix = `certificate/${part(record.systemId)}/${part(record.requestId)}/`;
    const existing = await this.#entries<IssuedCertificateRecord>(prefix);
    const same = existing.find(([, value]) => value.serialHex === record.serialHex);
    this.#put(same?.[0] ?? key.certificate(record, existing.length), record);
  }

  async listCertificates(systemId: string, requestId?: string): Promise<IssuedCertificateRecord[]> {
    const all = await this.#list<IssuedCertificateRecord>(`certificate/${part(systemId)}/`);
    return requestId === undefined ? all : all.filter((record) => record.requestId === requestId);
  }
}
