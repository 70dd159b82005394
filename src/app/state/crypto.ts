import wasmUrl from '../../crypto/provkit-crypto.wasm?url';
import type { KeyDerivation } from '../../crypto/wasm.js';
import { CryptoWorkerClient } from '../../crypto/worker-client.js';

let client: CryptoWorkerClient | undefined;

/**
 * Returns the Argon2id key derivation the page uses for passphrase encryption (package
 * check, lab CA keys, backups). It runs in the crypto worker, so a 64 MiB derivation does not
 * block input, and the crypto module is loaded there from the build's own (precached) URL.
 */
export function pageKdf(): KeyDerivation {
  client ??= new CryptoWorkerClient({ wasmUrl: new URL(wasmUrl, location.href).href });
  return client.kdf;
}
