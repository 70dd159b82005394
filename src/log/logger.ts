/**
 * A levelled logger for the core, the CLI and the app. Records go to a sink, which by default
 * writes one line per record to the console (stderr in Node), and which an embedding program
 * replaces with its own callback, as Guardian's SetLoggingCallback does.
 *
 * The API takes a message and flat scalar fields only, and callers pass identifiers (request
 * ids, hardware ids, fingerprints, serials), never key material or passphrases. Fields whose
 * name suggests a secret are redacted as a second line of defence.
 */

/** Severity of a record, from most to least severe. */
export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

/** Levels ordered by severity, most severe first. */
export const LOG_LEVELS: readonly LogLevel[] = ['error', 'warn', 'info', 'debug'];

/** Scalar values a record may carry; objects are excluded so that no key or buffer slips in. */
export type LogFieldValue = string | number | boolean;

/** One log record as handed to the sink. */
export interface LogRecord {
  time: Date;
  level: LogLevel;
  /** Component that wrote the record, for example `issuer` or `issuer.process`. */
  source: string;
  message: string;
  fields?: Record<string, LogFieldValue>;
}

/** Receives every record at or above the logger's level. */
export type LogSink = (record: LogRecord) => void;

/** Options of a new root logger. */
export interface LoggerOptions {
  /** Minimum severity that reaches the sink; default `info`. */
  level?: LogLevel;
  /** Record consumer; default {@link consoleSink}. */
  sink?: LogSink;
  /** Source name of the root logger; default `provkit`. */
  source?: string;
}

/** Field names that must never carry a value into a log, whatever the caller passes. */
const SECRET_FIELD = /pass(word|phrase)?|secret|private|pkcs8|token|seed/i;

/** Returns true when `value` names a level. */
export function isLogLevel(value: string): value is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(value);
}

/** Formats a record as one line: time, level, source, message, then `key=value` fields. */
export function formatLogRecord(record: LogRecord): string {
  const parts = [record.time.toISOString(), record.level.toUpperCase(), `[${record.source}]`, record.message];
  for (const [key, value] of Object.entries(record.fields ?? {})) {
    parts.push(`${key}=${formatFieldValue(value)}`);
  }
  return parts.join(' ');
}

function formatFieldValue(value: LogFieldValue): string {
  if (typeof value !== 'string') return String(value);
  // Quote values with spaces, quotes or control characters so that one record stays one line.
  return /^[\w.:/@+-]*$/.test(value) && value !== '' ? value : JSON.stringify(value);
}

/** Default sink: one formatted line per record through `console.error`, which is stderr in Node. */
export const consoleSink: LogSink = (record) => {
  console.error(formatLogRecord(record));
};

/** A sink that drops every record. */
export const silentSink: LogSink = () => {};

/** Shared mutable state of a logger tree, so that `setSink` on the root also redirects children. */
interface LoggerState {
  level: LogLevel;
  sink: LogSink;
}

/**
 * Levelled logger with a redirectable sink. Children share the root's level and sink and add
 * their own source name.
 */
export class Logger {
  readonly source: string;
  readonly #state: LoggerState;

  constructor(options: LoggerOptions = {}, state?: LoggerState) {
    this.source = options.source ?? 'provkit';
    this.#state = state ?? { level: options.level ?? 'info', sink: options.sink ?? consoleSink };
  }

  /** Returns a logger writing to the same sink with `source` appended to this one's source. */
  child(source: string): Logger {
    return new Logger({ source: `${this.source}.${source}` }, this.#state);
  }

  /** Replaces the sink of this logger tree (the root and every child). */
  setSink(sink: LogSink): void {
    this.#state.sink = sink;
  }

  /** Sets the least severe level that reaches the sink, for the whole tree. */
  setLevel(level: LogLevel): void {
    this.#state.level = level;
  }

  /** Current level of the tree. */
  get level(): LogLevel {
    return this.#state.level;
  }

  /** Returns true when a record at `level` would reach the sink. */
  isEnabled(level: LogLevel): boolean {
    return LOG_LEVELS.indexOf(level) <= LOG_LEVELS.indexOf(this.#state.level);
  }

  error(message: string, fields?: Record<string, LogFieldValue>): void {
    this.#write('error', message, fields);
  }

  warn(message: string, fields?: Record<string, LogFieldValue>): void {
    this.#write('warn', message, fields);
  }

  info(message: string, fields?: Record<string, LogFieldValue>): void {
    this.#write('info', message, fields);
  }

  debug(message: string, fields?: Record<string, LogFieldValue>): void {
    this.#write('debug', message, fields);
  }

  #write(level: LogLevel, message: string, fields: Record<string, LogFieldValue> | undefined): void {
    if (!this.isEnabled(level)) return;
    const record: LogRecord = { time: new Date(), level, source: this.source, message };
    if (fields !== undefined) record.fields = sanitiseFields(fields);
    try {
      this.#state.sink(record);
    } catch {
      // A failing sink must not turn a log call into a failure of the operation being logged.
    }
  }
}

function sanitiseFields(fields: Record<string, LogFieldValue>): Record<string, LogFieldValue> {
  const clean: Record<string, LogFieldValue> = {};
  for (const [key, value] of Object.entries(fields)) {
    if (SECRET_FIELD.test(key)) {
      clean[key] = '[redacted]';
    } else if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
      clean[key] = value;
    }
  }
  return clean;
}

/** A logger that discards everything, the default for library calls made without one. */
export function silentLogger(): Logger {
  return new Logger({ sink: silentSink, level: 'error' });
}
