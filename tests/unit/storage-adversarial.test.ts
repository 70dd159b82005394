import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { argon2idAsync } from '@noble/hashes/argon2.js';
import { inTransaction, SCHEMA_VERSION } from '../../src/storage/db.js';
import { WorkbenchStore } from '../../src/storage/store.js';
import { createBackup, restoreBackup, type BackupKeyDerivation } from '../../src/storage/backup.js';
import type { RequestRecord } from '../../src/storage/records.js';

let databaseCounter = 0;
function freshName(): string {
  databaseCounter += 1;
  return `provkit-adversarial-${databaseCounter}`;
}

function request(id: string, hardwareId: string): RequestRecord {
  return {
    id,
    hardwareId,
    systemId: 'plant-a',
    componentHandle: 'pump',
    state: 'generated',
    origin: 'generated',
    mcpr: new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01]),
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    history: [{ state: 'generated', at: '2026-01-01T00:00:00.000Z' }],
  };
}

// Real Argon2id (noble-hashes) at a small cost, so the tests stay quick.
const testKdf: BackupKeyDerivation = async (passphrase, salt, params) =>
  argon2idAsync(passphrase, salt, { m: params.memoryKiB, t: params.passes, p: params.lanes, dkLen: 32 });
const SMALL_COST = { memoryKiB: 64, passes: 1, lanes: 1 };

/** Rewrites the clear JSON header of a backup (its length prefix follows the 8-byte magic). */
function withHeader(backup: Uint8Array, change: (header: Record<string, unknown>) => void): Uint8Array {
  const view = new DataView(backup.buffer, backup.byteOffset, backup.byteLength);
  const length = view.getUint32(8);
  const header = JSON.parse(new TextDecoder().decode(backup.subarray(12, 12 + length))) as Record<string, unknown>;
  change(header);
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(12 + json.length + backup.length - 12 - length);
  out.set(backup.subarray(0, 8));
  new DataView(out.buffer).setUint32(8, json.length);
  out.set(json, 12);
  out.set(backup.subarray(12 + length), 12 + json.length);
  return out;
}

describe('restoreBackup with bad input', () => {
  async function setup(): Promise<{ backup: Uint8Array; target: WorkbenchStore }> {
    const source = await WorkbenchStore.open(freshName());
    await source.addRequest(request('r1', 'SN-1'));
    const backup = await createBackup(source.db, 'backup passphrase', { kdf: testKdf, parameters: SMALL_COST });
    source.close();
    const target = await WorkbenchStore.open(freshName());
    await target.addRequest(request('keep', 'KEEP-1'));
    return { backup, target };
  }

  it('rejects a newer schema and changes nothing', async () => {
    const { backup, target } = await setup();
    const newer = withHeader(backup, (header) => (header.schemaVersion = SCHEMA_VERSION + 1));
    await expect(restoreBackup(target.db, newer, 'backup passphrase', { kdf: testKdf, file: 'new.pkbackup' })).rejects.toMatchObject({
      code: 'bad-version',
      file: 'new.pkbackup',
      field: 'header.schemaVersion',
    });
    expect((await target.listRequests()).map((r) => r.id)).toEqual(['keep']);
    target.close();
  });

  it('rejects truncated backups and changes nothing', async () => {
    const { backup, target } = await setup();
    await expect(restoreBackup(target.db, backup.subarray(0, 40), 'backup passphrase', { kdf: testKdf })).rejects.toMatchObject({ code: 'malformed', field: 'header' });
    await expect(restoreBackup(target.db, backup.subarray(0, backup.length - 1), 'backup passphrase', { kdf: testKdf })).rejects.toMatchObject({ code: 'decrypt-failed' });
    await expect(restoreBackup(target.db, backup.subarray(0, 10), 'backup passphrase', { kdf: testKdf })).rejects.toMatchObject({ code: 'malformed', field: 'header' });
    expect((await target.listRequests()).map((r) => r.id)).toEqual(['keep']);
    target.close();
  });

  it('rejects an edited header through its authentication', async () => {
    const { backup, target } = await setup();
    const edited = withHeader(backup, (header) => (header.createdAt = '2020-01-01T00:00:00.000Z'));
    await expect(restoreBackup(target.db, edited, 'backup passphrase', { kdf: testKdf })).rejects.toMatchObject({ code: 'decrypt-failed' });
    expect((await target.listRequests()).map((r) => r.id)).toEqual(['keep']);
    target.close();
  });
});

describe('database upgraded by another tab', () => {
  it('asks for a reload instead of a raw InvalidStateError', async () => {
    const name = freshName();
    const store = await WorkbenchStore.open(name);
    // Another tab opens a newer schema; this connection closes so that upgrade can run.
    const newer = await new Promise<IDBDatabase>((resolve, reject) => {
      const open = indexedDB.open(name, SCHEMA_VERSION + 1);
      open.onsuccess = () => resolve(open.result);
      open.onerror = () => reject(open.error);
    });
    await expect(inTransaction(store.db, ['requests'], 'queueing a request', async (tx) => tx.objectStore('requests').put(request('r1', 'SN-1')))).rejects.toMatchObject({
      code: 'invalid-state',
      message: expect.stringContaining('Reload this tab'),
    });
    newer.close();
  });
});
