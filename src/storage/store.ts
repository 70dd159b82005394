import { ProvkitError } from '../errors.js';
import { inTransaction, openProvkitDatabase, DATABASE_NAME, type ProvkitDatabase } from './db.js';
import type {
  IdentityRecord,
  PackageRecord,
  ProfileRecord,
  QueueState,
  RequestRecord,
  StoredLogRecord,
} from './records.js';

/** Filters of the request queue; an absent field matches everything. */
export interface RequestFilter {
  systemId?: string;
  componentHandle?: string;
  state?: QueueState;
  /** Case-insensitive substring of the hardware id. */
  hardwareId?: string;
}

/** Most log records kept; older ones are deleted as new ones arrive. */
export const LOG_RETENTION = 5000;

/**
 * The workbench's storage: packages, the request queue with its encrypted identities and
 * profiles, and the log. Every method that changes more than one record does so in one
 * transaction. Methods throw ProvkitError('storage-full') when the quota runs out.
 */
export class WorkbenchStore {
  readonly db: ProvkitDatabase;

  private constructor(db: ProvkitDatabase) {
    this.db = db;
  }

  /** Opens the store on the named database (the app's by default). */
  static async open(name = DATABASE_NAME): Promise<WorkbenchStore> {
    return new WorkbenchStore(await openProvkitDatabase(name));
  }

  /** Closes the database connection. */
  close(): void {
    this.db.close();
  }

  // Packages

  /** Stores or replaces a package. */
  async putPackage(record: PackageRecord): Promise<void> {
    await inTransaction(this.db, ['packages'], `saving package ${record.id}`, async (tx) => {
      await tx.objectStore('packages').put(record);
    });
  }

  /** Returns every package, ordered by id. */
  async listPackages(): Promise<PackageRecord[]> {
    return this.db.getAll('packages');
  }

  /** Returns one package; throws ProvkitError('not-found') when it is absent. */
  async getPackage(id: string): Promise<PackageRecord> {
    const record = await this.db.get('packages', id);
    if (record === undefined) throw new ProvkitError('not-found', `package ${id} is not stored; import it on the Packages screen`);
    return record;
  }

  /** Deletes a package; requests generated from it stay in the queue. */
  async deletePackage(id: string): Promise<void> {
    await inTransaction(this.db, ['packages'], `deleting package ${id}`, async (tx) => {
      await tx.objectStore('packages').delete(id);
    });
  }

  // Requests

  /**
   * Adds a request and, for a browser-generated one, its encrypted identity, in one
   * transaction. Throws ProvkitError('replay') when the request id is already queued.
   */
  async addRequest(request: RequestRecord, identity?: IdentityRecord): Promise<void> {
    await inTransaction(this.db, ['requests', 'identities'], `saving request ${request.id}`, async (tx) => {
      const requests = tx.objectStore('requests');
      if ((await requests.getKey(request.id)) !== undefined) {
        throw new ProvkitError('replay', `request ${request.id} (hardware id ${request.hardwareId}) is already in the queue`);
      }
      await requests.add(request);
      if (identity !== undefined) await tx.objectStore('identities').put(identity);
    });
  }

  /** Returns one request or undefined. */
  async getRequest(id: string): Promise<RequestRecord | undefined> {
    return this.db.get('requests', id);
  }

  /** Returns the requests matching `filter`, most recently changed first. */
  async listRequests(filter: RequestFilter = {}): Promise<RequestRecord[]> {
    const all =
      filter.state !== undefined
        ? await this.db.getAllFromIndex('requests', 'by-state', filter.state)
        : await this.db.getAllFromIndex('requests', 'by-updated');
    const needle = filter.hardwareId?.trim().toLowerCase() ?? '';
    const matches = all.filter(
      (record) =>
        (filter.systemId === undefined || record.systemId === filter.systemId) &&
        (filter.componentHandle === undefined || record.componentHandle === filter.componentHandle) &&
        (needle === '' || record.hardwareId.toLowerCase().includes(needle)),
    );
    return matches.sort((a, b) => {
      if (a.updatedAt !== b.updatedAt) return a.updatedAt < b.updatedAt ? 1 : -1;
      return a.id.localeCompare(b.id);
    });
  }

  /** Returns the number of queued requests in each state. */
  async countByState(): Promise<Map<QueueState, number>> {
    const counts = new Map<QueueState, number>();
    let cursor = await this.db.transaction('requests').store.index('by-state').openKeyCursor();
    while (cursor !== null) {
      counts.set(cursor.key, (counts.get(cursor.key) ?? 0) + 1);
      cursor = await cursor.continue();
    }
    return counts;
  }

  /**
   * Moves requests to `state` in one transaction, appending to their history. Throws
   * ProvkitError('not-found') when one id is not queued (then none is changed).
   */
  async setRequestState(ids: readonly string[], state: QueueState, note?: string, at = new Date()): Promise<void> {
    await inTransaction(this.db, ['requests'], `updating ${ids.length} request(s) to ${state}`, async (tx) => {
      const store = tx.objectStore('requests');
      for (const id of ids) {
        const record = await store.get(id);
        if (record === undefined) throw new ProvkitError('not-found', `request ${id} is not in the queue`);
        await store.put(withState(record, state, at, note));
      }
    });
  }

