import { gunzipSync, gzipSync } from 'fflate';
import { ProvkitError } from '../errors.js';
import { toBase64, fromBase64, toArrayBufferView } from '../crypto/bytes.js';
import type { Argon2idParameters, KeyDerivation } from '../crypto/wasm.js';
import { DEFAULT_ARGON2ID_PARAMETERS } from '../formats/identity.js';
import { inTransaction, SCHEMA_VERSION, type ProvkitDatabase, type ProvkitSchema } from './db.js';
import type { StoreNames } from 'idb';

/** Argon2id cost parameters, re-exported for callers that choose a backup's cost. */
export type { Argon2idParameters } from '../crypto/wasm.js';

/** Key derivation of a backup: the identity container's (Argon2id, 32-byte keys). */
export type BackupKeyDerivation = KeyDerivation;

/** Argon2id cost of a new backup: the identity container's default (64 MiB, 3 passes, 1 lane). */
export const BACKUP_ARGON2ID: Argon2idParameters = { ...DEFAULT_ARGON2ID_PARAMETERS };

/** File-name extension of a workbench backup. */
export const BACKUP_EXTENSION = 'pkbackup';

const MAGIC = new TextEncoder().encode('PKBACKUP');
const FORMAT_VERSION = 1;
/** Limits on parameters read from a backup header, so a crafted file cannot demand gigabytes. */
const MAX_MEMORY_KIB = 1024 * 1024;
const MAX_PASSES = 64;

/** Stores copied into a backup: everything the workbench keeps. */
const BACKUP_STORES: StoreNames<ProvkitSchema>[] = ['packages', 'identities', 'requests', 'profiles', 'issuer', 'log', 'meta'];

/** The clear header of a backup file, authenticated as AES-GCM additional data. */
export interface BackupHeader {
  format: 'provkit-backup';
  version: number;
  schemaVersion: number;
  createdAt: string;
  kdf: { name: 'argon2id'; salt: string } & Argon2idParameters;
  cipher: { name: 'aes-256-gcm'; iv: string };
  /** Number of records per store, so a restore can be previewed before it replaces anything. */
  counts: Record<string, number>;
}

/*
 * Backup file layout:
 *   "PKBACKUP" | u32 big-endian header length | header (UTF-8 JSON) | AES-256-GCM ciphertext
 * The ciphertext is gzip(JSON of every store), with Uint8Array values written as {"$b64": "..."}.
 * The key is Argon2id(passphrase, salt) and the additional data is everything before the ciphertext.
 */

/**
 * Writes a passphrase-encrypted backup of the whole workbench database. Throws
 * ProvkitError('invalid-argument') for an empty passphrase.
 */
export async function createBackup(
  db: ProvkitDatabase,
  passphrase: string,
  options: { kdf: BackupKeyDerivation; parameters?: Argon2idParameters; signal?: AbortSignal; now?: Date },
): Promise<Uint8Array> {
  if (passphrase === '') throw new ProvkitError('invalid-argument', 'the backup passphrase is empty; choose a passphrase to protect the backup');
  const parameters = options.parameters ?? BACKUP_ARGON2ID;

  // One read transaction, so the backup is a consistent snapshot of all stores.
  const tx = db.transaction(BACKUP_STORES, 'readonly');
  const stores: Record<string, unknown[]> = {};
  for (const name of BACKUP_STORES) stores[name] = await tx.objectStore(name).getAll();
  await tx.done;

  const counts = Object.fromEntries(Object.entries(stores).map(([name, records]) => [name, records.length]));
  const plaintext = gzipSync(new TextEncoder().encode(JSON.stringify({ stores }, encodeBytes)));
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const header: BackupHeader = {
    format: 'provkit-backup',
    version: FORMAT_VERSION,
    schemaVersion: SCHEMA_VERSION,
    createdAt: (options.now ?? new Date()).toISOString(),
    kdf: { name: 'argon2id', ...parameters, salt: toBase64(salt) },
    cipher: { name: 'aes-256-gcm', iv: toBase64(iv) },
    counts,
  };
  const prefix = toArrayBufferView(encodePrefix(header));
  const key = await deriveKey(passphrase, salt, parameters, options.kdf, options.signal);
  const ciphertext = new Uint8Array(
    await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: prefix }, key, toArrayBufferView(plaintext)),
  );
  return concat(prefix, ciphertext);
}

/**
 * Reads the clear header of a backup. Throws ProvkitError('wrong-type') when the bytes are
 * not a backup, 'bad-version' for a newer format, 'malformed' for a damaged header.
 */
