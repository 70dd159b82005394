import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { openDB } from 'idb';
import { argon2idAsync } from '@noble/hashes/argon2.js';
import { ProvkitError } from '../../src/errors.js';
import { openProvkitDatabase, SCHEMA_VERSION, storageError, inTransaction } from '../../src/storage/db.js';
import { WorkbenchStore, LOG_RETENTION } from '../../src/storage/store.js';
import { createBackup, readBackupHeader, restoreBackup, type BackupKeyDerivation } from '../../src/storage/backup.js';
import { IndexedDbIssuerStore } from '../../src/storage/issuer-store.js';
import type { RequestRecord, IdentityRecord, ProfileRecord } from '../../src/storage/records.js';
import type { SystemRecord } from '../../src/issuer/store.js';

let databaseCounter = 0;
function freshName(): string {
  databaseCounter += 1;
  return `provkit-test-${databaseCounter}`;
}

function request(id: string, hardwareId: string, overrides: Partial<RequestRecord> = {}): RequestRecord {
  return {
    id,
    hardwareId,
    systemId: 'plant-a',
    componentHandle: 'pump',
    state: 'generated',
    origin: 'generated',
    mcpr: new Uint8Array([0x30, 0x03, 0x02, 0x01, id.length]),
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    history: [{ state: 'generated', at: '2026-01-01T00:00:00.000Z' }],
    ...overrides,
  };
}

function identity(id: string, requestId: string): IdentityRecord {
  return { id, kind: 'mcpip', requestId, bytes: new Uint8Array([1, 2, 3, 4]), createdAt: '2026-01-01T00:00:00.000Z' };
}

// Real Argon2id (noble-hashes) with a small cost, so the tests stay quick.
const testKdf: BackupKeyDerivation = async (passphrase, salt, params) =>
  argon2idAsync(passphrase, salt, { m: params.memoryKiB, t: params.passes, p: params.lanes, dkLen: 32 });
const SMALL_COST = { memoryKiB: 64, passes: 1, lanes: 1 };

describe('openProvkitDatabase', () => {
  it('creates every store at the current version', async () => {
    const db = await openProvkitDatabase(freshName());
    expect(db.version).toBe(SCHEMA_VERSION);
    expect([...db.objectStoreNames].sort()).toEqual(['identities', 'issuer', 'log', 'meta', 'packages', 'profiles', 'requests']);
    expect([...db.transaction('requests').store.indexNames].sort()).toEqual(['by-component', 'by-hardware', 'by-state', 'by-system', 'by-updated']);
    db.close();
  });

  it('migrates a version 1 database and keeps its records', async () => {
    const name = freshName();
    const v1 = await openProvkitDatabase(name, 1);
    expect(v1.objectStoreNames.contains('meta')).toBe(false);
    await v1.put('requests', request('r1', 'SN-1'));
    v1.close();

    const current = await openProvkitDatabase(name);
    expect(current.version).toBe(SCHEMA_VERSION);
    expect((await current.get('requests', 'r1'))?.hardwareId).toBe('SN-1');
    expect(await current.getAllKeysFromIndex('requests', 'by-updated')).toEqual(['r1']);
    current.close();
  });
});

