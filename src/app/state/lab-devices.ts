import type { RequestState } from '../../issuer/states.js';
import type { DeviceRecord, RequestRecord as IssuerRequest } from '../../issuer/store.js';

/** One request of the selected system as the device list shows it. */
export interface LabRow {
  record: IssuerRequest;
  state: RequestState;
  reason?: string;
  failure?: string;
}

/** One device of the selected system: its newest request and the requests before it. */
export interface LabDevice {
  hardwareId: string;
  componentHandle: string;
  /** The request the device sent last; its state is the device's state. */
  current: LabRow;
  /** Earlier requests, newest first (a rejected request the device sent again, for example). */
  earlier: LabRow[];
}

/**
 * Groups request rows into one entry per hardware id, sorted by hardware id. The order of a
 * device's requests comes from its issuer device record (the order the issuer received
 * them); requests it does not list follow by reception time.
 */
export function groupByDevice(rows: readonly LabRow[], devices: readonly DeviceRecord[]): LabDevice[] {
  const order = new Map<string, number>();
  for (const device of devices) device.requestIds.forEach((requestId, index) => order.set(requestId, index));
  const byHardwareId = new Map<string, LabRow[]>();
  for (const row of rows) {
    const list = byHardwareId.get(row.record.hardwareId) ?? [];
    list.push(row);
    byHardwareId.set(row.record.hardwareId, list);
  }
  const position = (row: LabRow): number => order.get(row.record.requestId) ?? Number.MAX_SAFE_INTEGER;
  return [...byHardwareId.entries()]
    .map(([hardwareId, list]) => {
      // Oldest first: by the device record's order, then by reception time.
      const sorted = [...list].sort((a, b) => position(a) - position(b) || a.record.receivedAt.localeCompare(b.record.receivedAt));
      const current = sorted[sorted.length - 1]!;
      return { hardwareId, componentHandle: current.record.componentHandle, current, earlier: sorted.slice(0, -1).reverse() };
    })
    .sort((a, b) => a.hardwareId.localeCompare(b.hardwareId));
}