export function readBackupHeader(bytes: Uint8Array, file = 'backup'): { header: BackupHeader; prefixLength: number } {
  if (bytes.length < MAGIC.length || !MAGIC.every((byte, i) => bytes[i] === byte)) {
    throw new ProvkitError('wrong-type', 'not a provkit backup (the file does not start with PKBACKUP)', { file });
  }
  if (bytes.length < MAGIC.length + 4) {
    throw new ProvkitError('malformed', 'the backup is truncated before its header; copy the file again', { file, field: 'header' });
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getUint32(MAGIC.length);
  const prefixLength = MAGIC.length + 4 + headerLength;
  if (headerLength > 65536 || prefixLength > bytes.length) {
    throw new ProvkitError('malformed', 'the backup header is truncated; copy the file again', { file, field: 'header' });
  }
  let header: BackupHeader;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(MAGIC.length + 4, prefixLength))) as BackupHeader;
  } catch (error) {
    throw new ProvkitError('malformed', 'the backup header is not valid JSON', { file, field: 'header' }, { cause: error });
  }
  if (header.format !== 'provkit-backup') throw new ProvkitError('wrong-type', 'not a provkit backup', { file, field: 'header.format' });
  if (header.version !== FORMAT_VERSION) {
    throw new ProvkitError('bad-version', `backup format version ${String(header.version)} is not supported; this build reads version ${FORMAT_VERSION}`, { file, field: 'header.version' });
  }
  if (header.schemaVersion > SCHEMA_VERSION) {
    throw new ProvkitError('bad-version', `the backup comes from a newer workbench (schema ${header.schemaVersion}); update this workbench first`, { file, field: 'header.schemaVersion' });
  }
  const { memoryKiB, passes, lanes } = header.kdf ?? {};
  if (![memoryKiB, passes, lanes].every((value) => Number.isInteger(value) && (value as number) > 0) || memoryKiB! > MAX_MEMORY_KIB || passes! > MAX_PASSES || lanes! > 16) {
    throw new ProvkitError('malformed', 'the backup key-derivation parameters are out of range', { file, field: 'header.kdf' });
  }
  return { header, prefixLength };
}

/**
 * Decrypts a backup and replaces the whole workbench database with its content in one
 * transaction. Throws ProvkitError('decrypt-failed') for a wrong passphrase or a damaged
 * file (nothing is changed then), or the errors of {@link readBackupHeader}.
 */
export async function restoreBackup(
  db: ProvkitDatabase,
  bytes: Uint8Array,
  passphrase: string,
  options: { kdf: BackupKeyDerivation; signal?: AbortSignal; file?: string },
): Promise<BackupHeader> {
  const file = options.file ?? 'backup';
  const { header, prefixLength } = readBackupHeader(bytes, file);
  const salt = fromBase64(header.kdf.salt, { file, field: 'header.kdf.salt' });
  const iv = fromBase64(header.cipher.iv, { file, field: 'header.cipher.iv' });
  const { memoryKiB, passes, lanes } = header.kdf;
  const key = await deriveKey(passphrase, salt, { memoryKiB, passes, lanes }, options.kdf, options.signal);

  let stores: Record<string, unknown[]>;
  try {
    const plaintext = new Uint8Array(
      await crypto.subtle.decrypt(
        { name: 'AES-GCM', iv: toArrayBufferView(iv), additionalData: toArrayBufferView(bytes.subarray(0, prefixLength)) },
        key,
        toArrayBufferView(bytes.subarray(prefixLength)),
      ),
    );
    stores = (JSON.parse(new TextDecoder().decode(gunzipSync(plaintext)), decodeBytes) as { stores: Record<string, unknown[]> }).stores;
  } catch (error) {
    // Uniform on purpose: a wrong passphrase and a tampered file look the same.
    throw new ProvkitError('decrypt-failed', 'the backup cannot be decrypted: wrong passphrase, or the file is damaged', { file }, { cause: error });
  }

  await inTransaction(db, BACKUP_STORES, 'restoring the backup', async (tx) => {
    for (const name of BACKUP_STORES) {
      const store = tx.objectStore(name);
      await store.clear();
      for (const record of stores[name] ?? []) await store.put(record as never);
    }
  });
  return header;
}

async function deriveKey(
  passphrase: string,
  salt: Uint8Array,
  parameters: Argon2idParameters,
  kdf: BackupKeyDerivation,
  signal: AbortSignal | undefined,
): Promise<CryptoKey> {
  const secret = new TextEncoder().encode(passphrase.normalize('NFC'));
  try {
    const raw = await kdf(secret, salt, parameters, signal);
    try {
      return await crypto.subtle.importKey('raw', toArrayBufferView(raw.slice(0, 32)), 'AES-GCM', false, ['encrypt', 'decrypt']);
    } finally {
      raw.fill(0);
    }
  } finally {
    secret.fill(0);
  }
}

function encodePrefix(header: BackupHeader): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const length = new Uint8Array(4);
  new DataView(length.buffer).setUint32(0, json.length);
  return concat(MAGIC, length, json);
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

function encodeBytes(_key: string, value: unknown): unknown {
  return value instanceof Uint8Array ? { $b64: toBase64(value) } : value;
}

function decodeBytes(_key: string, value: unknown): unknown {
  if (value !== null && typeof value === 'object' && '$b64' in value && Object.keys(value).length === 1) {
    return fromBase64((value as { $b64: string }).$b64);
  }
  return value;
}
