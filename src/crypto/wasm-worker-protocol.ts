/**
 * Messages between the page's CryptoWorkerClient and src/workers/crypto.worker.ts. Requests
 * carry the module URL, so the worker needs no bundler-specific import of its own.
 */
import type { ErrorCode } from '../errors.js';
import type { Argon2idOptions, Sha2Algorithm } from './wasm.js';

/** One operation for the crypto worker. */
export type CryptoWorkerOperation =
  | { operation: 'argon2id'; password: Uint8Array; salt: Uint8Array; options: Argon2idOptions }
  | { operation: 'sha2'; algorithm: Sha2Algorithm; data: Uint8Array }
  | { operation: 'hkdf-sha256'; ikm: Uint8Array; salt: Uint8Array; info: Uint8Array; length: number };

/** A request: the operation, its id, and the URL of provkit-crypto.wasm. */
export type CryptoWorkerRequest = CryptoWorkerOperation & { id: number; wasmUrl: string };

/** The worker's response to the request with the same id. */
export type CryptoWorkerResponse = { id: number; ok: true; result: Uint8Array } | { id: number; ok: false; code: ErrorCode; message: string };
