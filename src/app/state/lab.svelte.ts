import { ProvkitError } from '../../errors.js';
import { LabIssuer, type SubmitResult } from '../../issuer/issuer.js';
import type { UnlockedCa } from '../../issuer/ca.js';
import { reportToCsv, reportToJson } from '../../issuer/report.js';
import { currentState, type RequestState } from '../../issuer/states.js';
import type { DeviceRecord, SystemRecord } from '../../issuer/store.js';
import { IndexedDbIssuerStore } from '../../storage/issuer-store.js';
import type { QueueState } from '../../storage/records.js';
import { parseHardwareIds } from './hardware-ids.js';
import { checkSystemName } from './system-name.js';
import { groupByDevice, type LabDevice, type LabRow } from './lab-devices.js';

export type { LabDevice, LabRow } from './lab-devices.js';
import { readFiles } from '../files/io.js';
import { expandArchives } from '../files/zip.js';
import { fileTransport } from '../files/transport.js';
import { batchName, fileNameFor, safeStem } from '../files/naming.js';
import type { NamedFile } from '../files/named-file.js';
import { BatchProgress } from './batch.svelte.js';
import { pageKdf } from './crypto.js';
import { appLogger, workbenchStore } from './workbench.js';

const log = appLogger.child('lab');

/** Human label of each issuer state. */
export const ISSUER_STATE_LABELS: Readonly<Record<RequestState, string>> = {
  verifying: 'Verifying',
  'auto-approved': 'Auto-approved',
  'needs-approval': 'Needs approval',
  approved: 'Approved',
  rejected: 'Rejected',
  provisioning: 'Provisioning',
  provisioned: 'Provisioned',
  failed: 'Failed',
};

/** Form of a new lab system. */
export interface NewSystemForm {
  name: string;
  approvalMode: 'automatic' | 'manual';
  /** Component handles, comma or space separated. */
  components: string;
  /** Allowed hardware ids, one per line; empty accepts any. */
  allowList: string;
  validityDays: number;
  passphrase: string;
}


/** Queue state that a queued request takes when the lab records an issuer state for it. */
const QUEUE_STATE_OF: Partial<Record<RequestState, QueueState>> = {
  'needs-approval': 'submitted',
  'auto-approved': 'approved',
  approved: 'approved',
  // Automatic approval with the CA unlocked issues the profile at submission.
  provisioning: 'approved',
  rejected: 'rejected',
};

/**
 * The Lab issuer screen: the core's LabIssuer on the workbench's IndexedDB, for tests with no
 * cloud. CA keys stay encrypted in storage; once unlocked with the system passphrase they are
 * kept in memory for this page only. When a request the lab handles is also in this browser's
 * queue, the queue follows the lab's decision (submitted, approved, rejected).
 */
export class LabState {
  systems = $state.raw<SystemRecord[]>([]);
  selectedId = $state('');
  rows = $state.raw<LabRow[]>([]);
  devices = $state.raw<DeviceRecord[]>([]);
  /** One entry per hardware id, with the state of its newest request. */
  deviceList = $state.raw<LabDevice[]>([]);
  unlocked = $state.raw<UnlockedCa | undefined>(undefined);
  busy = $state(false);
  lastSubmit = $state.raw<SubmitResult[]>([]);
  readonly batch = new BatchProgress();
  readonly selected = $derived(this.systems.find((s) => s.id === this.selectedId));
  #issuer: LabIssuer | undefined;

