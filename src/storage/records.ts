/**
 * Records kept in the workbench's IndexedDB database. File bytes are stored exactly as
 * received or produced; private keys exist only inside encrypted `.mcpip`/`.mcpi` bytes.
 */

/** Position of a request in the technician's queue, from generation to completion. */
export type QueueState =
  | 'generated'
  | 'exported'
  | 'submitted'
  | 'approved'
  | 'rejected'
  | 'profile-received'
  | 'installed'
  | 'completed';

/** Queue states in the order a successful request passes through them (rejected is a dead end). */
export const QUEUE_STATES: readonly QueueState[] = [
  'generated',
  'exported',
  'submitted',
  'approved',
  'rejected',
  'profile-received',
  'installed',
  'completed',
];

/** Human label of each queue state, as shown in the Requests screen. */
export const QUEUE_STATE_LABELS: Readonly<Record<QueueState, string>> = {
  generated: 'Generated',
  exported: 'Exported',
  submitted: 'Submitted',
  approved: 'Approved',
  rejected: 'Rejected',
  'profile-received': 'Profile received',
  installed: 'Installed',
  completed: 'Completed',
};

/** A provisioning package: TrustStore, profile to be provisioned and the still-encrypted private identity. */
export interface PackageRecord {
  /** `<systemId>/<componentHandle>`. */
  id: string;
  systemId: string;
  componentHandle: string;
  /** Display name of the system, when the package carries one. */
  systemName?: string;
  importedAt: string;
  mcts: Uint8Array;
  mcpp: Uint8Array;
  /** Encrypted `.mcpip` bytes, never decrypted into storage. */
  mcpip: Uint8Array;
  /** Key roles named by the `.mcpp` manifest, with their algorithms. */
  roles: { role: string; algorithm: string }[];
  /** Validity of the provisioning certificate (ISO 8601). */
  notBefore?: string;
  notAfter?: string;
  /** Result of the package check at import. */
  check: { ok: boolean; failures: string[]; warnings: string[] };
}

/** One transition of a queued request, kept as history for the report. */
export interface QueueTransition {
  state: QueueState;
  at: string;
  note?: string;
}

/** A Provision Request in the queue. */
export interface RequestRecord {
  /** The request id from the `.mcpr` manifest. */
  id: string;
  hardwareId: string;
  systemId: string;
  componentHandle: string;
  state: QueueState;
  /** `generated` when this browser acted as the device, `imported` when a device produced it. */
  origin: 'generated' | 'imported';
  /** Exact `.mcpr` bytes. */
  mcpr: Uint8Array;
  /** Package used to generate it (browser-generated requests only). */
  packageId?: string;
  /** Identity record holding the encrypted keys of this request (browser-generated only). */
  identityId?: string;
  /** Reason given by the issuer when rejected. */
  rejectionReason?: string;
  createdAt: string;
  updatedAt: string;
  history: QueueTransition[];
}

/** Encrypted private identity bytes (`.mcpip` or `.mcpi`); nothing else about the keys is stored in clear. */
export interface IdentityRecord {
  id: string;
  kind: 'mcpip' | 'mcpi';
  requestId?: string;
  hardwareId?: string;
  bytes: Uint8Array;
  createdAt: string;
}

/** A Certified Profile (`.mcp` or `.mcpp`) received for a request. */
export interface ProfileRecord {
  /** Id of the request that the profile was issued for. */
  id: string;
  requestId: string;
  hardwareId: string;
  kind: 'mcp' | 'mcpp';
  bytes: Uint8Array;
  importedAt: string;
  /** Verification against the TrustStore and the request, at import. */
  verification: { ok: boolean; failures: string[]; warnings: string[] };
  /** Final `.mcp` produced for a browser-generated request, when it differs from `bytes`. */
  finalMcp?: Uint8Array;
}

/** One record of the lab issuer's state, keyed by the issuer store. */
export interface IssuerRecord {
  key: string;
  value: unknown;
}

/** One log record as stored: the core's LogRecord with the time as ISO text. */
export interface StoredLogRecord {
  seq?: number;
  time: string;
  level: 'error' | 'warn' | 'info' | 'debug';
  source: string;
  message: string;
  fields?: Record<string, string | number | boolean>;
}

/** Small settings and bookkeeping values. */
export interface MetaRecord {
  key: string;
  value: unknown;
}
