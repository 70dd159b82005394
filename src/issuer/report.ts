import type { ErrorCode } from '../errors.js';
import { REQUEST_STATES, type RequestState } from './states.js';
import { requireSystem, type IssuerStore, type RequestRecord } from './store.js';

/** A certificate in a report row. */
export interface ReportCertificate {
  role: string;
  /** Lowercase hex serial number. */
  serialHex: string;
  /** ISO 8601 UTC expiry (notAfter). */
  notAfter: string;
}

/** One device of a system in the provisioning report, described by its current request. */
export interface ReportRow {
  systemId: string;
  hardwareId: string;
  componentHandle: string;
  state: RequestState;
  requestId: string;
  /** Number of requests received from this hardware id, failed ones included. */
  requestCount: number;
  /** Time (ISO 8601 UTC) at which the current request entered each state it went through. */
  transitions: Partial<Record<RequestState, string>>;
  certificates: ReportCertificate[];
  rejectionReason?: string;
  failureCode?: ErrorCode;
  /** The proxy that delivered the current request, when it arrived wrapped. Not a CSV column. */
  proxy?: { serialHex: string; subject: string };
}

/** The provisioning report of one system. */
export interface ProvisioningReport {
  systemId: string;
  systemName: string;
  generatedAt: string;
  rows: ReportRow[];
}

/**
 * Builds the report of `systemId`: one row per hardware id, sorted by hardware id. A device's
 * row follows its latest request that did not fail, so that a failed request sent under a
 * provisioned device's hardware id does not hide that device's state. Throws
 * ProvkitError('not-found') for an unknown system.
 */
export async function buildProvisioningReport(store: IssuerStore, systemId: string, now: Date = new Date()): Promise<ProvisioningReport> {
  return store.transaction(async (tx) => {
    const system = await requireSystem(tx, systemId);
    const devices = await tx.listDevices(systemId);
    const certificates = await tx.listCertificates(systemId);
    const rows: ReportRow[] = [];

    for (const device of devices) {
      const requests: RequestRecord[] = [];
      for (const requestId of device.requestIds) {
        const record = await tx.getRequest(systemId, requestId);
        if (record !== undefined) requests.push(record);
      }
      const current = [...requests].reverse().find((record) => record.history.at(-1)?.state !== 'failed') ?? requests.at(-1);
      if (current === undefined) continue;

      const transitions: Partial<Record<RequestState, string>> = {};
      for (const transition of current.history) transitions[transition.state] = transition.at;
      const last = current.history.at(-1);
      const row: ReportRow = {
        systemId,
        hardwareId: device.hardwareId,
        componentHandle: current.componentHandle,
        state: last?.state ?? 'verifying',
        requestId: current.requestId,
        requestCount: requests.length,
        transitions,
        certificates: certificates
          .filter((certificate) => certificate.requestId === current.requestId)
          .map((certificate) => ({ role: certificate.role, serialHex: certificate.serialHex, notAfter: certificate.notAfter })),
      };
      const rejection = current.history.find((transition) => transition.state === 'rejected');
      if (rejection?.reason !== undefined) row.rejectionReason = rejection.reason;
      const failure = current.history.find((transition) => transition.state === 'failed');
      if (failure?.code !== undefined) row.failureCode = failure.code;
      if (current.proxy !== undefined) row.proxy = current.proxy;
      rows.push(row);
    }

    // Code-unit order, so that the order does not depend on the runtime's locale.
    rows.sort((a, b) => {
      if (a.hardwareId === b.hardwareId) return 0;
      return a.hardwareId < b.hardwareId ? -1 : 1;
    });
    return { systemId, systemName: system.name, generatedAt: now.toISOString(), rows };
  });
}

/** Column names of the CSV report, in order. */
export const REPORT_CSV_COLUMNS: readonly string[] = [
  'system_id',
  'hardware_id',
  'component',
  'state',
  'request_id',
  'request_count',
  ...REQUEST_STATES.map((state) => `${state.replaceAll('-', '_')}_at`),
  'certificate_serials',
  'certificate_expiry',
  'rejection_reason',
  'failure_code',
];

/** Renders the report as CSV (RFC 4180: CRLF line ends, quoted fields where needed) with a header row. */
export function reportToCsv(report: ProvisioningReport): string {
  const lines = [REPORT_CSV_COLUMNS.map(csvCell).join(',')];
  for (const row of report.rows) {
    const cells = [
      row.systemId,
      row.hardwareId,
      row.componentHandle,
      row.state,
      row.requestId,
      String(row.requestCount),
      ...REQUEST_STATES.map((state) => row.transitions[state] ?? ''),
      row.certificates.map((certificate) => `${certificate.role}=${certificate.serialHex}`).join(';'),
      row.certificates.map((certificate) => `${certificate.role}=${certificate.notAfter}`).join(';'),
      row.rejectionReason ?? '',
      row.failureCode ?? '',
    ];
    lines.push(cells.map(csvCell).join(','));
  }
  return `${lines.join('\r\n')}\r\n`;
}

/** Renders the report as indented JSON. */
export function reportToJson(report: ProvisioningReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

/**
 * Encodes one CSV field. A value starting with `=`, `+`, `-`, `@`, tab or carriage return is
 * prefixed with `'` so that spreadsheets show it as text instead of evaluating it as a
 * formula (hardware ids and rejection reasons come from devices and operators). Fields with a
 * comma, quote or line break are quoted, with inner quotes doubled (RFC 4180 section 2).
 */
export function csvCell(value: string): string {
  const neutralised = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(neutralised) ? `"${neutralised.replaceAll('"', '""')}"` : neutralised;
}
