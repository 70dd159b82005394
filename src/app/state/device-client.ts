import wasmUrl from '../../crypto/provkit-crypto.wasm?url';
import { ProvkitError } from '../../errors.js';
import type { GenerateJob, GeneratedItem, InstallJob, InstalledItem, WorkerRequest, WorkerResponse } from '../../workers/device-protocol.js';
import type { BatchProgress } from './batch.svelte.js';
import { recordLog } from './workbench.js';

let worker: Worker | undefined;
let nextJob = 1;

function deviceWorker(): Worker {
  worker ??= new Worker(new URL('../../workers/device.worker.ts', import.meta.url), { type: 'module', name: 'provkit-device' });
  return worker;
}

/** Returns the absolute URL of the crypto module, which the worker loads itself. */
function absoluteWasmUrl(): string {
  return new URL(wasmUrl, location.href).href;
}

/**
 * Runs a job in the device worker and hands each finished item to `commit`, one at a time and
 * in order, so each device is stored in its own transaction as soon as it is ready. Progress
 * and failures go to `batch`; Cancel stops the worker after its current item, and every item
 * it already sent is still committed. Throws ProvkitError when the whole job fails (a wrong
 * package passphrase, for example).
 */
function runJob<Item>(
  job: Omit<GenerateJob, 'job' | 'wasmUrl'> | Omit<InstallJob, 'job' | 'wasmUrl'>,
  total: number,
  title: string,
  batch: BatchProgress,
  commit: (item: Item) => Promise<void>,
  label: (item: Item) => string,
): Promise<{ cancelled: boolean }> {
  const id = nextJob++;
  const target = deviceWorker();
  let commits = Promise.resolve();
  // Set by Cancel. Items the worker already sent but the page has not stored yet are dropped,
  // so the batch stops at once. Everything stored before stays.
  let cancelled = false;
  return new Promise((resolve, reject) => {
    const onMessage = (event: MessageEvent<WorkerResponse>): void => {
      const message = event.data;
      if (message.job !== id) return;
      switch (message.type) {
        case 'generated':
        case 'installed': {
          const item = message.item as Item;
          commits = commits.then(async () => {
            if (cancelled) return;
            try {
              await commit(item);
              batch.succeeded();
            } catch (error) {
              batch.failed(label(item), error);
              // A full disk fails every later device too, so the batch stops here.
              if (error instanceof ProvkitError && error.code === 'storage-full') batch.cancel();
            }
          });
          break;
        }
        case 'log':
          recordLog(message.record);
          break;
        case 'item-failed':
          commits = commits.then(() => {
            if (!cancelled) batch.failed(message.label, new ProvkitError(message.code, message.message));
          });
          break;
        case 'done':
        case 'failed':
          target.removeEventListener('message', onMessage);
          void commits.then(() => {
            const stopped = cancelled || (message.type === 'done' && message.cancelled);
            batch.finish(stopped);
            if (message.type === 'failed' && !cancelled) reject(new ProvkitError(message.code, message.message));
            else resolve({ cancelled: stopped });
          });
          break;
      }
    };
    target.addEventListener('message', onMessage);
    batch.begin(title, total, () => {
      cancelled = true;
      target.postMessage({ op: 'cancel', job: id } satisfies WorkerRequest);
    });
    target.postMessage({ ...job, job: id, wasmUrl: absoluteWasmUrl() } as WorkerRequest);
  });
}

/** Generates requests in the worker; see {@link runJob}. */
export function generateInWorker(
  job: Omit<GenerateJob, 'op' | 'job' | 'wasmUrl'>,
  batch: BatchProgress,
  commit: (item: GeneratedItem) => Promise<void>,
): Promise<{ cancelled: boolean }> {
  return runJob<GeneratedItem>({ op: 'generate', ...job }, job.hardwareIds.length, `Generating ${job.hardwareIds.length} request(s)`, batch, commit, (item) => item.hardwareId);
}

/** Installs profiles into final identities in the worker; see {@link runJob}. */
export function installInWorker(
  job: Omit<InstallJob, 'op' | 'job' | 'wasmUrl'>,
  batch: BatchProgress,
  commit: (item: InstalledItem) => Promise<void>,
): Promise<{ cancelled: boolean }> {
  return runJob<InstalledItem>({ op: 'install', ...job }, job.items.length, `Producing ${job.items.length} final identit${job.items.length === 1 ? 'y' : 'ies'}`, batch, commit, (item) => item.hardwareId);
}
