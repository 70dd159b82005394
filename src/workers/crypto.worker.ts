/// <reference lib="webworker" />
/**
 * The crypto worker: runs Argon2id, SHA-2 and HKDF from the WebAssembly module off the page
 * thread. It handles one request at a time; the page cancels a running call by terminating
 * the worker (CryptoWorkerClient does that on abort).
 */
import { ProvkitError } from '../errors.js';
import { argon2id, hkdfSha256, loadCryptoWasm, sha2 } from '../crypto/wasm.js';
import type { CryptoWorkerRequest, CryptoWorkerResponse } from '../crypto/wasm-worker-protocol.js';

declare const self: DedicatedWorkerGlobalScope;

function run(request: CryptoWorkerRequest): Uint8Array {
  switch (request.operation) {
    case 'argon2id':
      return argon2id(request.password, request.salt, request.options);
    case 'sha2':
      return sha2(request.algorithm, request.data);
    case 'hkdf-sha256':
      return hkdfSha256(request.ikm, request.salt, request.info, request.length);
  }
}

async function handle(request: CryptoWorkerRequest): Promise<void> {
  let response: CryptoWorkerResponse;
  try {
    await loadCryptoWasm(new URL(request.wasmUrl, self.location.href));
    response = { id: request.id, ok: true, result: run(request) };
  } catch (error) {
    response =
      error instanceof ProvkitError
        ? { id: request.id, ok: false, code: error.code, message: error.message }
        : { id: request.id, ok: false, code: 'wasm-unavailable', message: `the crypto worker failed: ${error instanceof Error ? error.message : String(error)}` };
  }
  self.postMessage(response, response.ok ? [response.result.buffer as ArrayBuffer] : []);
}

self.onmessage = (event: MessageEvent<CryptoWorkerRequest>) => {
  void handle(event.data);
};
