/// <reference types="vite/client" />
/**
 * Test page for the crypto worker: exposes a few flows on `window.cryptoWorkerTest` for
 * tests/e2e/wasm-worker.test.ts to call through page.evaluate.
 */
import wasmUrl from '../../../../src/crypto/provkit-crypto.wasm?url';
import { exportPkcs8, generateKeyPair } from '../../../../src/crypto/algorithms.js';
import { CryptoWorkerClient } from '../../../../src/crypto/worker-client.js';
import { decryptPrivateIdentity, encryptPrivateIdentity, readPrivateIdentityHeader, type PrivateIdentity } from '../../../../src/formats/identity.js';
import { ProvkitError } from '../../../../src/errors.js';

const client = new CryptoWorkerClient({ wasmUrl });
const hex = (bytes: Uint8Array): string => Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');

function errorCode(error: unknown): string {
  return error instanceof ProvkitError ? error.code : `not a ProvkitError: ${String(error)}`;
}

async function identityRoundTrip(): Promise<{ equal: boolean; kdf: object; wrongPassphrase: string; bytes: number }> {
  const p256 = await generateKeyPair('ecdsa-p256');
  const ed25519 = await generateKeyPair('ed25519');
  const identity: PrivateIdentity = {
    kind: 'mcpip',
    systemId: '3f2b8c1e-4d5a-4b6c-8d7e-9f0a1b2c3d4e',
    componentHandle: 'browser-test',
    hardwareId: 'SN-BROWSER-1',
    keys: [
      { role: 'tls-client', algorithm: 'ecdsa-p256', pkcs8: await exportPkcs8(p256.privateKey) },
      { role: 'signing', algorithm: 'ed25519', pkcs8: await exportPkcs8(ed25519.privateKey) },
    ],
  };
  const bytes = await encryptPrivateIdentity(identity, 'browser passphrase', { kdf: client.kdf });
  const decrypted = await decryptPrivateIdentity(bytes, 'browser passphrase', { kdf: client.kdf });
  const equal =
    JSON.stringify({ ...decrypted, keys: decrypted.keys.map((key) => ({ ...key, pkcs8: hex(key.pkcs8) })) }) ===
    JSON.stringify({ ...identity, keys: identity.keys.map((key) => ({ ...key, pkcs8: hex(key.pkcs8) })) });
  let wrongPassphrase = 'no error';
  try {
    await decryptPrivateIdentity(bytes, 'another passphrase', { kdf: client.kdf });
  } catch (error) {
    wrongPassphrase = errorCode(error);
  }
  const { memoryKiB, passes, lanes } = readPrivateIdentityHeader(bytes, {}).kdf;
  return { equal, kdf: { memoryKiB, passes, lanes }, wrongPassphrase, bytes: bytes.length };
}

// RFC 9106, section 5.3.
async function rfc9106Vector(): Promise<string> {
  const tag = await client.argon2id(new Uint8Array(32).fill(1), new Uint8Array(16).fill(2), {
    memoryKiB: 32,
    passes: 3,
    lanes: 4,
    outputLength: 32,
    secret: new Uint8Array(8).fill(3),
    associatedData: new Uint8Array(12).fill(4),
  });
  return hex(tag);
}

async function sha256Hex(text: string): Promise<string> {
  return hex(await client.sha2('SHA-256', new TextEncoder().encode(text)));
}

/** Starts a long Argon2id, queues a SHA-256 behind it, aborts the Argon2id once it runs. */
async function abortDuringArgon2id(): Promise<{ aborted: string; queued: string; afterwards: string }> {
  const controller = new AbortController();
  const long = client.argon2id(new TextEncoder().encode('long'), new Uint8Array(16), { memoryKiB: 262_144, passes: 10, lanes: 1 }, controller.signal);
  const queued = client.sha2('SHA-256', new TextEncoder().encode('abc'));
  await new Promise((resolve) => setTimeout(resolve, 300));
  controller.abort();
  let aborted = 'completed';
  try {
    await long;
  } catch (error) {
    aborted = errorCode(error);
  }
  return { aborted, queued: hex(await queued), afterwards: await rfc9106Vector() };
}

async function abortBeforeStart(): Promise<string> {
  const controller = new AbortController();
  controller.abort();
  try {
    await client.argon2id(new Uint8Array(1), new Uint8Array(16), { memoryKiB: 64, passes: 1, lanes: 1 }, controller.signal);
    return 'completed';
  } catch (error) {
    return errorCode(error);
  }
}

Object.assign(window, { cryptoWorkerTest: { identityRoundTrip, rfc9106Vector, sha256Hex, abortDuringArgon2id, abortBeforeStart } });
document.getElementById('status')!.textContent = 'ready';
