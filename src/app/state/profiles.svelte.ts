import { ProvkitError } from '../../errors.js';
import { readCertifiedProfile } from '../../formats/profile.js';
import { readProvisionRequest } from '../../formats/request.js';
import { readTrustStore } from '../../formats/truststore.js';
import { VerificationCache, verifyCertifiedProfile } from '../../formats/verify.js';
import type { PackageRecord, ProfileRecord, RequestRecord } from '../../storage/records.js';
import { readFiles } from '../files/io.js';
import { batchName, fileNameFor } from '../files/naming.js';
import type { NamedFile } from '../files/named-file.js';
import { fileTransport } from '../files/transport.js';
import { expandArchives } from '../files/zip.js';
import { BatchProgress } from './batch.svelte.js';
import { installInWorker } from './device-client.js';
import { appLogger, workbenchStore } from './workbench.js';

const log = appLogger.child('profiles');

/** A queued request with its received profile, as the Profiles screen lists it. */
export interface ProfileRow {
  request: RequestRecord;
  profile: ProfileRecord;
}

/** A profile file that was not accepted, with every reason. */
export interface RejectedProfile {
  file: string;
  code: string;
  reasons: string[];
}

/**
 * The Profiles screen: imports Certified Profiles (.mcp), verifies each against its system's
 * TrustStore and matches it to its queued request (explaining every mismatch), produces the
 * final .mcpi for requests generated in this browser, and marks requests installed and
 * completed.
 */
export class ProfilesState {
  rows = $state.raw<ProfileRow[]>([]);
  rejected = $state.raw<RejectedProfile[]>([]);
  selected = $state<string[]>([]);
  readonly batch = new BatchProgress();

  /** Reads the requests that have a profile. */
  async load(): Promise<void> {
    const store = await workbenchStore();
    const profiles = new Map((await store.listProfiles()).map((p) => [p.requestId, p]));
    const requests = await store.listRequests();
    this.rows = requests.filter((r) => profiles.has(r.id)).map((request) => ({ request, profile: profiles.get(request.id)! }));
    const present = new Set(this.rows.map((row) => row.request.id));
    this.selected = this.selected.filter((id) => present.has(id));
  }

  /** Selects or clears one request. */
  toggle(id: string): void {
    this.selected = this.selected.includes(id) ? this.selected.filter((s) => s !== id) : [...this.selected, id];
  }

  /** Imports .mcp files or .zip archives of them; each accepted profile is stored in its own transaction. */
  async importFiles(files: File[]): Promise<void> {
    const named = expandArchives(await readFiles(files));
    const store = await workbenchStore();
    const packages = await store.listPackages();
    const cache = new VerificationCache();
    const rejected: RejectedProfile[] = [];
    await this.batch.run('Importing Certified Profiles', named, (file) => file.name, async (file) => {
      try {
        await this.#importOne(file, packages, cache);
      } catch (error) {
        let reasons = [error instanceof Error ? error.message : String(error)];
        if (error instanceof MatchError) reasons = error.reasons;
        // The list item names the file already.
        reasons = reasons.map((reason) => (reason.startsWith(`${file.name}: `) ? reason.slice(file.name.length + 2) : reason));
        rejected.push({ file: file.name, code: error instanceof ProvkitError ? error.code : 'error', reasons });
        throw error;
      }
    });
    this.rejected = rejected;
    await this.load();
  }