describe('WorkbenchStore requests', () => {
  it('rejects a second add of a request id', async () => {
    const store = await WorkbenchStore.open(freshName());
    await store.addRequest(request('r1', 'SN-1', { identityId: 'i1' }), identity('i1', 'r1'));
    expect((await store.getIdentity('i1'))?.bytes).toEqual(new Uint8Array([1, 2, 3, 4]));

    const second = store.addRequest(request('r1', 'SN-1', { identityId: 'i2' }), identity('i2', 'r1'));
    await expect(second).rejects.toMatchObject({ code: 'replay' });
    // The failed add left no identity behind.
    expect(await store.getIdentity('i2')).toBeUndefined();
    store.close();
  });

  it('filters by system, component, state and hardware id substring', async () => {
    const store = await WorkbenchStore.open(freshName());
    await store.addRequest(request('r1', 'SN-0001'));
    await store.addRequest(request('r2', 'SN-0002', { componentHandle: 'valve', updatedAt: '2026-01-02T00:00:00.000Z' }));
    await store.addRequest(request('r3', 'XY-0003', { systemId: 'plant-b', state: 'exported' }));

    expect((await store.listRequests()).map((r) => r.id)).toEqual(['r2', 'r1', 'r3']);
    expect((await store.listRequests({ systemId: 'plant-a' })).map((r) => r.id)).toEqual(['r2', 'r1']);
    expect((await store.listRequests({ componentHandle: 'valve' })).map((r) => r.id)).toEqual(['r2']);
    expect((await store.listRequests({ state: 'exported' })).map((r) => r.id)).toEqual(['r3']);
    expect((await store.listRequests({ hardwareId: 'sn-000' })).map((r) => r.id)).toEqual(['r2', 'r1']);
    expect(Object.fromEntries(await store.countByState())).toEqual({ generated: 2, exported: 1 });
    store.close();
  });

  it('changes no state when one id of a batch is missing', async () => {
    const store = await WorkbenchStore.open(freshName());
    await store.addRequest(request('r1', 'SN-1'));
    const change = store.setRequestState(['r1', 'missing'], 'exported', undefined, new Date('2026-02-01T00:00:00Z'));
    await expect(change).rejects.toMatchObject({ code: 'not-found' });
    expect((await store.getRequest('r1'))?.state).toBe('generated');

    await store.setRequestState(['r1'], 'rejected', 'hardware id not on the allow-list', new Date('2026-02-01T00:00:00Z'));
    const rejected = await store.getRequest('r1');
    expect(rejected?.state).toBe('rejected');
    expect(rejected?.rejectionReason).toBe('hardware id not on the allow-list');
    expect(rejected?.history.map((h) => h.state)).toEqual(['generated', 'rejected']);
    store.close();
  });

  it('stores a profile and moves its request in one step', async () => {
    const store = await WorkbenchStore.open(freshName());
    await store.addRequest(request('r1', 'SN-1'));
    const profile: ProfileRecord = {
      id: 'r1', requestId: 'r1', hardwareId: 'SN-1', kind: 'mcp', bytes: new Uint8Array([9]),
      importedAt: '2026-01-03T00:00:00.000Z', verification: { ok: true, failures: [], warnings: [] },
    };
    await store.addProfile(profile);
    expect((await store.getRequest('r1'))?.state).toBe('profile-received');

    const orphan = store.addProfile({ ...profile, id: 'r9', requestId: 'r9' });
    await expect(orphan).rejects.toMatchObject({ code: 'not-found' });
    expect(await store.getProfile('r9')).toBeUndefined();

    // A second import after installation leaves the installed request as it is.
    await store.setRequestState(['r1'], 'installed');
    await expect(store.addProfile({ ...profile, bytes: new Uint8Array([8]) })).rejects.toMatchObject({ code: 'invalid-state' });
    expect((await store.getRequest('r1'))?.state).toBe('installed');
    expect((await store.getProfile('r1'))?.bytes).toEqual(new Uint8Array([9]));
    store.close();
  });

  it('installs a final identity in place of the pending one', async () => {
    const store = await WorkbenchStore.open(freshName());
    await store.addRequest(request('r1', 'SN-1', { identityId: 'pending/r1' }), identity('pending/r1', 'r1'));
    await store.addProfile({
      id: 'r1', requestId: 'r1', hardwareId: 'SN-1', kind: 'mcp', bytes: new Uint8Array([9]),
      importedAt: '2026-01-03T00:00:00.000Z', verification: { ok: true, failures: [], warnings: [] },
    });
    const finalIdentity: IdentityRecord = { id: 'final/r1', kind: 'mcpi', requestId: 'r1', hardwareId: 'SN-1', bytes: new Uint8Array([7]), createdAt: '2026-01-04T00:00:00.000Z' };
    await store.installFinal('r1', finalIdentity, new Uint8Array([9]));
    const installed = await store.getRequest('r1');
    expect(installed?.state).toBe('installed');
    expect(installed?.identityId).toBe('final/r1');
    expect(await store.getIdentity('pending/r1')).toBeUndefined();
    expect((await store.getIdentity('final/r1'))?.bytes).toEqual(new Uint8Array([7]));
    expect((await store.getProfile('r1'))?.finalMcp).toEqual(new Uint8Array([9]));
    await expect(store.installFinal('missing', finalIdentity, new Uint8Array())).rejects.toMatchObject({ code: 'not-found' });
    store.close();
  });

  it('deletes a request with its identity and profile', async () => {
    const store = await WorkbenchStore.open(freshName());
    await store.addRequest(request('r1', 'SN-1', { identityId: 'i1' }), identity('i1', 'r1'));
    await store.deleteRequests(['r1']);
    expect(await store.getRequest('r1')).toBeUndefined();
    expect(await store.getIdentity('i1')).toBeUndefined();
    store.close();
  });
});

