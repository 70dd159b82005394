/**
 * Shared setup for the device, issuer and CLI tests: the real Argon2id module, a lab issuer on
 * an in-memory store, and OpenSSL helpers. Files are encrypted at provkit's floor cost (19 MiB,
 * 2 passes) to keep the tests fast. The defaults stay 64 MiB and 3 passes.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { argon2idKdf } from '../../src/crypto/wasm.js';
import { toPem } from '../../src/formats/der.js';
import { ARGON2ID_FLOOR } from '../../src/formats/identity.js';
import type { Certificate } from '../../src/formats/x509.js';
import { LabIssuer } from '../../src/issuer/issuer.js';
import { MemoryIssuerStore } from '../../src/issuer/store.js';
import type { SystemSpec } from '../../src/issuer/system.js';
import { loadCryptoWasmFromFile } from '../../src/node/wasm-loader.js';

export const run = promisify(execFile);

/** The cheapest Argon2id cost the containers accept; tests only. */
export const TEST_KDF_PARAMETERS = { ...ARGON2ID_FLOOR };

/** Loads the crypto module and returns the real Argon2id key derivation. */
export async function testKdf(): Promise<typeof argon2idKdf> {
  await loadCryptoWasmFromFile();
  return argon2idKdf;
}

/** Creates a lab issuer over a memory store with a movable clock. */
export async function createTestIssuer(clock: { now: Date } = { now: new Date() }): Promise<{ issuer: LabIssuer; store: MemoryIssuerStore; clock: { now: Date } }> {
  const store = new MemoryIssuerStore();
  const issuer = new LabIssuer({ store, kdf: await testKdf(), kdfParameters: TEST_KDF_PARAMETERS, now: () => clock.now });
  return { issuer, store, clock };
}

/** Creates a system and exports a package for each of its components. */
export async function createTestSystem(issuer: LabIssuer, spec: Partial<SystemSpec> = {}, packageValidityDays?: number) {
  const system = await issuer.createSystem({ name: 'Test pumps', approvalMode: 'automatic', components: [{ handle: 'pump' }], ...spec }, LAB_PASSPHRASE);
  const ca = await issuer.unlock(system.id, LAB_PASSPHRASE);
  const packages = new Map<string, Awaited<ReturnType<LabIssuer['exportPackage']>>>();
  for (const component of system.components) {
    packages.set(component.handle, await issuer.exportPackage(system.id, component.handle, { ca, packagePassphrase: PACKAGE_PASSPHRASE, ...(packageValidityDays !== undefined ? { validityDays: packageValidityDays } : {}) }));
  }
  return { system, ca, packages };
}

export const LAB_PASSPHRASE = 'lab passphrase for tests';
export const PACKAGE_PASSPHRASE = 'package passphrase for tests';
export const DEVICE_PASSPHRASE = 'device passphrase for tests';

/** A temporary directory removed by the returned cleanup function. */
export async function temporaryDirectory(prefix: string): Promise<{ directory: string; cleanup: () => Promise<void> }> {
  const directory = await mkdtemp(path.join(tmpdir(), prefix));
  return { directory, cleanup: () => rm(directory, { recursive: true, force: true }) };
}

/** Writes certificates as one PEM file. */
export async function writePem(file: string, certificates: Certificate[]): Promise<void> {
  await writeFile(file, certificates.map((certificate) => toPem('CERTIFICATE', certificate.der)).join(''));
}

/** Runs openssl and returns stdout and stderr; rejects with OpenSSL's output on a non-zero status. */
export async function openssl(args: string[], cwd?: string): Promise<{ stdout: string; stderr: string }> {
  try {
    return await run('openssl', args, { cwd, encoding: 'utf8' });
  } catch (error) {
    const failure = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`openssl ${args.join(' ')} failed: ${failure.stderr ?? ''}${failure.stdout ?? ''}${failure.message}`);
  }
}
