import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ProvkitError } from '../../src/errors.js';
import { buildProvisioningReport, csvCell, reportToCsv, REPORT_CSV_COLUMNS } from '../../src/issuer/report.js';
import { applyTransition } from '../../src/issuer/states.js';
import { MemoryIssuerStore, type IssuerStore, type RequestRecord, type SystemRecord } from '../../src/issuer/store.js';
import { FileIssuerStore, LAB_STATE_FILE } from '../../src/node/file-issuer-store.js';

function system(id = 'sys'): SystemRecord {
  return {
    id,
    name: 'Test system',
    approvalMode: 'manual',
    components: [{ handle: 'pump', roles: [] }],
    requestWindowSeconds: 600,
    createdAt: '2026-01-01T00:00:00.000Z',
    ca: { root: new Uint8Array([1]), issuingCa: new Uint8Array([2]), profileSigner: new Uint8Array([3]), provisioningCa: new Uint8Array([4]), encryptedKeys: new Uint8Array([5, 6]) },
  };
}

function request(requestId: string, hardwareId: string, states: Array<[string, string, string?]>): RequestRecord {
  let history = applyTransition([], 'verifying', { actor: 'issuer', at: new Date('2026-01-01T00:00:00Z') });
  for (const [state, time, reason] of states) {
    history = applyTransition(history, state as never, { actor: 'op', at: new Date(time), reason, code: state === 'failed' ? 'replay' : undefined });
  }
  return { systemId: 'sys', requestId, componentHandle: 'pump', hardwareId, reprovisioning: false, receivedAt: '2026-01-01T00:00:00.000Z', request: new Uint8Array([9]), history };
}

async function exerciseStore(store: IssuerStore): Promise<void> {
  await store.transaction(async (tx) => {
    await tx.putSystem(system());
  });

  // A throwing transaction leaves nothing behind.
  await expect(store.transaction(async (tx) => {
    await tx.putRequest(request('r-lost', 'SN0', []));
    expect(await tx.markRequestIdSeen('sys', 'r-lost')).toBe(true);
    throw new ProvkitError('mismatch', 'abort');
  })).rejects.toThrow('abort');
  await store.transaction(async (tx) => {
    expect(await tx.getRequest('sys', 'r-lost')).toBeUndefined();
    expect(await tx.hasSeenRequestId('sys', 'r-lost')).toBe(false);
  });

  await store.transaction(async (tx) => {
    expect(await tx.markRequestIdSeen('sys', 'r-1')).toBe(true);
    expect(await tx.markRequestIdSeen('sys', 'r-1')).toBe(false);
    await tx.putRequest(request('r-1', 'SN1', [['needs-approval', '2026-01-01T00:00:01Z']]));
    await tx.putDevice({ systemId: 'sys', hardwareId: 'SN1', componentHandle: 'pump', requestIds: ['r-1'] });
  });

  const loaded = await store.transaction(async (tx) => ({
    system: await tx.getSystem('sys'),
    request: await tx.getRequest('sys', 'r-1'),
    systems: await tx.listSystems(),
    devices: await tx.listDevices('sys'),
  }));
  expect(loaded.system?.ca.encryptedKeys).toEqual(new Uint8Array([5, 6]));
  expect(loaded.system?.ca.encryptedKeys).toBeInstanceOf(Uint8Array);
  expect(loaded.request?.history.map((transition) => transition.state)).toEqual(['verifying', 'needs-approval']);
  expect(loaded.systems.map((record) => record.id)).toEqual(['sys']);
  expect(loaded.devices).toEqual([{ systemId: 'sys', hardwareId: 'SN1', componentHandle: 'pump', requestIds: ['r-1'] }]);
}

describe('MemoryIssuerStore', () => {
  it('commits or discards whole transactions', async () => {
    await exerciseStore(new MemoryIssuerStore());
  });

  it('serialises concurrent transactions', async () => {
    const store = new MemoryIssuerStore();
    await store.transaction(async (tx) => tx.putSystem(system()));
    const results = await Promise.all(Array.from({ length: 20 }, () => store.transaction((tx) => tx.markRequestIdSeen('sys', 'same'))));
    expect(results.filter(Boolean)).toHaveLength(1);
  });
});