describe('WorkbenchStore log', () => {
  it('keeps only the newest records beyond the retention limit', async () => {
    const store = await WorkbenchStore.open(freshName());
    const batch = Array.from({ length: LOG_RETENTION + 3 }, (_, i) => ({
      time: '2026-01-01T00:00:00.000Z', level: 'info' as const, source: 'test', message: `record ${i}`,
    }));
    await store.appendLog(batch);
    const log = await store.listLog();
    expect(log.length).toBe(LOG_RETENTION);
    expect(log[0]?.message).toBe('record 3');
    expect(log.at(-1)?.message).toBe(`record ${LOG_RETENTION + 2}`);
    store.close();
  });
});

describe('storageError', () => {
  it('turns a quota error into storage-full', () => {
    const error = storageError(new DOMException('quota', 'QuotaExceededError'), 'saving request r1');
    expect(error).toBeInstanceOf(ProvkitError);
    expect((error as ProvkitError).code).toBe('storage-full');
    expect(error.message).toContain('saving request r1');
    expect(error.message).toContain('Export a backup');
  });

  it('aborts the whole transaction when the work throws a quota error', async () => {
    const db = await openProvkitDatabase(freshName());
    const attempt = inTransaction(db, ['requests'], 'saving two requests', async (tx) => {
      await tx.objectStore('requests').put(request('r1', 'SN-1'));
      throw new DOMException('quota', 'QuotaExceededError');
    });
    await expect(attempt).rejects.toMatchObject({ code: 'storage-full' });
    expect(await db.count('requests')).toBe(0);
    db.close();
  });
});

describe('backup', () => {
  it('restores every store into another database', async () => {
    const source = await WorkbenchStore.open(freshName());
    await source.addRequest(request('r1', 'SN-1', { identityId: 'i1' }), identity('i1', 'r1'));
    await source.addRequest(request('r2', 'SN-2'));
    await source.setMeta('operator', 'field-tech-7');
    const backup = await createBackup(source.db, 'correct horse', { kdf: testKdf, parameters: SMALL_COST, now: new Date('2026-03-01T00:00:00Z') });
    source.close();

    const { header } = readBackupHeader(backup);
    expect(header.counts).toEqual({ packages: 0, identities: 1, requests: 2, profiles: 0, issuer: 0, log: 0, meta: 1 });
    expect(header.createdAt).toBe('2026-03-01T00:00:00.000Z');
    expect(header.kdf).toMatchObject({ name: 'argon2id', memoryKiB: 64, passes: 1, lanes: 1 });

    const target = await WorkbenchStore.open(freshName());
    await target.addRequest(request('stale', 'OLD-1'));
    await restoreBackup(target.db, backup, 'correct horse', { kdf: testKdf });
    expect((await target.listRequests()).map((r) => r.id).sort()).toEqual(['r1', 'r2']);
    expect((await target.getIdentity('i1'))?.bytes).toEqual(new Uint8Array([1, 2, 3, 4]));
    expect(await target.getMeta('operator')).toBe('field-tech-7');
    target.close();
  });

  it('rejects a wrong passphrase and a flipped byte without changing anything', async () => {
    const source = await WorkbenchStore.open(freshName());
    await source.addRequest(request('r1', 'SN-1'));
    const backup = await createBackup(source.db, 'right', { kdf: testKdf, parameters: SMALL_COST });
    source.close();

    const target = await WorkbenchStore.open(freshName());
    await target.addRequest(request('keep', 'KEEP-1'));
    await expect(restoreBackup(target.db, backup, 'wrong', { kdf: testKdf })).rejects.toMatchObject({ code: 'decrypt-failed' });

    const tampered = backup.slice();
    tampered[tampered.length - 20]! ^= 0x01;
    await expect(restoreBackup(target.db, tampered, 'right', { kdf: testKdf })).rejects.toMatchObject({ code: 'decrypt-failed' });
    expect((await target.listRequests()).map((r) => r.id)).toEqual(['keep']);
    target.close();
  });

  it('rejects a file that is not a backup', () => {
    expect(() => readBackupHeader(new TextEncoder().encode('hello world, not a backup'), 'notes.txt')).toThrow(
      expect.objectContaining({ code: 'wrong-type', file: 'notes.txt' }),
    );
  });

  it('rejects an empty passphrase', async () => {
    const db = await openProvkitDatabase(freshName());
    await expect(createBackup(db, '', { kdf: testKdf, parameters: SMALL_COST })).rejects.toMatchObject({ code: 'invalid-argument' });
    db.close();
  });
});