  async #importOne(file: NamedFile, packages: readonly PackageRecord[], cache: VerificationCache): Promise<void> {
    const store = await workbenchStore();
    const profile = readCertifiedProfile(file.bytes, { file: file.name });
    const manifest = profile.manifest;
    const request = await store.getRequest(manifest.requestId);
    if (request === undefined) {
      throw new ProvkitError('not-found', `the profile is for request ${manifest.requestId} (hardware id ${manifest.hardwareId}), which is not in this queue; import or generate that request first`, { file: file.name });
    }
    const packageRecord = packages.find((p) => p.systemId === manifest.systemId);
    if (packageRecord === undefined) {
      throw new ProvkitError('untrusted', `no stored package belongs to system ${manifest.systemId}; import its package so its TrustStore can verify the profile`, { file: file.name });
    }
    const anchors = readTrustStore(packageRecord.mcts, { file: `${packageRecord.id} TrustStore` }).certificates;
    const parsedRequest = readProvisionRequest(request.mcpr, { file: fileNameFor(request.hardwareId, 'mcpr') });
    const verification = await verifyCertifiedProfile(file.bytes, { anchors, file: file.name, cache, request: parsedRequest });
    if (!verification.ok) throw new MatchError(verification.failures[0]!.code, verification.failures.map((f) => f.message), file.name);
    await store.addProfile({
      id: request.id,
      requestId: request.id,
      hardwareId: request.hardwareId,
      kind: 'mcp',
      bytes: file.bytes,
      importedAt: new Date().toISOString(),
      verification: { ok: true, failures: [], warnings: verification.warnings },
    });
    log.info('profile imported', { file: file.name, requestId: request.id, hardwareId: request.hardwareId });
  }

  /**
   * Produces the final .mcpi of the selected browser-generated requests in the device worker:
   * decrypts each pending identity with `identityPassphrase`, checks every key against its
   * certificate, and stores the final identity (request moves to Installed) one device per
   * transaction.
   */
  async produceFinal(identityPassphrase: string): Promise<{ cancelled: boolean }> {
    const store = await workbenchStore();
    const rows = this.rows.filter((row) => this.selected.includes(row.request.id) && row.request.state === 'profile-received' && row.request.origin === 'generated');
    if (rows.length === 0) throw new ProvkitError('invalid-argument', 'select requests generated in this browser that have a received profile');
    const packages = await store.listPackages();
    const bySystem = new Map<string, typeof rows>();
    for (const row of rows) bySystem.set(row.request.systemId, [...(bySystem.get(row.request.systemId) ?? []), row]);
    let cancelled = false;
    for (const [systemId, group] of bySystem) {
      const packageRecord = packages.find((p) => p.systemId === systemId);
      if (packageRecord === undefined) throw new ProvkitError('untrusted', `no stored package belongs to system ${systemId}`);
      const items = [];
      for (const row of group) {
        const pending = row.request.identityId === undefined ? undefined : await store.getIdentity(row.request.identityId);
        if (pending === undefined) throw new ProvkitError('not-found', `the pending identity of ${row.request.hardwareId} is not stored`);
        items.push({
          key: row.request.id,
          request: row.request.mcpr,
          pendingIdentity: pending.bytes,
          profile: row.profile.bytes,
          names: { request: fileNameFor(row.request.hardwareId, 'mcpr'), pendingIdentity: `${row.request.hardwareId} pending identity`, profile: fileNameFor(row.request.hardwareId, 'mcp') },
        });
      }
      const outcome = await installInWorker({ trustStore: packageRecord.mcts, identityPassphrase, items }, this.batch, async (item) => {
        const now = new Date().toISOString();
        await store.installFinal(item.key, { id: `final/${item.requestId}`, kind: 'mcpi', requestId: item.requestId, hardwareId: item.hardwareId, bytes: item.identity, createdAt: now }, item.profile);
        log.info('final identity produced', { requestId: item.requestId, hardwareId: item.hardwareId });
      });
      cancelled ||= outcome.cancelled;
      if (cancelled) break;
    }
    await this.load();
    return { cancelled };
  }

  /**
   * Downloads, for each selected installed request, `<hardwareId>.mcpi` and `<hardwareId>.mcp`
   * in one .zip to hand to the devices.
   */
  async exportFinal(): Promise<number> {
    const store = await workbenchStore();
    const rows = this.rows.filter((row) => this.selected.includes(row.request.id) && (row.request.state === 'installed' || row.request.state === 'completed'));
    const files: NamedFile[] = [];
    for (const row of rows) {
      const identity = row.request.identityId === undefined ? undefined : await store.getIdentity(row.request.identityId);
      if (identity?.kind === 'mcpi' && row.profile.finalMcp !== undefined) {
        files.push({ name: fileNameFor(row.request.hardwareId, 'mcpi'), bytes: identity.bytes }, { name: fileNameFor(row.request.hardwareId, 'mcp'), bytes: row.profile.finalMcp });
      }
    }
    if (files.length === 0) {
      throw new ProvkitError('invalid-argument', 'no selected request has a final identity yet; select requests generated in this browser and produce their final identities first');
    }
    await fileTransport.send(files, { archiveName: batchName('final-identities', 'zip') });
    return files.length / 2;
  }

  /** Marks the selected requests installed (a device installed its profile itself). */
  async markInstalled(): Promise<void> {
    const ids = this.rows.filter((row) => this.selected.includes(row.request.id) && row.request.state === 'profile-received').map((row) => row.request.id);
    if (ids.length === 0) throw new ProvkitError('invalid-argument', 'select requests in state Profile received');
    await (await workbenchStore()).setRequestState(ids, 'installed', 'installed by the device');
    await this.load();
  }

  /** Marks the selected installed requests completed. */
  async markCompleted(): Promise<void> {
    const ids = this.rows.filter((row) => this.selected.includes(row.request.id) && row.request.state === 'installed').map((row) => row.request.id);
    if (ids.length === 0) throw new ProvkitError('invalid-argument', 'select requests in state Installed');
    await (await workbenchStore()).setRequestState(ids, 'completed');
    log.info('requests completed', { count: ids.length });
    await this.load();
  }
}

/** A verification that failed with several reasons, all shown to the technician. */
class MatchError extends ProvkitError {
  readonly reasons: string[];

  constructor(code: ProvkitError['code'], reasons: string[], file: string) {
    super(code, `the profile is rejected: ${reasons.join('; ')}`, { file });
    this.reasons = reasons;
  }
}
