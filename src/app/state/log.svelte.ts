import { formatLogRecord, LOG_LEVELS, type LogLevel } from '../../log/logger.js';
import type { StoredLogRecord } from '../../storage/records.js';
import { flushLog, onLogRecord, workbenchStore } from './workbench.js';

/** Returns the stored record as the core's one-line text format. */
export function logLine(record: StoredLogRecord): string {
  return formatLogRecord({ ...record, time: new Date(record.time) });
}

/**
 * The Log screen: the stored log with a level filter (a level shows itself and everything
 * more severe) and export as text or JSON lines. The core's logger redacts secret-looking
 * fields before records reach here.
 */
export class LogState {
  records = $state.raw<StoredLogRecord[]>([]);
  level = $state<LogLevel>('info');
  readonly visible = $derived(this.records.filter((record) => LOG_LEVELS.indexOf(record.level) <= LOG_LEVELS.indexOf(this.level)));
  #stop: (() => void) | undefined;

  /** Loads the stored log and follows new records. */
  async load(): Promise<void> {
    await flushLog();
    this.records = await (await workbenchStore()).listLog();
    this.#stop = onLogRecord((record) => (this.records = [...this.records, record]));
  }

  /** Stops following new records. */
  dispose(): void {
    this.#stop?.();
  }

  /** Returns the visible records as text, one line each. */
  exportText(): string {
    return this.visible.map(logLine).join('\n') + '\n';
  }

  /** Returns the visible records as JSON lines. */
  exportJsonLines(): string {
    return this.visible.map((record) => JSON.stringify(record)).join('\n') + '\n';
  }

  /** Deletes the stored log. */
  async clear(): Promise<void> {
    await flushLog();
    await (await workbenchStore()).clearLog();
    this.records = [];
  }
}
