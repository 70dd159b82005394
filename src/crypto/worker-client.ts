/**
 * Page-side client of the crypto worker. Heavy calls (Argon2id above all) run there so the
 * page stays responsive, and each call takes an AbortSignal. A running WebAssembly call cannot
 * be interrupted, so aborting terminates the worker and rejects the call with
 * ProvkitError('cancelled'). The other queued calls are sent again to a fresh worker.
 */
import { ProvkitError } from '../errors.js';
import type { CryptoWorkerOperation, CryptoWorkerRequest, CryptoWorkerResponse } from './wasm-worker-protocol.js';
import type { Argon2idOptions, KeyDerivation, Sha2Algorithm } from './wasm.js';

/** Options of a CryptoWorkerClient. */
export interface CryptoWorkerClientOptions {
  /** URL of provkit-crypto.wasm, for example from Vite's `?url` import; resolved against the worker's location. */
  wasmUrl: string;
  /** Creates the worker; the default starts src/workers/crypto.worker.ts as a module worker. */
  createWorker?: () => Worker;
}

interface PendingCall {
  request: CryptoWorkerRequest;
  resolve: (result: Uint8Array) => void;
  reject: (error: unknown) => void;
}

function startCryptoWorker(): Worker {
  return new Worker(new URL('../workers/crypto.worker.ts', import.meta.url), { type: 'module', name: 'provkit-crypto' });
}

/** Runs crypto-wasm operations in a dedicated worker, one at a time, in call order. */
export class CryptoWorkerClient {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, PendingCall>();
  private nextId = 1;
  private readonly wasmUrl: string;
  private readonly createWorker: () => Worker;

  constructor(options: CryptoWorkerClientOptions) {
    this.wasmUrl = options.wasmUrl;
    this.createWorker = options.createWorker ?? startCryptoWorker;
  }

  /** Computes Argon2id in the worker. Throws as wasm.ts argon2id, and ProvkitError('cancelled') on abort. */
  argon2id(password: Uint8Array, salt: Uint8Array, options: Argon2idOptions, signal?: AbortSignal): Promise<Uint8Array> {
    return this.call({ operation: 'argon2id', password, salt, options }, signal);
  }

  /** Computes a SHA-2 digest in the worker. Throws ProvkitError('cancelled') on abort. */
  sha2(algorithm: Sha2Algorithm, data: Uint8Array, signal?: AbortSignal): Promise<Uint8Array> {
    return this.call({ operation: 'sha2', algorithm, data }, signal);
  }

  /** Derives `length` bytes with HKDF-SHA-256 in the worker. Throws ProvkitError('cancelled') on abort. */
  hkdfSha256(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number, signal?: AbortSignal): Promise<Uint8Array> {
    return this.call({ operation: 'hkdf-sha256', ikm, salt, info, length }, signal);
  }

  /** The KeyDerivation for the identity container: a 32-byte Argon2id key computed in the worker. */
  readonly kdf: KeyDerivation = (passphrase, salt, params, signal) => this.argon2id(passphrase, salt, { ...params, outputLength: 32 }, signal);

  /** Stops the worker and rejects every pending call with ProvkitError('cancelled'). */
  terminate(): void {
    this.worker?.terminate();
    this.worker = undefined;
    const calls = [...this.pending.values()];
    this.pending.clear();
    for (const call of calls) call.reject(new ProvkitError('cancelled', 'the crypto worker was stopped'));
  }

  private call(operation: CryptoWorkerOperation, signal: AbortSignal | undefined): Promise<Uint8Array> {
    if (signal?.aborted) return Promise.reject(cancelled(signal));
    const request = { ...operation, id: this.nextId++, wasmUrl: this.wasmUrl } as CryptoWorkerRequest;
    return new Promise<Uint8Array>((resolve, reject) => {
      const onAbort = (): void => {
        if (!this.pending.delete(request.id)) return;
        this.restart();
        reject(cancelled(signal!));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.set(request.id, {
        request,
        resolve: (result) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(result);
        },
        reject: (error) => {
          signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
      });
      this.ensureWorker().postMessage(request);
    });
  }

  private ensureWorker(): Worker {
    if (this.worker !== undefined) return this.worker;
    const worker = this.createWorker();
    worker.onmessage = (event: MessageEvent<CryptoWorkerResponse>) => this.settle(event.data);
    worker.onerror = (event: ErrorEvent) => {
      event.preventDefault();
      this.failAll(`the crypto worker could not start or crashed: ${event.message || 'no details'}`);
    };
    worker.onmessageerror = () => this.failAll('the crypto worker sent a message that could not be read');
    this.worker = worker;
    return worker;
  }

  private settle(response: CryptoWorkerResponse): void {
    const call = this.pending.get(response.id);
    if (call === undefined) return;
    this.pending.delete(response.id);
    if (response.ok) call.resolve(response.result);
    else call.reject(new ProvkitError(response.code, response.message));
  }

  private failAll(message: string): void {
    this.worker?.terminate();
    this.worker = undefined;
    const calls = [...this.pending.values()];
    this.pending.clear();
    for (const call of calls) call.reject(new ProvkitError('wasm-unavailable', message));
  }

  // The worker runs one call at a time, so the aborted call may be running: replace the worker
  // and send the remaining calls again, in their original order.
  private restart(): void {
    this.worker?.terminate();
    this.worker = undefined;
    if (this.pending.size === 0) return;
    const worker = this.ensureWorker();
    for (const call of this.pending.values()) worker.postMessage(call.request);
  }
}

function cancelled(signal: AbortSignal): ProvkitError {
  return new ProvkitError('cancelled', 'the operation was cancelled', {}, { cause: signal.reason });
}
