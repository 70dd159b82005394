import { describe, expect, it } from 'vitest';
import { groupByDevice, type LabRow } from '../../src/app/state/lab-devices.js';
import type { RequestState } from '../../src/issuer/states.js';

function row(requestId: string, hardwareId: string, state: RequestState, receivedAt: string): LabRow {
  return {
    state,
    record: { systemId: 's', requestId, componentHandle: 'controller', hardwareId, reprovisioning: false, receivedAt, request: new Uint8Array(), history: [] },
  };
}

describe('groupByDevice', () => {
  it('shows a device sent again after rejection once, with its history', () => {
    const rows = [
      row('r2', 'SN-1', 'needs-approval', '2026-01-02T00:00:00.000Z'),
      row('r1', 'SN-1', 'rejected', '2026-01-01T00:00:00.000Z'),
      row('r3', 'SN-0', 'approved', '2026-01-01T00:00:00.000Z'),
    ];
    const devices = groupByDevice(rows, [
      { systemId: 's', hardwareId: 'SN-1', componentHandle: 'controller', requestIds: ['r1', 'r2'] },
      { systemId: 's', hardwareId: 'SN-0', componentHandle: 'controller', requestIds: ['r3'] },
    ]);
    expect(devices.map((d) => d.hardwareId)).toEqual(['SN-0', 'SN-1']);
    expect(devices[1]!.current.record.requestId).toBe('r2');
    expect(devices[1]!.current.state).toBe('needs-approval');
    expect(devices[1]!.earlier.map((r) => r.record.requestId)).toEqual(['r1']);
    expect(devices[0]!.earlier).toEqual([]);
  });

  it('follows the device record order over reception time', () => {
    const rows = [row('a', 'SN-1', 'rejected', '2026-01-03T00:00:00.000Z'), row('b', 'SN-1', 'approved', '2026-01-01T00:00:00.000Z')];
    const [device] = groupByDevice(rows, [{ systemId: 's', hardwareId: 'SN-1', componentHandle: 'controller', requestIds: ['a', 'b'] }]);
    expect(device!.current.record.requestId).toBe('b');
  });

  it('orders requests without a device record by reception time', () => {
    const rows = [row('late', 'SN-1', 'failed', '2026-01-03T00:00:00.000Z'), row('early', 'SN-1', 'rejected', '2026-01-01T00:00:00.000Z')];
    const [device] = groupByDevice(rows, []);
    expect(device!.current.record.requestId).toBe('late');
    expect(device!.earlier.map((r) => r.record.requestId)).toEqual(['early']);
  });
});