  /** Deletes requests with their identities and profiles in one transaction. */
  async deleteRequests(ids: readonly string[]): Promise<void> {
    await inTransaction(this.db, ['requests', 'identities', 'profiles'], `deleting ${ids.length} request(s)`, async (tx) => {
      for (const id of ids) {
        const request = await tx.objectStore('requests').get(id);
        await tx.objectStore('requests').delete(id);
        await tx.objectStore('profiles').delete(id);
        if (request?.identityId !== undefined) await tx.objectStore('identities').delete(request.identityId);
      }
    });
  }

  // Identities and profiles

  /** Returns an encrypted identity or undefined. */
  async getIdentity(id: string): Promise<IdentityRecord | undefined> {
    return this.db.get('identities', id);
  }

  /**
   * Stores a verified profile and moves its request to `profile-received` (or the given
   * state) in one transaction. Throws ProvkitError('not-found') when the request is not queued
   * and ('invalid-state') when it is already installed or completed.
   */
  async addProfile(profile: ProfileRecord, state: QueueState = 'profile-received', at = new Date()): Promise<void> {
    await inTransaction(this.db, ['requests', 'profiles'], `saving the profile for request ${profile.requestId}`, async (tx) => {
      const request = await tx.objectStore('requests').get(profile.requestId);
      if (request === undefined) {
        throw new ProvkitError('not-found', `no queued request has id ${profile.requestId}; import or generate the request first`);
      }
      if (request.state === 'installed' || request.state === 'completed') {
        throw new ProvkitError('invalid-state', `request ${request.id} (hardware id ${request.hardwareId}) is already ${request.state}; its installed profile is kept`);
      }
      await tx.objectStore('profiles').put(profile);
      await tx.objectStore('requests').put(withState(request, state, at));
    });
  }

  /** Returns the profile received for a request, or undefined. */
  async getProfile(requestId: string): Promise<ProfileRecord | undefined> {
    return this.db.get('profiles', requestId);
  }

  /** Returns every stored profile. */
  async listProfiles(): Promise<ProfileRecord[]> {
    return this.db.getAll('profiles');
  }

  /**
   * Stores the final identity and profile of a browser-generated request, deletes its pending
   * identity and moves it to `installed`, all in one transaction. Throws
   * ProvkitError('not-found') when the request has no received profile.
   */
  async installFinal(requestId: string, finalIdentity: IdentityRecord, finalMcp: Uint8Array, at = new Date()): Promise<void> {
    await inTransaction(this.db, ['requests', 'profiles', 'identities'], `installing request ${requestId}`, async (tx) => {
      const request = await tx.objectStore('requests').get(requestId);
      const profile = await tx.objectStore('profiles').get(requestId);
      if (request === undefined || profile === undefined) {
        throw new ProvkitError('not-found', `request ${requestId} has no received profile to install`);
      }
      // The pending keys live on inside the final identity, so the pending container goes.
      if (request.identityId !== undefined && request.identityId !== finalIdentity.id) await tx.objectStore('identities').delete(request.identityId);
      await tx.objectStore('identities').put(finalIdentity);
      await tx.objectStore('profiles').put({ ...profile, finalMcp });
      await tx.objectStore('requests').put(withState({ ...request, identityId: finalIdentity.id }, 'installed', at));
    });
  }

  // Log

  /** Appends log records and trims the oldest beyond {@link LOG_RETENTION}, in one transaction. */
  async appendLog(records: readonly StoredLogRecord[]): Promise<void> {
    if (records.length === 0) return;
    await inTransaction(this.db, ['log'], 'writing the log', async (tx) => {
      const store = tx.objectStore('log');
      for (const record of records) await store.add({ ...record });
      const excess = (await store.count()) - LOG_RETENTION;
      if (excess > 0) {
        let cursor = await store.openCursor();
        for (let removed = 0; cursor !== null && removed < excess; removed++) {
          await cursor.delete();
          cursor = await cursor.continue();
        }
      }
    });
  }

  /** Returns the stored log, oldest first. */
  async listLog(): Promise<StoredLogRecord[]> {
    return this.db.getAll('log');
  }

  /** Deletes the whole log. */
  async clearLog(): Promise<void> {
    await inTransaction(this.db, ['log'], 'clearing the log', async (tx) => {
      await tx.objectStore('log').clear();
    });
  }

  // Settings

  /** Reads a setting. */
  async getMeta<T>(key: string): Promise<T | undefined> {
    return (await this.db.get('meta', key))?.value as T | undefined;
  }

  /** Writes a setting. */
  async setMeta(key: string, value: unknown): Promise<void> {
    await inTransaction(this.db, ['meta'], `saving setting ${key}`, async (tx) => {
      await tx.objectStore('meta').put({ key, value });
    });
  }
}

/** Returns a copy of `record` in `state` with the transition appended to its history. */
export function withState(record: RequestRecord, state: QueueState, at: Date, note?: string): RequestRecord {
  const iso = at.toISOString();
  const transition = note === undefined ? { state, at: iso } : { state, at: iso, note };
  const next: RequestRecord = { ...record, state, updatedAt: iso, history: [...record.history, transition] };
  if (state === 'rejected' && note !== undefined) next.rejectionReason = note;
  return next;
}
