/// <reference lib="webworker" />
/**
 * The device worker: runs batches of request generation and profile installation off the
 * page thread, posting each finished item at once so the page can commit it in its own
 * transaction. A cancel message stops the batch after the item in progress.
 */
import { ProvkitError, type ErrorCode } from '../errors.js';
import { argon2idKdf, loadCryptoWasm, type KeyDerivation } from '../crypto/wasm.js';
import { Logger } from '../log/logger.js';
import { generateProvisionRequest, initialiseDevice, installCertifiedProfile } from '../provisioning/device.js';
import type { GenerateJob, InstallJob, WorkerRequest, WorkerResponse } from './device-protocol.js';

declare const self: DedicatedWorkerGlobalScope;

const controllers = new Map<number, AbortController>();

function post(message: WorkerResponse): void {
  const transfer = message.type === 'generated' || message.type === 'installed' ? collectBuffers(message.item) : [];
  self.postMessage(message, transfer);
}

// Each buffer is listed once: two views on one buffer in the list would make postMessage throw.
function collectBuffers(item: object): ArrayBuffer[] {
  const buffers = Object.values(item).filter((value): value is Uint8Array => value instanceof Uint8Array).map((bytes) => bytes.buffer);
  return [...new Set(buffers)].filter((buffer): buffer is ArrayBuffer => buffer instanceof ArrayBuffer);
}

function errorFields(error: unknown): { code: ErrorCode; message: string } {
  if (error instanceof ProvkitError) return { code: error.code, message: error.message };
  return { code: 'malformed', message: error instanceof Error ? error.message : String(error) };
}

async function kdfFor(wasmUrl: string): Promise<KeyDerivation> {
  await loadCryptoWasm(new URL(wasmUrl, self.location.href));
  return argon2idKdf;
}

/** Creates a logger whose records go to the page, which stores them with its own log. */
function jobLogger(job: number): Logger {
  return new Logger({ source: 'worker', level: 'debug', sink: (record) => post({ job, type: 'log', record }) });
}

async function generate(job: GenerateJob, signal: AbortSignal): Promise<void> {
  const kdf = await kdfFor(job.wasmUrl);
  const logger = jobLogger(job.job);
  const costs = job.kdfCost === undefined ? {} : { kdfParameters: job.kdfCost };
  const device = await initialiseDevice(
    { trustStore: job.package.trustStore, profile: job.package.profile, identity: job.package.identity, ...(job.package.names !== undefined ? { names: job.package.names } : {}) },
    { kdf, passphrase: job.packagePassphrase, hardwareId: job.hardwareIds[0]!, signal, logger },
  );
  for (const [index, hardwareId] of job.hardwareIds.entries()) {
    if (signal.aborted) break;
    try {
      const generated = await generateProvisionRequest({ ...device, hardwareId }, { kdf, ...costs, passphrase: job.identityPassphrase, signal, logger });
      post({
        job: job.job,
        type: 'generated',
        index,
        item: {
          hardwareId,
          requestId: generated.requestId,
          systemId: generated.manifest.systemId,
          componentHandle: generated.manifest.componentHandle,
          request: generated.request,
          pendingIdentity: generated.pendingIdentity!,
        },
      });
    } catch (error) {
      if (signal.aborted) break;
      post({ job: job.job, type: 'item-failed', index, label: hardwareId, ...errorFields(error) });
    }
  }
}

async function install(job: InstallJob, signal: AbortSignal): Promise<void> {
  const kdf = await kdfFor(job.wasmUrl);
  const logger = jobLogger(job.job);
  const costs = job.kdfCost === undefined ? {} : { kdfParameters: job.kdfCost };
  for (const [index, item] of job.items.entries()) {
    if (signal.aborted) break;
    try {
      const installed = await installCertifiedProfile(
        { trustStore: job.trustStore, request: item.request, pendingIdentity: item.pendingIdentity, profile: item.profile, names: item.names },
        { kdf, ...costs, passphrase: job.identityPassphrase, signal, logger },
      );
      post({ job: job.job, type: 'installed', index, item: { key: item.key, requestId: installed.requestId, hardwareId: installed.hardwareId, identity: installed.identity, profile: installed.profile.slice() } });
    } catch (error) {
      if (signal.aborted) break;
      post({ job: job.job, type: 'item-failed', index, label: item.names.profile, ...errorFields(error) });
    }
  }
}

self.addEventListener('message', (event: MessageEvent<WorkerRequest>) => {
  const message = event.data;
  if (message.op === 'cancel') {
    controllers.get(message.job)?.abort();
    return;
  }
  const controller = new AbortController();
  controllers.set(message.job, controller);
  const run = message.op === 'generate' ? generate(message, controller.signal) : install(message, controller.signal);
  run.then(
    () => post({ job: message.job, type: 'done', cancelled: controller.signal.aborted }),
    (error: unknown) => post({ job: message.job, type: 'failed', ...errorFields(error) }),
  ).finally(() => controllers.delete(message.job));
});
