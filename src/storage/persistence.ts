/** Outcome of asking the browser to keep the workbench's storage under storage pressure. */
export type PersistenceResult = 'persisted' | 'not-persisted' | 'unsupported';

/** Storage use and quota in bytes, when the browser reports them. */
export interface StorageEstimate {
  usage?: number;
  quota?: number;
}

/**
 * Requests persistent storage (`navigator.storage.persist()`), so the browser does not evict
 * the queue when the disk fills up. Returns what the browser decided; never throws.
 */
export async function requestPersistence(storage: StorageManager | undefined = globalThis.navigator?.storage): Promise<PersistenceResult> {
  if (storage === undefined || typeof storage.persist !== 'function') return 'unsupported';
  try {
    if (typeof storage.persisted === 'function' && (await storage.persisted())) return 'persisted';
    return (await storage.persist()) ? 'persisted' : 'not-persisted';
  } catch {
    return 'not-persisted';
  }
}

/** Returns the browser's estimate of storage use and quota, or an empty object where unavailable. */
export async function estimateStorage(storage: StorageManager | undefined = globalThis.navigator?.storage): Promise<StorageEstimate> {
  if (storage === undefined || typeof storage.estimate !== 'function') return {};
  try {
    const { usage, quota } = await storage.estimate();
    const result: StorageEstimate = {};
    if (usage !== undefined) result.usage = usage;
    if (quota !== undefined) result.quota = quota;
    return result;
  } catch {
    return {};
  }
}
