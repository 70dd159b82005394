import { Logger, type LogRecord } from '../../log/logger.js';
import { WorkbenchStore } from '../../storage/store.js';
import type { StoredLogRecord } from '../../storage/records.js';

/** Root logger of the page; screens take children of it (`app.requests`, `app.lab`). */
export const appLogger = new Logger({ source: 'app', level: 'debug' });

let storePromise: Promise<WorkbenchStore> | undefined;
let pendingLog: StoredLogRecord[] = [];
let flushScheduled = false;
const logListeners = new Set<(record: StoredLogRecord) => void>();

/** Opens the workbench database once and returns it to every caller. */
export function workbenchStore(): Promise<WorkbenchStore> {
  storePromise ??= WorkbenchStore.open();
  return storePromise;
}

/** Calls `listener` with each new log record; returns the function that stops it. */
export function onLogRecord(listener: (record: StoredLogRecord) => void): () => void {
  logListeners.add(listener);
  return () => logListeners.delete(listener);
}

/** Stores a record logged elsewhere (the device worker) like one of the page's own. */
export function recordLog(record: LogRecord): void {
  storeSink(record);
}

/**
 * Sends log records to IndexedDB in batches (one transaction per batch, so a batch of
 * hundreds of devices does not cost a transaction per line) and to the Log screen.
 */
function storeSink(record: LogRecord): void {
  const stored: StoredLogRecord = { time: record.time.toISOString(), level: record.level, source: record.source, message: record.message };
  if (record.fields !== undefined) stored.fields = record.fields;
  pendingLog.push(stored);
  for (const listener of logListeners) listener(stored);
  if (flushScheduled) return;
  flushScheduled = true;
  setTimeout(() => void flushLog(), 250);
}

/** Writes the buffered log records now. */
export async function flushLog(): Promise<void> {
  flushScheduled = false;
  const batch = pendingLog;
  pendingLog = [];
  if (batch.length === 0) return;
  try {
    await (await workbenchStore()).appendLog(batch);
  } catch (error) {
    // The log must not break the work it records; the console keeps the failure visible.
    console.error('provkit: the log could not be stored', error);
  }
}

appLogger.setSink(storeSink);
