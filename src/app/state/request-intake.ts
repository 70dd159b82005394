import { ProvkitError } from '../../errors.js';
import { readProvisionRequest } from '../../formats/request.js';
import { readTrustStore } from '../../formats/truststore.js';
import { VerificationCache, verifyProvisionRequest } from '../../formats/verify.js';
import { ARGON2ID_FLOOR, DEFAULT_ARGON2ID_PARAMETERS } from '../../formats/identity.js';
import type { PackageRecord, RequestRecord } from '../../storage/records.js';
import type { NamedFile } from '../files/named-file.js';
import type { BatchProgress } from './batch.svelte.js';
import { generateInWorker } from './device-client.js';
import { appLogger, workbenchStore } from './workbench.js';

const log = appLogger.child('requests');

/** Argon2id cost of the pending identities a batch writes: the container default, or provkit's floor for large batches. */
export type IdentityCost = 'standard' | 'fast';

/** The Argon2id parameters of each cost choice. */
export const IDENTITY_COSTS = {
  standard: DEFAULT_ARGON2ID_PARAMETERS,
  fast: ARGON2ID_FLOOR,
} as const;

/**
 * Imports `.mcpr` files made by devices: each is read, verified against the TrustStore of a
 * stored package of its system (signature, signer path and usage, every CSR's proof of
 * possession) and queued in its own transaction. Files that fail are counted in `batch` with
 * their reason and change nothing.
 */
export async function importRequests(files: readonly NamedFile[], batch: BatchProgress): Promise<void> {
  const store = await workbenchStore();
  const packages = await store.listPackages();
  const cache = new VerificationCache();
  await batch.run('Importing requests', files, (file) => file.name, async (file) => {
    const request = readProvisionRequest(file.bytes, { file: file.name });
    const manifest = request.manifest;
    const anchors = trustStoreOf(packages, manifest.systemId, file.name);
    const verification = await verifyProvisionRequest(file.bytes, { anchors, file: file.name, cache });
    if (!verification.ok) {
      const first = verification.failures[0]!;
      throw new ProvkitError(first.code, verification.failures.map((f) => f.message).join('; '));
    }
    const now = new Date().toISOString();
    const record: RequestRecord = {
      id: manifest.requestId,
      hardwareId: manifest.hardwareId,
      systemId: manifest.systemId,
      componentHandle: manifest.componentHandle,
      state: 'generated',
      origin: 'imported',
      mcpr: request.bytes,
      createdAt: manifest.createdAt,
      updatedAt: now,
      history: [{ state: 'generated', at: now, note: `imported from ${file.name}` }],
    };
    await store.addRequest(record);
    log.info('request imported', { file: file.name, requestId: record.id, hardwareId: record.hardwareId });
  });
}

function trustStoreOf(packages: readonly PackageRecord[], systemId: string, file: string) {
  const record = packages.find((p) => p.systemId === systemId);
  if (record === undefined) {
    throw new ProvkitError('untrusted', `no stored package belongs to system ${systemId}; import that system's package first, its TrustStore verifies the request`, { file });
  }
  return readTrustStore(record.mcts, { file: `${record.id} TrustStore` }).certificates;
}

/**
 * Generates one request per hardware id from a stored package, in the device worker: new
 * keys and CSRs per role, the signed `.mcpr`, and the pending `.mcpi` encrypted under
 * `identityPassphrase`. Each device is stored (request and encrypted identity together) in
 * its own transaction as soon as the worker finishes it. Throws ProvkitError when the package
 * cannot be opened (wrong passphrase: 'decrypt-failed').
 */
export async function generateRequests(
  packageRecord: PackageRecord,
  hardwareIds: readonly string[],
  options: { packagePassphrase: string; identityPassphrase: string; cost: IdentityCost; onCommitted?: () => void },
  batch: BatchProgress,
): Promise<{ cancelled: boolean }> {
  if (hardwareIds.length === 0) throw new ProvkitError('invalid-argument', 'enter at least one hardware id');
  if (options.identityPassphrase.length < 8) throw new ProvkitError('invalid-argument', 'the identity passphrase needs at least 8 characters');
  const store = await workbenchStore();
  const existing = new Set((await store.listRequests({ systemId: packageRecord.systemId, componentHandle: packageRecord.componentHandle })).filter((r) => r.state !== 'rejected').map((r) => r.hardwareId));
  const duplicate = hardwareIds.find((id) => existing.has(id));
  if (duplicate !== undefined) {
    throw new ProvkitError('invalid-state', `hardware id ${duplicate} already has a request in the queue for this component; delete it or leave it out`);
  }
  log.info('batch generation started', { package: packageRecord.id, devices: hardwareIds.length, cost: options.cost });
  const outcome = await generateInWorker(
    {
      package: { trustStore: packageRecord.mcts, profile: packageRecord.mcpp, identity: packageRecord.mcpip, names: { trustStore: `${packageRecord.componentHandle}.mcts`, profile: `${packageRecord.componentHandle}.mcpp`, identity: `${packageRecord.componentHandle}.mcpip` } },
      packagePassphrase: options.packagePassphrase,
      identityPassphrase: options.identityPassphrase,
      hardwareIds: [...hardwareIds],
      kdfCost: { ...IDENTITY_COSTS[options.cost] },
    },
    batch,
    async (item) => {
      const now = new Date().toISOString();
      const identityId = `pending/${item.requestId}`;
      await store.addRequest(
        {
          id: item.requestId,
          hardwareId: item.hardwareId,
          systemId: item.systemId,
          componentHandle: item.componentHandle,
          state: 'generated',
          origin: 'generated',
          mcpr: item.request,
          packageId: packageRecord.id,
          identityId,
          createdAt: now,
          updatedAt: now,
          history: [{ state: 'generated', at: now }],
        },
        { id: identityId, kind: 'mcpi', requestId: item.requestId, hardwareId: item.hardwareId, bytes: item.pendingIdentity, createdAt: now },
      );
      options.onCommitted?.();
    },
  );
  log.info('batch generation finished', { package: packageRecord.id, done: batch.counts.done, failed: batch.counts.failed, cancelled: outcome.cancelled });
  return outcome;
}