describe('hardware id __proto__', () => {
  it('is stored as a device like any other', async () => {
    const store = new MemoryIssuerStore();
    await store.transaction(async (tx) => {
      await tx.putSystem(system());
      expect(await tx.getDevice('sys', '__proto__')).toBeUndefined();
      await tx.putDevice({ systemId: 'sys', hardwareId: '__proto__', componentHandle: 'pump', requestIds: ['r-9'] });
      await tx.putDevice({ systemId: 'sys', hardwareId: 'constructor', componentHandle: 'pump', requestIds: ['r-8'] });
    });
    const devices = await store.transaction((tx) => tx.listDevices('sys'));
    expect(devices.map((device) => device.hardwareId).sort()).toEqual(['__proto__', 'constructor']);
    expect((await store.transaction((tx) => tx.getDevice('sys', '__proto__')))?.requestIds).toEqual(['r-9']);
    expect(({} as Record<string, unknown>)['requestIds']).toBeUndefined();
  });
});

describe('FileIssuerStore', () => {
  const directories: string[] = [];
  afterEach(async () => {
    for (const directory of directories.splice(0)) await rm(directory, { recursive: true, force: true });
  });

  async function labDirectory(): Promise<string> {
    const directory = await mkdtemp(path.join(tmpdir(), 'provkit-store-'));
    directories.push(directory);
    return directory;
  }

  it('commits or discards whole transactions on disk', async () => {
    const directory = await labDirectory();
    const store = new FileIssuerStore(directory);
    await store.initialise();
    await exerciseStore(store);
    // A second store over the same directory sees the committed state only.
    const reopened = new FileIssuerStore(directory);
    expect(await reopened.transaction((tx) => tx.hasSeenRequestId('sys', 'r-1'))).toBe(true);
    expect(await reopened.transaction((tx) => tx.hasSeenRequestId('sys', 'r-lost'))).toBe(false);
    expect((await readdir(directory)).sort()).toEqual([LAB_STATE_FILE]);
  });

  it('serialises transactions of two stores on one directory', async () => {
    const directory = await labDirectory();
    await new FileIssuerStore(directory).initialise();
    const stores = [new FileIssuerStore(directory), new FileIssuerStore(directory)];
    const results = await Promise.all(Array.from({ length: 10 }, (_, index) => stores[index % 2]!.transaction((tx) => tx.markRequestIdSeen('sys', 'same'))));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect((await readdir(directory)).sort()).toEqual([LAB_STATE_FILE]);
  });

  it('round-trips a __proto__ hardware id through the file', async () => {
    const directory = await labDirectory();
    const store = new FileIssuerStore(directory);
    await store.initialise();
    await store.transaction(async (tx) => {
      await tx.putSystem(system());
      await tx.putDevice({ systemId: 'sys', hardwareId: '__proto__', componentHandle: 'pump', requestIds: ['r-9'] });
    });
    const device = await new FileIssuerStore(directory).transaction((tx) => tx.getDevice('sys', '__proto__'));
    expect(device?.requestIds).toEqual(['r-9']);
  });

  it('refuses to initialise over an existing lab', async () => {
    const directory = await labDirectory();
    await new FileIssuerStore(directory).initialise();
    await expect(new FileIssuerStore(directory).initialise()).rejects.toMatchObject({ code: 'invalid-state' });
  });

  it('reports a missing lab as not-found', async () => {
    const directory = await labDirectory();
    await expect(new FileIssuerStore(path.join(directory, 'none')).transaction((tx) => tx.listSystems())).rejects.toMatchObject({ code: 'not-found' });
  });

  it('reports a corrupt state file as malformed', async () => {
    const directory = await labDirectory();
    await writeFile(path.join(directory, LAB_STATE_FILE), '{"version":1,');
    await expect(new FileIssuerStore(directory).transaction((tx) => tx.listSystems())).rejects.toMatchObject({ code: 'malformed' });
  });

  it('keeps the old state when the body throws', async () => {
    const directory = await labDirectory();
    const store = new FileIssuerStore(directory);
    await store.initialise();
    const before = await readFile(path.join(directory, LAB_STATE_FILE), 'utf8');
    await expect(store.transaction(async (tx) => {
      await tx.putSystem(system());
      throw new Error('crash');
    })).rejects.toThrow('crash');
    expect(await readFile(path.join(directory, LAB_STATE_FILE), 'utf8')).toBe(before);
  });
});

