import { describe, expect, it, vi } from 'vitest';
import { Logger, formatLogRecord, isLogLevel, type LogRecord } from '../../src/log/logger.js';

function collectingLogger(level: 'error' | 'warn' | 'info' | 'debug' = 'debug'): { logger: Logger; records: LogRecord[] } {
  const records: LogRecord[] = [];
  const logger = new Logger({ level, sink: (record) => records.push(record), source: 'test' });
  return { logger, records };
}

describe('Logger', () => {
  it('drops records below the level', () => {
    const { logger, records } = collectingLogger('warn');
    logger.debug('d');
    logger.info('i');
    logger.warn('w');
    logger.error('e');
    expect(records.map((record) => record.level)).toEqual(['warn', 'error']);
    expect(records.map((record) => record.message)).toEqual(['w', 'e']);
  });

  it('setLevel changes the whole tree', () => {
    const { logger, records } = collectingLogger('error');
    const child = logger.child('issuer');
    child.info('before');
    logger.setLevel('info');
    child.info('after');
    expect(records).toHaveLength(1);
    expect(records[0]!.message).toBe('after');
    expect(records[0]!.source).toBe('test.issuer');
  });

  it('setSink redirects children created earlier', () => {
    const { logger } = collectingLogger();
    const child = logger.child('device').child('install');
    const redirected: LogRecord[] = [];
    logger.setSink((record) => redirected.push(record));
    child.warn('moved', { requestId: 'r-1', count: 2, ok: true });
    expect(redirected).toHaveLength(1);
    expect(redirected[0]!.source).toBe('test.device.install');
    expect(redirected[0]!.fields).toEqual({ requestId: 'r-1', count: 2, ok: true });
  });

  it('redacts fields named like secrets', () => {
    const { logger, records } = collectingLogger();
    logger.info('x', { passphrase: 'hunter2', privateKey: 'abc', pkcs8: 'def', hardwareId: 'SN1' });
    expect(records[0]!.fields).toEqual({ passphrase: '[redacted]', privateKey: '[redacted]', pkcs8: '[redacted]', hardwareId: 'SN1' });
  });

  it('drops non-scalar field values', () => {
    const { logger, records } = collectingLogger();
    logger.info('x', { key: new Uint8Array([1, 2]) as unknown as string, id: 'a' });
    expect(records[0]!.fields).toEqual({ id: 'a' });
  });

  it('survives a throwing sink', () => {
    const logger = new Logger({ sink: () => { throw new Error('sink broke'); } });
    expect(() => logger.error('x')).not.toThrow();
  });

  it('writes to console.error by default', () => {
    const spy = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      new Logger({ source: 'cli' }).info('hello world', { file: 'a b.mcpr' });
      expect(spy).toHaveBeenCalledTimes(1);
      const line = spy.mock.calls[0]![0] as string;
      expect(line).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z INFO \[cli\] hello world file="a b.mcpr"$/);
    } finally {
      spy.mockRestore();
    }
  });
});

describe('formatLogRecord', () => {
  it('keeps one record on one line', () => {
    const line = formatLogRecord({ time: new Date('2026-01-02T03:04:05Z'), level: 'warn', source: 's', message: 'm', fields: { reason: 'a\nb', n: 3 } });
    expect(line).toBe('2026-01-02T03:04:05.000Z WARN [s] m reason="a\\nb" n=3');
  });
});

describe('isLogLevel', () => {
  it('accepts the four levels only', () => {
    expect(['error', 'warn', 'info', 'debug', 'trace', ''].map(isLogLevel)).toEqual([true, true, true, true, false, false]);
  });
});
