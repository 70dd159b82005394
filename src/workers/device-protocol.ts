/**
 * Messages between the page and the device worker (src/workers/device.worker.ts), which runs
 * the device side of provisioning (package check, key generation, Argon2id encryption,
 * profile installation) off the page thread. Bytes travel as Uint8Array; errors as code and
 * message, because a ProvkitError loses its class across postMessage.
 */
import type { ErrorCode } from '../errors.js';
import type { LogRecord } from '../log/logger.js';

/** The package files a batch starts from. */
export interface PackageInput {
  trustStore: Uint8Array;
  profile: Uint8Array;
  identity: Uint8Array;
  names?: { trustStore?: string; profile?: string; identity?: string };
}

/** Argon2id cost of the identity containers the worker writes; absent uses the container default. */
export interface KdfCost {
  memoryKiB: number;
  passes: number;
  lanes: number;
}

/** Generates one request per hardware id from a package. */
export interface GenerateJob {
  op: 'generate';
  job: number;
  wasmUrl: string;
  package: PackageInput;
  packagePassphrase: string;
  /** Protects the pending .mcpi of every generated request. */
  identityPassphrase: string;
  hardwareIds: string[];
  kdfCost?: KdfCost;
}

/** One profile to install, with the request it was issued for and the pending identity of that request. */
export interface InstallItem {
  key: string;
  request: Uint8Array;
  pendingIdentity: Uint8Array;
  profile: Uint8Array;
  names: { request: string; pendingIdentity: string; profile: string };
}

/** Installs Certified Profiles into final identities. */
export interface InstallJob {
  op: 'install';
  job: number;
  wasmUrl: string;
  trustStore: Uint8Array;
  identityPassphrase: string;
  items: InstallItem[];
  kdfCost?: KdfCost;
}

/** Stops a running job after the item in progress. */
export interface CancelJob {
  op: 'cancel';
  job: number;
}

/** Any message the page sends. */
export type WorkerRequest = GenerateJob | InstallJob | CancelJob;

/** A request generated for one hardware id. */
export interface GeneratedItem {
  hardwareId: string;
  requestId: string;
  systemId: string;
  componentHandle: string;
  request: Uint8Array;
  pendingIdentity: Uint8Array;
}

/** A profile installed for one request. */
export interface InstalledItem {
  key: string;
  requestId: string;
  hardwareId: string;
  identity: Uint8Array;
  profile: Uint8Array;
}

/** Any message the worker sends. */
export type WorkerResponse =
  | { job: number; type: 'generated'; index: number; item: GeneratedItem }
  | { job: number; type: 'installed'; index: number; item: InstalledItem }
  | { job: number; type: 'item-failed'; index: number; label: string; code: ErrorCode; message: string }
  | { job: number; type: 'log'; record: LogRecord }
  | { job: number; type: 'done'; cancelled: boolean }
  | { job: number; type: 'failed'; code: ErrorCode; message: string };
