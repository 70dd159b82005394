import { openDB, type DBSchema, type IDBPDatabase, type IDBPTransaction, type StoreNames } from 'idb';
import { ProvkitError } from '../errors.js';
import type {
  IdentityRecord,
  IssuerRecord,
  MetaRecord,
  PackageRecord,
  ProfileRecord,
  QueueState,
  RequestRecord,
  StoredLogRecord,
} from './records.js';

/** Name of the workbench database in the origin's IndexedDB. */
export const DATABASE_NAME = 'provkit';

/** Typed schema of the workbench database at the current version. */
export interface ProvkitSchema extends DBSchema {
  packages: { key: string; value: PackageRecord; indexes: { 'by-system': string } };
  identities: { key: string; value: IdentityRecord; indexes: { 'by-request': string } };
  requests: {
    key: string;
    value: RequestRecord;
    indexes: {
      'by-hardware': string;
      'by-state': QueueState;
      'by-system': string;
      'by-component': string;
      'by-updated': string;
    };
  };
  profiles: { key: string; value: ProfileRecord; indexes: { 'by-hardware': string } };
  issuer: { key: string; value: IssuerRecord };
  log: { key: number; value: StoredLogRecord; indexes: { 'by-level': string } };
  meta: { key: string; value: MetaRecord };
}

/** An open workbench database. */
export type ProvkitDatabase = IDBPDatabase<ProvkitSchema>;

type UpgradeTransaction = IDBPTransaction<ProvkitSchema, StoreNames<ProvkitSchema>[], 'versionchange'>;

/**
 * Schema migrations, one per version. Migration `n` turns a version `n - 1` database into
 * version `n`; a new install runs all of them in order. Never edit a released migration:
 * add the next one.
 */
const MIGRATIONS: ((db: ProvkitDatabase, tx: UpgradeTransaction) => void)[] = [
  // Version 1: the stores and the indexes the queue filters use.
  (db) => {
    db.createObjectStore('packages', { keyPath: 'id' }).createIndex('by-system', 'systemId');
    db.createObjectStore('identities', { keyPath: 'id' }).createIndex('by-request', 'requestId');
    const requests = db.createObjectStore('requests', { keyPath: 'id' });
    requests.createIndex('by-hardware', 'hardwareId');
    requests.createIndex('by-state', 'state');
    requests.createIndex('by-system', 'systemId');
    requests.createIndex('by-component', 'componentHandle');
    db.createObjectStore('profiles', { keyPath: 'id' }).createIndex('by-hardware', 'hardwareId');
    db.createObjectStore('issuer', { keyPath: 'key' });
    db.createObjectStore('log', { keyPath: 'seq', autoIncrement: true }).createIndex('by-level', 'level');
  },
  // Version 2: the settings store, and the queue ordered by last change (for "recent first").
  (db, tx) => {
    db.createObjectStore('meta', { keyPath: 'key' });
    tx.objectStore('requests').createIndex('by-updated', 'updatedAt');
  },
];

/** Current schema version: the number of migrations. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/**
 * Opens (creating or migrating as needed) the workbench database. `version` below the
 * current one exists for migration tests. Throws ProvkitError('storage-full') when the
 * browser refuses to create it for lack of quota.
 */
export async function openProvkitDatabase(name = DATABASE_NAME, version = SCHEMA_VERSION): Promise<ProvkitDatabase> {
  try {
    return await openDB<ProvkitSchema>(name, version, {
      upgrade(db, oldVersion, newVersion, tx) {
        for (let next = oldVersion + 1; next <= (newVersion ?? version); next++) MIGRATIONS[next - 1]!(db, tx);
      },
      blocking(_current, _blocked, event) {
        // Another tab loaded a newer version: close so its upgrade can run. Later calls on
        // this connection fail, and storageError turns them into a request to reload the tab.
        closedForNewerVersion = true;
        (event.target as IDBDatabase).close();
      },
    });
  } catch (error) {
    throw storageError(error, 'opening the workbench database');
  }
}

/** Set once this page closed its connection because another tab opened a newer schema. */
let closedForNewerVersion = false;

/** Returns true when `error` is the browser's quota error in any of its spellings. */
export function isQuotaError(error: unknown): boolean {
  if (typeof DOMException !== 'undefined' && error instanceof DOMException) {
    return error.name === 'QuotaExceededError' || error.code === 22;
  }
  return error instanceof Error && error.name === 'QuotaExceededError';
}

/**
 * Turns an IndexedDB failure into a ProvkitError: quota errors become 'storage-full' with
 * the steps a technician can take, a connection closed for another tab's newer schema becomes
 * 'invalid-state' asking for a reload, and a ProvkitError passes through unchanged.
 */
export function storageError(error: unknown, action: string): Error {
  if (error instanceof ProvkitError) return error;
  if (closedForNewerVersion && error instanceof Error && error.name === 'InvalidStateError') {
    return new ProvkitError(
      'invalid-state',
      `Another tab opened a newer version of the workbench, so this tab closed its database while ${action}. ` +
        'Nothing from this step was saved. Reload this tab to continue.',
      {},
      { cause: error },
    );
  }
  if (isQuotaError(error)) {
    return new ProvkitError(
      'storage-full',
      `Browser storage is full while ${action}. Nothing from this step was saved. ` +
        'Export a backup (Settings), delete completed requests, or free disk space, then try again.',
      {},
      { cause: error },
    );
  }
  return error instanceof Error ? error : new Error(String(error));
}

/**
 * Runs `work` in one read-write transaction over `stores` and waits for the commit, so a
 * multi-record change is stored completely or not at all. Throws what `work` throws (the
 * transaction is then aborted) or ProvkitError('storage-full') when the commit hits the quota.
 */
export async function inTransaction<Names extends StoreNames<ProvkitSchema>, Result>(
  db: ProvkitDatabase,
  stores: Names[],
  action: string,
  work: (tx: IDBPTransaction<ProvkitSchema, Names[], 'readwrite'>) => Promise<Result>,
): Promise<Result> {
  let tx: IDBPTransaction<ProvkitSchema, Names[], 'readwrite'>;
  try {
    tx = db.transaction(stores, 'readwrite');
  } catch (error) {
    throw storageError(error, action);
  }
  try {
    const result = await work(tx);
    await tx.done;
    return result;
  } catch (error) {
    try {
      tx.abort();
    } catch {
      // Already finished or aborted by the failure itself.
    }
    await tx.done.catch(() => undefined);
    throw storageError(error, action);
  }
}
