/**
 * Node adapter for the crypto module: reads provkit-crypto.wasm from disk and hands the bytes
 * to the runtime-free loader in src/crypto/wasm.ts.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { loadCryptoWasm } from '../crypto/wasm.js';
import { ProvkitError } from '../errors.js';

/** Path of the committed module next to src/crypto/wasm.ts. */
export const CRYPTO_WASM_PATH = fileURLToPath(new URL('../crypto/provkit-crypto.wasm', import.meta.url));

/**
 * Loads the crypto module from `file` (default: the committed module), once per process.
 * Throws ProvkitError('wasm-unavailable') when the file is missing or is not the module.
 */
export async function loadCryptoWasmFromFile(file: string = CRYPTO_WASM_PATH): Promise<void> {
  await loadCryptoWasm(async () => {
    try {
      return await readFile(file);
    } catch (error) {
      throw new ProvkitError('wasm-unavailable', `could not read the crypto module ${file}; run scripts/build-wasm.sh`, {}, { cause: error });
    }
  });
}
