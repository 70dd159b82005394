import 'fake-indexeddb/auto';
import { beforeAll, describe, expect, it } from 'vitest';
import { argon2idKdf } from '../../src/crypto/wasm.js';
import { ARGON2ID_FLOOR } from '../../src/formats/identity.js';
import { LabIssuer } from '../../src/issuer/issuer.js';
import { generateProvisionRequest, initialiseDevice, installCertifiedProfile } from '../../src/provisioning/device.js';
import { loadCryptoWasmFromFile } from '../../src/node/wasm-loader.js';
import { openProvkitDatabase } from '../../src/storage/db.js';
import { IndexedDbIssuerStore } from '../../src/storage/issuer-store.js';

const CA_PASSPHRASE = 'ca passphrase for tests';
const PACKAGE_PASSPHRASE = 'package passphrase for tests';

describe('IndexedDbIssuerStore with the lab issuer', () => {
  beforeAll(async () => {
    await loadCryptoWasmFromFile();
  });

  it('runs a request from submission to report', async () => {
    const db = await openProvkitDatabase('provkit-issuer-flow');
    const lab = new LabIssuer({ store: new IndexedDbIssuerStore(db), kdf: argon2idKdf, kdfParameters: ARGON2ID_FLOOR });
    const system = await lab.createSystem({ name: 'Unit Plant', approvalMode: 'manual', components: [{ handle: 'pump' }] }, CA_PASSPHRASE);
    const ca = await lab.unlock(system.id, CA_PASSPHRASE);
    const pkg = await lab.exportPackage(system.id, 'pump', { ca, packagePassphrase: PACKAGE_PASSPHRASE });

    const files = { trustStore: pkg.trustStore, profile: pkg.profile, identity: pkg.identity };
    const device = await initialiseDevice(files, { kdf: argon2idKdf, passphrase: PACKAGE_PASSPHRASE, hardwareId: 'UNIT-1' });
    const generated = await generateProvisionRequest(device, { kdf: argon2idKdf, kdfParameters: ARGON2ID_FLOOR, passphrase: 'device passphrase' });

    const submitted = await lab.submitRequest(generated.request, { file: 'UNIT-1.mcpr' });
    expect(submitted.ok).toBe(true);
    expect(submitted.state).toBe('needs-approval');
    // The same request again is a replay, and the store remembered it across transactions.
    const replay = await lab.submitRequest(generated.request, { file: 'UNIT-1.mcpr' });
    expect(replay.failures.map((failure) => failure.code)).toEqual(['replay']);

    await lab.approve(system.id, generated.requestId, 'operator');
    const profile = await lab.issueProfile(system.id, generated.requestId, { ca, actor: 'operator' });
    const installed = await installCertifiedProfile(
      { trustStore: pkg.trustStore, request: generated.request, pendingIdentity: generated.pendingIdentity!, profile },
      { kdf: argon2idKdf, kdfParameters: ARGON2ID_FLOOR, passphrase: 'device passphrase' },
    );
    expect(installed.hardwareId).toBe('UNIT-1');
    await lab.complete(system.id, generated.requestId, 'operator');

    const report = await lab.report(system.id);
    expect(report.rows.map((row) => [row.hardwareId, row.state, row.requestId, row.requestCount])).toEqual([['UNIT-1', 'provisioned', generated.requestId, 1]]);
    expect(report.rows[0]!.certificates.map((certificate) => certificate.role)).toEqual(['identity', 'tls']);

    // A second store on the same database reads every change, so it was committed, not cached.
    const reopened = new LabIssuer({ store: new IndexedDbIssuerStore(db), kdf: argon2idKdf });
    expect((await reopened.getRequest(system.id, generated.requestId)).history.map((transition) => transition.state)).toEqual([
      'verifying',
      'needs-approval',
      'approved',
      'provisioning',
      'provisioned',
    ]);
    db.close();
  });
});
