import { ProvkitError } from '../../errors.js';
import { QUEUE_STATES, type QueueState, type RequestRecord } from '../../storage/records.js';
import { fileNameFor, batchName } from '../files/naming.js';
import { fileTransport } from '../files/transport.js';
import { appLogger, workbenchStore } from './workbench.js';

const log = appLogger.child('requests');

/** Queue states a technician may set by hand, with the states each may follow. */
export const MANUAL_TRANSITIONS: Readonly<Partial<Record<QueueState, readonly QueueState[]>>> = {
  submitted: ['generated', 'exported'],
  approved: ['submitted', 'exported'],
  rejected: ['submitted', 'exported', 'approved'],
  completed: ['installed'],
};

/**
 * The Requests screen: the queue with filters by system, component and state, search by
 * hardware id, a selection, and batch export of the selection as a .zip of
 * `<hardwareId>.mcpr` files.
 */
export class RequestsState {
  all = $state.raw<RequestRecord[]>([]);
  systemId = $state('');
  componentHandle = $state('');
  state = $state<QueueState | ''>('');
  search = $state('');
  selected = $state<string[]>([]);

  readonly systems = $derived([...new Set(this.all.map((r) => r.systemId))].sort());
  readonly components = $derived([...new Set(this.all.map((r) => r.componentHandle))].sort());
  readonly counts = $derived(
    Object.fromEntries(QUEUE_STATES.map((s) => [s, this.all.filter((r) => r.state === s).length])) as Record<QueueState, number>,
  );
  readonly visible = $derived.by(() => {
    const needle = this.search.trim().toLowerCase();
    return this.all.filter(
      (r) =>
        (this.systemId === '' || r.systemId === this.systemId) &&
        (this.componentHandle === '' || r.componentHandle === this.componentHandle) &&
        (this.state === '' || r.state === this.state) &&
        (needle === '' || r.hardwareId.toLowerCase().includes(needle)),
    );
  });
  readonly allVisibleSelected = $derived(this.visible.length > 0 && this.visible.every((r) => this.selected.includes(r.id)));

  /** Reads the queue from storage. */
  async load(): Promise<void> {
    this.all = await (await workbenchStore()).listRequests();
    const present = new Set(this.all.map((r) => r.id));
    this.selected = this.selected.filter((id) => present.has(id));
  }

  /** Selects or clears every visible request. */
  toggleAllVisible(): void {
    const visibleIds = this.visible.map((r) => r.id);
    this.selected = this.allVisibleSelected
      ? this.selected.filter((id) => !visibleIds.includes(id))
      : [...new Set([...this.selected, ...visibleIds])];
  }

  /** Selects or clears one request. */
  toggle(id: string): void {
    this.selected = this.selected.includes(id) ? this.selected.filter((s) => s !== id) : [...this.selected, id];
  }

  /** Returns the selected records in queue order. */
  selection(): RequestRecord[] {
    return this.all.filter((r) => this.selected.includes(r.id));
  }

  /**
   * Downloads the selected requests as one .zip of `<hardwareId>.mcpr` files and marks the
   * generated ones exported. Throws ProvkitError('invalid-argument') when nothing is selected.
   */
  async exportSelection(): Promise<number> {
    const records = this.selection();
    if (records.length === 0) throw new ProvkitError('invalid-argument', 'select at least one request to export');
    const files = records.map((r) => ({ name: fileNameFor(r.hardwareId, 'mcpr'), bytes: r.mcpr }));
    await fileTransport.send(files, { archiveName: batchName('requests', 'zip') });
    const toMark = records.filter((r) => r.state === 'generated').map((r) => r.id);
    if (toMark.length > 0) await (await workbenchStore()).setRequestState(toMark, 'exported');
    log.info('requests exported', { count: records.length });
    await this.load();
    return records.length;
  }

  /**
   * Moves the selected requests to `state` by hand (for example after uploading them to the
   * issuer). Throws ProvkitError('invalid-state') naming the first request that cannot move.
   */
  async setSelectionState(state: QueueState, note?: string): Promise<void> {
    const records = this.selection();
    if (records.length === 0) throw new ProvkitError('invalid-argument', 'select at least one request first');
    const allowedFrom = MANUAL_TRANSITIONS[state] ?? [];
    const blocked = records.find((r) => !allowedFrom.includes(r.state));
    if (blocked !== undefined) {
      throw new ProvkitError('invalid-state', `request for ${blocked.hardwareId} is ${blocked.state} and cannot be marked ${state}`);
    }
    await (await workbenchStore()).setRequestState(records.map((r) => r.id), state, note);
    log.info('requests marked', { state, count: records.length });
    await this.load();
  }

  /** Deletes the selected requests with their identities and profiles. */
  async deleteSelection(): Promise<number> {
    const ids = [...this.selected];
    await (await workbenchStore()).deleteRequests(ids);
    log.info('requests deleted', { count: ids.length });
    this.selected = [];
    await this.load();
    return ids.length;
  }
}