describe('provisioning report', () => {
  async function populated(): Promise<MemoryIssuerStore> {
    const store = new MemoryIssuerStore();
    await store.transaction(async (tx) => {
      await tx.putSystem(system());
      await tx.putRequest(request('r-1', 'SN2', [['needs-approval', '2026-01-01T00:00:01Z'], ['rejected', '2026-01-01T00:00:02Z', 'bad, "site"']]));
      await tx.putRequest(request('r-2', 'SN1', [['auto-approved', '2026-01-01T00:00:01Z'], ['provisioning', '2026-01-01T00:00:02Z']]));
      await tx.putRequest(request('r-3', 'SN1', [['failed', '2026-01-01T00:00:03Z']]));
      await tx.putRequest(request('r-4', '=cmd|calc', [['failed', '2026-01-01T00:00:03Z']]));
      await tx.putDevice({ systemId: 'sys', hardwareId: 'SN2', componentHandle: 'pump', requestIds: ['r-1'] });
      await tx.putDevice({ systemId: 'sys', hardwareId: 'SN1', componentHandle: 'pump', requestIds: ['r-2', 'r-3'] });
      await tx.putDevice({ systemId: 'sys', hardwareId: '=cmd|calc', componentHandle: 'pump', requestIds: ['r-4'] });
      await tx.putCertificate({ systemId: 'sys', serialHex: '0abc', requestId: 'r-2', hardwareId: 'SN1', role: 'identity', notBefore: '2026-01-01T00:00:00.000Z', notAfter: '2027-01-01T00:00:00.000Z', certificate: new Uint8Array([1]) });
      await tx.putCertificate({ systemId: 'sys', serialHex: '0def', requestId: 'r-2', hardwareId: 'SN1', role: 'tls', notBefore: '2026-01-01T00:00:00.000Z', notAfter: '2026-07-01T00:00:00.000Z', certificate: new Uint8Array([2]) });
    });
    return store;
  }

  it('has one row per device, following the latest request that did not fail', async () => {
    const report = await buildProvisioningReport(await populated(), 'sys', new Date('2026-02-01T00:00:00Z'));
    expect(report.generatedAt).toBe('2026-02-01T00:00:00.000Z');
    expect(report.rows.map((row) => [row.hardwareId, row.state, row.requestId, row.requestCount])).toEqual([
      ['=cmd|calc', 'failed', 'r-4', 1],
      ['SN1', 'provisioning', 'r-2', 2],
      ['SN2', 'rejected', 'r-1', 1],
    ]);
    expect(report.rows[1]!.certificates).toEqual([
      { role: 'identity', serialHex: '0abc', notAfter: '2027-01-01T00:00:00.000Z' },
      { role: 'tls', serialHex: '0def', notAfter: '2026-07-01T00:00:00.000Z' },
    ]);
    expect(report.rows[2]!.rejectionReason).toBe('bad, "site"');
    expect(report.rows[0]!.failureCode).toBe('replay');
  });

  it('renders CSV with quoting and formula neutralisation', async () => {
    const csv = reportToCsv(await buildProvisioningReport(await populated(), 'sys'));
    const lines = csv.split('\r\n');
    expect(lines[0]).toBe(REPORT_CSV_COLUMNS.join(','));
    expect(lines[0]).toBe('system_id,hardware_id,component,state,request_id,request_count,verifying_at,auto_approved_at,needs_approval_at,approved_at,rejected_at,provisioning_at,provisioned_at,failed_at,certificate_serials,certificate_expiry,rejection_reason,failure_code');
    expect(lines[1]).toBe("sys,'=cmd|calc,pump,failed,r-4,1,2026-01-01T00:00:00.000Z,,,,,,,2026-01-01T00:00:03.000Z,,,,replay");
    expect(lines[2]).toBe('sys,SN1,pump,provisioning,r-2,2,2026-01-01T00:00:00.000Z,2026-01-01T00:00:01.000Z,,,,2026-01-01T00:00:02.000Z,,,identity=0abc;tls=0def,identity=2027-01-01T00:00:00.000Z;tls=2026-07-01T00:00:00.000Z,,');
    expect(lines[3]).toBe('sys,SN2,pump,rejected,r-1,1,2026-01-01T00:00:00.000Z,,2026-01-01T00:00:01.000Z,,2026-01-01T00:00:02.000Z,,,,,,"bad, ""site""",');
    expect(lines[4]).toBe('');
    expect(lines).toHaveLength(5);
  });

  it('reports an unknown system as not-found', async () => {
    await expect(buildProvisioningReport(new MemoryIssuerStore(), 'nope')).rejects.toMatchObject({ code: 'not-found' });
  });
});

describe('csvCell', () => {
  it.each([
    ['plain', 'plain'],
    ['=1+1', "'=1+1"],
    ['+1', "'+1"],
    ['-1', "'-1"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['\tx', "'\tx"],
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ['line\nbreak', '"line\nbreak"'],
    ['=a,"b"', `"'=a,""b"""`],
    ['', ''],
  ])('encodes %j', (input, expected) => {
    expect(csvCell(input)).toBe(expected);
  });
});