  async #lab(): Promise<LabIssuer> {
    this.#issuer ??= new LabIssuer({ store: new IndexedDbIssuerStore((await workbenchStore()).db), kdf: pageKdf(), logger: appLogger });
    return this.#issuer;
  }

  /** Reads the systems and the selected system's requests and devices. */
  async load(): Promise<void> {
    const lab = await this.#lab();
    this.systems = await lab.listSystems();
    if (this.selected === undefined) this.selectedId = this.systems[0]?.id ?? '';
    await this.#loadRequests();
  }

  /** Shows another system and drops the unlocked CA of the previous one. */
  async select(systemId: string): Promise<void> {
    this.selectedId = systemId;
    if (this.unlocked?.systemId !== systemId) this.unlocked = undefined;
    await this.#loadRequests();
  }

  async #loadRequests(): Promise<void> {
    const system = this.selected;
    if (system === undefined) {
      this.rows = [];
      this.devices = [];
      this.deviceList = [];
      return;
    }
    const lab = await this.#lab();
    const { requests, devices } = await lab.store.transaction(async (tx) => ({
      requests: await tx.listRequests(system.id),
      devices: await tx.listDevices(system.id),
    }));
    this.rows = requests
      .map((record) => {
        const state = currentState(record.history);
        const row: LabRow = { record, state };
        const rejection = record.history.find((t) => t.state === 'rejected');
        if (rejection?.reason !== undefined) row.reason = rejection.reason;
        if (record.failure !== undefined) row.failure = `${record.failure.code}: ${record.failure.message}`;
        return row;
      })
      .sort((a, b) => a.record.hardwareId.localeCompare(b.record.hardwareId) || a.record.receivedAt.localeCompare(b.record.receivedAt));
    this.devices = devices;
    this.deviceList = groupByDevice(this.rows, devices);
  }

  /** Creates a system with its CA hierarchy; throws ProvkitError('invalid-argument') for a bad form. */
  async createSystem(form: NewSystemForm): Promise<SystemRecord> {
    if (form.passphrase.length < 8) throw new ProvkitError('invalid-argument', 'the CA passphrase needs at least 8 characters');
    checkSystemName(form.name);
    const handles = form.components.split(/[\s,;]+/).filter((h) => h !== '');
    const allow = parseHardwareIds(form.allowList);
    if (allow.invalid.length > 0) throw new ProvkitError('invalid-argument', `allow-list line ${allow.invalid[0]!.line}: ${allow.invalid[0]!.message}`);
    this.busy = true;
    try {
      const lab = await this.#lab();
      const system = await lab.createSystem(
        {
          name: form.name,
          approvalMode: form.approvalMode,
          components: handles.map((handle) => ({ handle })),
          validityDays: form.validityDays,
          ...(allow.ids.length > 0 ? { hardwareIdAllowList: allow.ids } : {}),
        },
        form.passphrase,
      );
      this.unlocked = await lab.unlock(system.id, form.passphrase);
      this.selectedId = system.id;
      await this.load();
      return system;
    } finally {
      this.busy = false;
    }
  }

  /** Decrypts the selected system's CA keys into memory; throws ProvkitError('decrypt-failed') for a wrong passphrase. */
  async unlock(passphrase: string): Promise<void> {
    const system = this.#requireSystem();
    this.busy = true;
    try {
      this.unlocked = await (await this.#lab()).unlock(system.id, passphrase);
      log.info('CA unlocked', { systemId: system.id });
    } finally {
      this.busy = false;
    }
  }

  /** Forgets the unlocked CA keys. */
  lock(): void {
    this.unlocked = undefined;
  }

  /**
   * Exports a provisioning package for a component as one .zip holding `<component>.mcts`,
   * `<component>.mcpp` and `<component>.mcpip` (encrypted under `packagePassphrase`).
   */
  async exportPackage(componentHandle: string, packagePassphrase: string): Promise<string> {
    const system = this.#requireSystem();
    const ca = this.#requireUnlocked();
    if (packagePassphrase.length < 8) throw new ProvkitError('invalid-argument', 'the package passphrase needs at least 8 characters');
    this.busy = true;
    try {
      const pkg = await (await this.#lab()).exportPackage(system.id, componentHandle, { ca, packagePassphrase });
      const name = `${safeStem(`${system.name}-${componentHandle}`)}-package.zip`;
      await fileTransport.send(
        [
          { name: fileNameFor(componentHandle, 'mcts'), bytes: pkg.trustStore },
          { name: fileNameFor(componentHandle, 'mcpp'), bytes: pkg.profile },
          { name: fileNameFor(componentHandle, 'mcpip'), bytes: pkg.identity },
        ],
        { archiveName: name },
      );
      return name;
    } finally {
      this.busy = false;
    }
  }

  /** Submits .mcpr files (or .zip archives of them) to the lab, each verified; returns the results. */
  async submitFiles(files: File[]): Promise<SubmitResult[]> {
    return this.#submit(expandArchives(await readFiles(files)));
  }

  /** Submits the queued requests of the selected system that were generated or exported here. */
  async submitFromQueue(): Promise<SubmitResult[]> {
    const system = this.#requireSystem();
    const queued = (await (await workbenchStore()).listRequests({ systemId: system.id })).filter((r) => r.state === 'generated' || r.state === 'exported');
    if (queued.length === 0) throw new ProvkitError('not-found', `no generated or exported request of system ${system.name} is in the queue; generate or import requests first`);
    return this.#submit(queued.map((r) => ({ name: fileNameFor(r.hardwareId, 'mcpr'), bytes: r.mcpr })));
  }

  async #submit(files: NamedFile[]): Promise<SubmitResult[]> {
    const lab = await this.#lab();
    const results: SubmitResult[] = [];
    await this.batch.run('Submitting requests to the lab issuer', files, (f) => f.name, async (file) => {
      const result = await lab.submitRequest(file.bytes, { file: file.name, actor: 'lab operator', ...(this.unlocked !== undefined ? { ca: this.unlocked } : {}) });
      results.push(result);
      if (result.requestId !== undefined && result.state !== undefined) await this.#followInQueue(result.requestId, result.state);
      if (!result.ok) {
        const first = result.failures[0];
        const message = first?.message ?? 'the request failed verification';
        // The issuer's failure messages already name the file they were given.
        throw new ProvkitError(first?.code ?? 'malformed', message, message.startsWith(`${file.name}: `) ? {} : { file: file.name });
      }
    });
    this.lastSubmit = results;
    await this.load();
    return results;
  }

  /** Approves a request that needs approval. */
  async approve(requestId: string): Promise<void> {
    const system = this.#requireSystem();
    await (await this.#lab()).approve(system.id, requestId, 'lab operator');
    await this.#followInQueue(requestId, 'approved');
    await this.#loadRequests();
  }

  /** Rejects a request that needs approval; throws ProvkitError('invalid-argument') without a reason. */
  async reject(requestId: string, reason: string): Promise<void> {
    const system = this.#requireSystem();
    await (await this.#lab()).reject(system.id, requestId, 'lab operator', reason.trim());
    await this.#followInQueue(requestId, 'rejected', reason.trim());
    await this.#loadRequests();
  }

  /**
   * Issues Certified Profiles for every approved request of the selected system and downloads
   * them as one .zip of `<hardwareId>.mcp` files. Each issuance commits on its own.
   */
  async issueProfiles(): Promise<number> {
    const system = this.#requireSystem();
    const ca = this.#requireUnlocked();
    const lab = await this.#lab();
    const pending = this.rows.filter((row) => row.state === 'approved' || row.state === 'auto-approved' || row.state === 'provisioning');
    if (pending.length === 0) throw new ProvkitError('not-found', 'no approved request is waiting for a profile');
    const profiles: NamedFile[] = [];
    await this.batch.run('Issuing Certified Profiles', pending, (row) => row.record.hardwareId, async (row) => {
      const bytes = await lab.issueProfile(system.id, row.record.requestId, { ca, actor: 'lab operator' });
      profiles.push({ name: fileNameFor(row.record.hardwareId, 'mcp'), bytes });
    });
    if (profiles.length > 0) await fileTransport.send(profiles, { archiveName: batchName(`${safeStem(system.name)}-profiles`, 'zip') });
    await this.#loadRequests();
    return profiles.length;
  }

  /** Marks a provisioning request as provisioned (the device installed its profile). */
  async complete(requestId: string): Promise<void> {
    const system = this.#requireSystem();
    await (await this.#lab()).complete(system.id, requestId, 'lab operator');
    await this.#loadRequests();
  }

  /** Downloads the provisioning report of the selected system as CSV or JSON. */
  async exportReport(format: 'csv' | 'json'): Promise<string> {
    const system = this.#requireSystem();
    const report = await (await this.#lab()).report(system.id);
    const text = format === 'csv' ? reportToCsv(report) : reportToJson(report);
    const name = batchName(`${safeStem(system.name)}-report`, format);
    await fileTransport.send([{ name, bytes: new TextEncoder().encode(text) }]);
    return name;
  }

  async #followInQueue(requestId: string, state: RequestState, note?: string): Promise<void> {
    const queueState = QUEUE_STATE_OF[state];
    if (queueState === undefined) return;
    const store = await workbenchStore();
    const queued = await store.getRequest(requestId);
    if (queued === undefined || queued.state === queueState) return;
    await store.setRequestState([requestId], queueState, note);
  }

  #requireSystem(): SystemRecord {
    const system = this.selected;
    if (system === undefined) throw new ProvkitError('not-found', 'create or select a lab system first');
    return system;
  }

  #requireUnlocked(): UnlockedCa {
    const system = this.#requireSystem();
    if (this.unlocked === undefined || this.unlocked.systemId !== system.id) {
      throw new ProvkitError('invalid-state', `unlock the CA of system ${system.name} with its passphrase first`);
    }
    return this.unlocked;
  }
}

/** The lab for the whole page session, so an unlocked CA survives moving between screens. */
export const labState = new LabState();