function system(id: string): SystemRecord {
  return {
    id, name: `System ${id}`, approvalMode: 'manual', components: [], requestWindowSeconds: 3600,
    createdAt: '2026-01-01T00:00:00.000Z',
    ca: { root: new Uint8Array([1]), issuingCa: new Uint8Array([2]), profileSigner: new Uint8Array([3]), provisioningCa: new Uint8Array([4]), encryptedKeys: new Uint8Array([5]) },
  };
}

describe('IndexedDbIssuerStore', () => {
  it('commits all writes of a transaction and reads its own writes', async () => {
    const db = await openProvkitDatabase(freshName());
    const store = new IndexedDbIssuerStore(db);
    const seenTwice = await store.transaction(async (tx) => {
      await tx.putSystem(system('a/b'));
      await tx.putSystem(system('a'));
      expect((await tx.listSystems()).map((s) => s.id)).toEqual(['a', 'a/b']);
      expect(await tx.markRequestIdSeen('a', 'req-1')).toBe(true);
      return tx.markRequestIdSeen('a', 'req-1');
    });
    expect(seenTwice).toBe(false);
    const systems = await store.transaction((tx) => tx.listSystems());
    expect(systems.map((s) => s.id)).toEqual(['a', 'a/b']);
    expect(systems[0]?.ca.root).toEqual(new Uint8Array([1]));
    // A slash in a system id does not leak its requests into another system's range.
    await store.transaction(async (tx) => {
      await tx.putDevice({ systemId: 'a/b', hardwareId: 'SN-1', componentHandle: 'pump', requestIds: ['x'] });
    });
    expect(await store.transaction((tx) => tx.listDevices('a'))).toEqual([]);
    db.close();
  });

  it('writes nothing when the body throws', async () => {
    const db = await openProvkitDatabase(freshName());
    const store = new IndexedDbIssuerStore(db);
    const failing = store.transaction(async (tx) => {
      await tx.putSystem(system('a'));
      throw new ProvkitError('invalid-state', 'stop');
    });
    await expect(failing).rejects.toMatchObject({ code: 'invalid-state' });
    expect(await store.transaction((tx) => tx.listSystems())).toEqual([]);
    db.close();
  });
});

describe('IndexedDbIssuerStore certificates', () => {
  it('lists a request certificates in issue order', async () => {
    const db = await openProvkitDatabase(freshName());
    const store = new IndexedDbIssuerStore(db);
    const certificate = (serialHex: string, role: string, requestId = 'req-1') => ({
      systemId: 's', serialHex, requestId, hardwareId: 'SN-1', role, notBefore: '2026-01-01T00:00:00Z', notAfter: '2027-01-01T00:00:00Z', certificate: new Uint8Array([1]),
    });
    await store.transaction(async (tx) => {
      await tx.putCertificate(certificate('ff01', 'identity'));
      await tx.putCertificate(certificate('0a02', 'tls'));
    });
    await store.transaction((tx) => tx.putCertificate(certificate('0b03', 'other', 'req-2')));
    // Putting the same serial again replaces it rather than adding a copy.
    await store.transaction((tx) => tx.putCertificate(certificate('ff01', 'identity')));
    expect((await store.transaction((tx) => tx.listCertificates('s', 'req-1'))).map((c) => c.role)).toEqual(['identity', 'tls']);
    expect((await store.transaction((tx) => tx.listCertificates('s'))).length).toBe(3);
    db.close();
  });
});
