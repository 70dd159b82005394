/**
 * The Private Identity container (`.mcpip` to be provisioned, `.mcpi` final) and the lab
 * issuer's key store, which reuses it: PKCS#8 keys encrypted with AES-256-GCM under a key that
 * Argon2id derives from a passphrase. An unencrypted JSON header (hardware id, key
 * fingerprints, KDF parameters) lets files be matched without the passphrase, and is bound to
 * the ciphertext as AES-GCM additional data, so changing any header byte makes decryption fail.
 *
 * Layout (docs/formats.md, "Private Identity"):
 *   magic (8 bytes) || headerLength (uint32, big-endian) || header (UTF-8 JSON, headerLength bytes)
 *   || AES-256-GCM ciphertext of the key JSON || 16-byte tag
 */
import { exportSpki, importPrivateKey, isKeyAlgorithmName, webCryptoKeyAlgorithm, type KeyAlgorithmName } from '../crypto/algorithms.js';
import { fromBase64, toArrayBufferView, toBase64, toHex } from '../crypto/bytes.js';
import { TAG, bytesEqual, expectTag, readSequence } from '../crypto/tlv.js';
import type { Argon2idParameters, KeyDerivation } from '../crypto/wasm.js';
import { ProvkitError, type ErrorLocation } from '../errors.js';
import { FORMAT_VERSION, FORMAT_MAJOR_VERSION, PATTERNS, formatTimestamp, parseStrictJson } from './manifest.js';

export type { Argon2idParameters, KeyDerivation } from '../crypto/wasm.js';

/** Kind of container: a device identity to be provisioned, a final one, or the issuer's CA keys. */
export type PrivateIdentityKind = 'mcpip' | 'mcpi' | 'issuer-keys';

/** One private key with its role and, once issued, its certificate and chain (DER). */
export interface IdentityKey {
  role: string;
  algorithm: KeyAlgorithmName;
  /** DER PKCS#8 PrivateKeyInfo. */
  pkcs8: Uint8Array;
  /** DER certificate of this key. */
  certificate?: Uint8Array;
  /** DER certificates from the issuer of `certificate` towards the anchor. */
  chain?: Uint8Array[];
}

/** The decrypted content of a container. */
export interface PrivateIdentity {
  kind: PrivateIdentityKind;
  /** UUID of the system the identity belongs to. */
  systemId: string;
  componentHandle: string;
  hardwareId?: string;
  keys: IdentityKey[];
}

/** Fingerprints of one key, readable without the passphrase. */
export interface PrivateIdentityHeaderKey {
  role: string;
  algorithm: KeyAlgorithmName;
  /** Lowercase hex SHA-256 of the DER SubjectPublicKeyInfo (RSA-PSS keys as id-RSASSA-PSS). */
  spkiSha256: string;
  /** Lowercase hex SHA-256 of the DER certificate, when the key has one. */
  certificateSha256?: string;
}

/** Argon2id parameters and salt as stored in the header. */
export interface PrivateIdentityKdf extends Argon2idParameters {
  algorithm: 'argon2id';
  /** Argon2 version, 19 (0x13). */
  version: 19;
  salt: Uint8Array;
}

/** The unencrypted header of a container. */
export interface PrivateIdentityHeader {
  kind: PrivateIdentityKind;
  /** Container format version, "1.0". */
  version: string;
  systemId: string;
  componentHandle: string;
  hardwareId?: string;
  keys: PrivateIdentityHeaderKey[];
  kdf: PrivateIdentityKdf;
  cipher: { algorithm: 'aes-256-gcm'; nonce: Uint8Array };
  createdAt: Date;
  /** Members of a newer minor version that this reader ignored. */
  warnings: string[];
}

/** Options of encryptPrivateIdentity. */
export interface EncryptPrivateIdentityOptions {
  kdf: KeyDerivation;
  /** Argon2id cost; default DEFAULT_ARGON2ID_PARAMETERS. */
  parameters?: Argon2idParameters;
  signal?: AbortSignal;
  /** Creation time written to the header; default now. */
  createdAt?: Date;
}

/** Options of decryptPrivateIdentity. */
export interface DecryptPrivateIdentityOptions {
  kdf: KeyDerivation;
  /** File name for error messages. */
  file?: string;
  signal?: AbortSignal;
}

/**
 * Magic prefix per kind: 8 bytes, ASCII name, NUL padding, then CR LF so that a text-mode
 * transfer that rewrites line endings is caught as a wrong type instead of a decryption failure.
 */
export const PRIVATE_IDENTITY_MAGIC: Readonly<Record<PrivateIdentityKind, Uint8Array>> = {
  mcpip: new Uint8Array([0x4d, 0x43, 0x50, 0x49, 0x50, 0x00, 0x0d, 0x0a]), // "MCPIP\0\r\n"
  mcpi: new Uint8Array([0x4d, 0x43, 0x50, 0x49, 0x00, 0x00, 0x0d, 0x0a]), // "MCPI\0\0\r\n"
  'issuer-keys': new Uint8Array([0x4d, 0x43, 0x49, 0x4b, 0x00, 0x00, 0x0d, 0x0a]), // "MCIK\0\0\r\n"
};

/** Default Argon2id cost: m = 64 MiB, t = 3, p = 1 (RFC 9106, section 4, second recommended option, with one lane). */
export const DEFAULT_ARGON2ID_PARAMETERS: Readonly<Argon2idParameters> = { memoryKiB: 65_536, passes: 3, lanes: 1 };

/**
 * Lowest cost a reader accepts: m = 19 MiB and t = 2, the OWASP Password Storage Cheat Sheet's
 * minimum Argon2id configuration (m = 19 MiB, t = 2, p = 1). Below it: 'weak-parameters'.
 */
export const ARGON2ID_FLOOR: Readonly<Argon2idParameters> = { memoryKiB: 19_456, passes: 2, lanes: 1 };

/**
 * Highest cost a reader accepts, so that a hostile header cannot make the reader allocate
 * gigabytes or run for hours: m = 1 GiB, t = 16, p = 16. Above it: 'oversized'.
 */
export const ARGON2ID_CEILING: Readonly<Argon2idParameters> = { memoryKiB: 1_048_576, passes: 16, lanes: 16 };

/** Largest container in bytes. */
export const MAX_PRIVATE_IDENTITY_BYTES = 1_048_576;
/** Largest header in bytes. */
export const MAX_HEADER_BYTES = 65_536;
/** Maximum number of keys in one container. */
export const MAX_IDENTITY_KEYS = 16;
/** Maximum number of certificates in one key's chain. */
export const MAX_CHAIN_LENGTH = 8;
/** Salt length a writer uses; readers accept 16 to 64 bytes. */
export const SALT_BYTES = 16;
/** AES-GCM nonce length (NIST SP 800-38D recommends 96 bits). */
export const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const PREFIX_BYTES = 12;

const KINDS: readonly PrivateIdentityKind[] = ['mcpip', 'mcpi', 'issuer-keys'];
const HEADER_MEMBERS = ['kind', 'formatVersion', 'systemId', 'componentHandle', 'hardwareId', 'keys', 'kdf', 'cipher', 'createdAt'];
const DECRYPT_FAILED_MESSAGE = 'could not decrypt the private identity: the passphrase is wrong, or the file is damaged or was modified';

/**
 * Encrypts `identity` under `passphrase` (Unicode NFC, UTF-8) and returns the container bytes.
 * Throws ProvkitError: 'invalid-argument' for an identity outside the schema, 'mismatch' when a
 * key is not of its stated algorithm or its certificate is for another key, 'weak-parameters'
 * below ARGON2ID_FLOOR, 'oversized' above the ceiling or size limits, 'cancelled' when aborted.
 */
export async function encryptPrivateIdentity(identity: PrivateIdentity, passphrase: string, options: EncryptPrivateIdentityOptions): Promise<Uint8Array> {
  checkIdentity(identity);
  if (passphrase.length === 0) throw new ProvkitError('invalid-argument', 'the passphrase is empty; choose a passphrase to protect the private keys');
  const parameters = options.parameters ?? DEFAULT_ARGON2ID_PARAMETERS;
  checkCost(parameters, { field: 'parameters' });

  const headerKeys: PrivateIdentityHeaderKey[] = [];
  for (const [index, key] of identity.keys.entries()) {
    const location = { field: `keys[${index}]` };
    const spki = await publicKeyOfPkcs8(key, location);
    const entry: PrivateIdentityHeaderKey = { role: key.role, algorithm: key.algorithm, spkiSha256: await sha256Hex(spki) };
    if (key.certificate !== undefined) {
      checkCertificateKey(key.certificate, spki, { field: `keys[${index}].certificate` });
      entry.certificateSha256 = await sha256Hex(key.certificate);
    }
    headerKeys.push(entry);
  }

  const salt = crypto.getRandomValues(new Uint8Array(SALT_BYTES));
  const nonce = crypto.getRandomValues(new Uint8Array(NONCE_BYTES));
  const header = {
    kind: identity.kind,
    formatVersion: FORMAT_VERSION,
    systemId: identity.systemId,
    componentHandle: identity.componentHandle,
    ...(identity.hardwareId === undefined ? {} : { hardwareId: identity.hardwareId }),
    keys: headerKeys,
    kdf: { algorithm: 'argon2id', version: 19, memoryKiB: parameters.memoryKiB, passes: parameters.passes, lanes: parameters.lanes, salt: toBase64(salt) },
    cipher: { algorithm: 'aes-256-gcm', nonce: toBase64(nonce) },
    createdAt: formatTimestamp(options.createdAt ?? new Date()),
  };
  const headerBytes = new TextEncoder().encode(JSON.stringify(header));
  const prefix = new Uint8Array(PREFIX_BYTES + headerBytes.length);
  prefix.set(PRIVATE_IDENTITY_MAGIC[identity.kind], 0);
  new DataView(prefix.buffer).setUint32(8, headerBytes.length);
  prefix.set(headerBytes, PREFIX_BYTES);

  const plaintext = new TextEncoder().encode(
    JSON.stringify({
      keys: identity.keys.map((key) => ({
        role: key.role,
        pkcs8: toBase64(key.pkcs8),
        ...(key.certificate === undefined ? {} : { certificate: toBase64(key.certificate) }),
        ...(key.chain === undefined ? {} : { chain: key.chain.map(toBase64) }),
      })),
    }),
  );
  try {
    const aesKey = await deriveAesKey(passphrase, salt, parameters, options.kdf, options.signal);
    const ciphertext = new Uint8Array(
      await crypto.subtle.encrypt({ name: 'AES-GCM', iv: nonce, additionalData: prefix, tagLength: 128 }, aesKey, toArrayBufferView(plaintext)),
    );
    const out = new Uint8Array(prefix.length + ciphertext.length);
    out.set(prefix, 0);
    out.set(ciphertext, prefix.length);
    if (out.length > MAX_PRIVATE_IDENTITY_BYTES) {
      throw new ProvkitError('oversized', `the private identity would be ${out.length} bytes, above the limit of ${MAX_PRIVATE_IDENTITY_BYTES}; store fewer keys or shorter chains`);
    }
    return out;
  } finally {
    plaintext.fill(0);
  }
}

/**
 * Decrypts a container. Every failure to authenticate (wrong passphrase, any changed byte, a
 * truncated file, a damaged header) is the same ProvkitError('decrypt-failed'). Before any key
 * derivation: 'wrong-type' for another kind of file, 'oversized' for a file above
 * MAX_PRIVATE_IDENTITY_BYTES or a cost above ARGON2ID_CEILING, 'weak-parameters' below
 * ARGON2ID_FLOOR. Also 'cancelled' when aborted, and 'mismatch' when the authenticated content
 * disagrees with its own header (a faulty writer).
 */
export async function decryptPrivateIdentity(bytes: Uint8Array, passphrase: string, options: DecryptPrivateIdentityOptions): Promise<PrivateIdentity> {
  const location: ErrorLocation = options.file === undefined ? {} : { file: options.file };
  checkFileSize(bytes, location);
  let header: PrivateIdentityHeader;
  let prefixLength: number;
  try {
    ({ header, prefixLength } = readHeader(bytes, location));
  } catch (error) {
    // A damaged header is reported like a damaged ciphertext; only "not this kind of file" is more specific.
    if (error instanceof ProvkitError && error.code === 'wrong-type') throw error;
    throw new ProvkitError('decrypt-failed', DECRYPT_FAILED_MESSAGE, location);
  }
  checkCost(header.kdf, { ...location, field: 'header.kdf' });
  const ciphertext = bytes.subarray(prefixLength);
  if (ciphertext.length < TAG_BYTES) throw new ProvkitError('decrypt-failed', DECRYPT_FAILED_MESSAGE, location);

  const aesKey = await deriveAesKey(passphrase, header.kdf.salt, header.kdf, options.kdf, options.signal);
  let plaintext: Uint8Array;
  try {
    plaintext = new Uint8Array(
      await crypto.subtle.decrypt(
        { name: 'AES-GCM', iv: toArrayBufferView(header.cipher.nonce), additionalData: toArrayBufferView(bytes.slice(0, prefixLength)), tagLength: 128 },
        aesKey,
        toArrayBufferView(ciphertext.slice()),
      ),
    );
  } catch {
    throw new ProvkitError('decrypt-failed', DECRYPT_FAILED_MESSAGE, location);
  }

  try {
    const keys = parseKeys(plaintext, header, location);
    await checkKeysAgainstHeader(keys, header, location);
    return {
      kind: header.kind,
      systemId: header.systemId,
      componentHandle: header.componentHandle,
      ...(header.hardwareId === undefined ? {} : { hardwareId: header.hardwareId }),
      keys,
    };
  } finally {
    plaintext.fill(0);
  }
}

/**
 * Reads the unencrypted header without the passphrase, for matching files to devices.
 * Throws ProvkitError: 'wrong-type' (not a container), 'oversized', 'malformed' (truncated or
 * outside the schema, naming the field), 'bad-version'. It does not check the cost floor.
 */
export function readPrivateIdentityHeader(bytes: Uint8Array, location: ErrorLocation): PrivateIdentityHeader {
  return readHeader(bytes, location).header;
}

function checkFileSize(bytes: Uint8Array, location: ErrorLocation): void {
  if (bytes.length > MAX_PRIVATE_IDENTITY_BYTES) {
    throw new ProvkitError('oversized', `the file is ${bytes.length} bytes, above the private identity limit of ${MAX_PRIVATE_IDENTITY_BYTES}`, location);
  }
}

function readHeader(bytes: Uint8Array, location: ErrorLocation): { header: PrivateIdentityHeader; prefixLength: number } {
  checkFileSize(bytes, location);
  const kind = KINDS.find((candidate) => bytes.length >= 8 && bytesEqual(bytes.subarray(0, 8), PRIVATE_IDENTITY_MAGIC[candidate]));
  if (kind === undefined) {
    throw new ProvkitError('wrong-type', 'not a provkit private identity: the file does not start with the MCPIP, MCPI or MCIK magic', location);
  }
  if (bytes.length < PREFIX_BYTES) throw new ProvkitError('malformed', 'the file is truncated inside the header length', { ...location, field: 'headerLength' });
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(8);
  if (headerLength > MAX_HEADER_BYTES) {
    throw new ProvkitError('oversized', `the header is ${headerLength} bytes, above the limit of ${MAX_HEADER_BYTES}`, { ...location, field: 'headerLength' });
  }
  if (bytes.length < PREFIX_BYTES + headerLength) {
    throw new ProvkitError('malformed', 'the file is truncated inside the header', { ...location, field: 'header' });
  }
  const json = parseStrictJson(bytes.subarray(PREFIX_BYTES, PREFIX_BYTES + headerLength), { ...location, field: 'header' });
  const header = validateHeader(json, kind, location);
  return { header, prefixLength: PREFIX_BYTES + headerLength };
}

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

class HeaderReader {
  constructor(private readonly location: ErrorLocation) {}

  fail(field: string, message: string): never {
    throw new ProvkitError('malformed', message, { ...this.location, field });
  }

  object(value: unknown, field: string, members: readonly string[], strict: boolean, warnings: string[]): JsonObject {
    if (!isObject(value)) this.fail(field, 'must be a JSON object');
    for (const name of Object.keys(value)) {
      if (members.includes(name)) continue;
      if (strict) this.fail(`${field}.${name}`, 'is not a member of the version 1.0 header');
      warnings.push(`${field}.${name} is not known to this reader and was ignored`);
    }
    return value;
  }

  string(value: unknown, field: string, pattern: RegExp, what: string): string {
    if (typeof value !== 'string' || !pattern.test(value)) this.fail(field, `must be ${what}`);
    return value;
  }

  integer(value: unknown, field: string): number {
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || value > 0xffff_ffff) this.fail(field, 'must be an integer from 0 to 4294967295');
    return value;
  }

  base64(value: unknown, field: string, minimum: number, maximum: number): Uint8Array {
    const text = this.string(value, field, PATTERNS.base64, 'padded Base64');
    const bytes = fromBase64(text, { ...this.location, field });
    if (toBase64(bytes) !== text) this.fail(field, 'must be canonical Base64');
    if (bytes.length < minimum || bytes.length > maximum) this.fail(field, `must decode to ${minimum === maximum ? minimum : `${minimum} to ${maximum}`} bytes`);
    return bytes;
  }
}

function validateHeader(value: unknown, kind: PrivateIdentityKind, location: ErrorLocation): PrivateIdentityHeader {
  const reader: HeaderReader = new HeaderReader(location);
  const warnings: string[] = [];
  if (!isObject(value)) reader.fail('header', 'must be a JSON object');
  const formatVersion = reader.string(value['formatVersion'], 'header.formatVersion', PATTERNS.formatVersion, 'a "MAJOR.MINOR" version such as "1.0"');
  const [major, minor] = formatVersion.split('.').map(Number) as [number, number];
  if (major !== FORMAT_MAJOR_VERSION) {
    throw new ProvkitError('bad-version', `header format version ${formatVersion} is not supported; this reader reads 1.x`, { ...location, field: 'header.formatVersion' });
  }
  const strict = minor === 0;
  reader.object(value, 'header', HEADER_MEMBERS, strict, warnings);
  if (value['kind'] !== kind) reader.fail('header.kind', `must be "${kind}", the kind the file's magic names`);

  const systemId = reader.string(value['systemId'], 'header.systemId', PATTERNS.uuid, 'a lowercase UUID');
  const componentHandle = reader.string(value['componentHandle'], 'header.componentHandle', PATTERNS.componentHandle, 'a component handle (1 to 64 letters, digits, ".", "_" or "-")');
  const hardwareId =
    value['hardwareId'] === undefined ? undefined : reader.string(value['hardwareId'], 'header.hardwareId', PATTERNS.hardwareId, 'a hardware id of 1 to 36 characters');

  const keysValue = value['keys'];
  if (!Array.isArray(keysValue) || keysValue.length === 0 || keysValue.length > MAX_IDENTITY_KEYS) {
    reader.fail('header.keys', `must be an array of 1 to ${MAX_IDENTITY_KEYS} keys`);
  }
  const keys = keysValue.map((entry: unknown, index): PrivateIdentityHeaderKey => {
    const field = `header.keys[${index}]`;
    const object = reader.object(entry, field, ['role', 'algorithm', 'spkiSha256', 'certificateSha256'], strict, warnings);
    const algorithm = object['algorithm'];
    if (typeof algorithm !== 'string' || !isKeyAlgorithmName(algorithm)) reader.fail(`${field}.algorithm`, 'must be a provkit key algorithm name such as "ecdsa-p256"');
    const key: PrivateIdentityHeaderKey = {
      role: reader.string(object['role'], `${field}.role`, PATTERNS.role, 'a role name such as "tls-client"'),
      algorithm,
      spkiSha256: reader.string(object['spkiSha256'], `${field}.spkiSha256`, PATTERNS.sha256, 'a lowercase hex SHA-256'),
    };
    if (object['certificateSha256'] !== undefined) {
      key.certificateSha256 = reader.string(object['certificateSha256'], `${field}.certificateSha256`, PATTERNS.sha256, 'a lowercase hex SHA-256');
    }
    return key;
  });
  const roles = new Set(keys.map((key) => key.role));
  if (roles.size !== keys.length) reader.fail('header.keys', 'two keys have the same role');

  const kdfObject = reader.object(value['kdf'], 'header.kdf', ['algorithm', 'version', 'memoryKiB', 'passes', 'lanes', 'salt'], strict, warnings);
  if (kdfObject['algorithm'] !== 'argon2id') {
    throw new ProvkitError('unsupported', 'the key derivation must be "argon2id"', { ...location, field: 'header.kdf.algorithm' });
  }
  if (kdfObject['version'] !== 19) {
    throw new ProvkitError('unsupported', 'the Argon2 version must be 19 (0x13)', { ...location, field: 'header.kdf.version' });
  }
  const kdf: PrivateIdentityKdf = {
    algorithm: 'argon2id',
    version: 19,
    memoryKiB: reader.integer(kdfObject['memoryKiB'], 'header.kdf.memoryKiB'),
    passes: reader.integer(kdfObject['passes'], 'header.kdf.passes'),
    lanes: reader.integer(kdfObject['lanes'], 'header.kdf.lanes'),
    salt: reader.base64(kdfObject['salt'], 'header.kdf.salt', 16, 64),
  };
  // RFC 9106, section 3.1: 1 <= p <= 2^24 - 1.
  if (kdf.lanes < 1 || kdf.lanes > 0xff_ffff) reader.fail('header.kdf.lanes', 'must be from 1 to 16777215');

  const cipherObject = reader.object(value['cipher'], 'header.cipher', ['algorithm', 'nonce'], strict, warnings);
  if (cipherObject['algorithm'] !== 'aes-256-gcm') {
    throw new ProvkitError('unsupported', 'the cipher must be "aes-256-gcm"', { ...location, field: 'header.cipher.algorithm' });
  }
  const nonce = reader.base64(cipherObject['nonce'], 'header.cipher.nonce', NONCE_BYTES, NONCE_BYTES);

  const createdAtText = reader.string(value['createdAt'], 'header.createdAt', PATTERNS.timestamp, 'an RFC 3339 UTC time such as 2026-01-31T12:00:00Z');
  const createdAt = new Date(createdAtText);
  if (Number.isNaN(createdAt.getTime()) || formatTimestamp(createdAt) !== createdAtText.replace(/\.[0-9]+Z$/, 'Z')) {
    reader.fail('header.createdAt', 'is not a real calendar time');
  }

  return {
    kind,
    version: formatVersion,
    systemId,
    componentHandle,
    ...(hardwareId === undefined ? {} : { hardwareId }),
    keys,
    kdf,
    cipher: { algorithm: 'aes-256-gcm', nonce },
    createdAt,
    warnings,
  };
}

function checkCost(parameters: Argon2idParameters, location: ErrorLocation): void {
  const { memoryKiB, passes, lanes } = parameters;
  for (const [name, value] of Object.entries({ memoryKiB, passes, lanes })) {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new ProvkitError('invalid-argument', `Argon2id ${name} must be a non-negative integer, got ${value}`, location);
    }
  }
  if (lanes < 1) throw new ProvkitError('invalid-argument', 'Argon2id needs at least one lane', location);
  // Zero memory or passes is below the floor too, so it is reported as weak.
  if (memoryKiB < ARGON2ID_FLOOR.memoryKiB || passes < ARGON2ID_FLOOR.passes) {
    throw new ProvkitError(
      'weak-parameters',
      `Argon2id m=${memoryKiB} KiB, t=${passes} is below provkit's floor of m=${ARGON2ID_FLOOR.memoryKiB} KiB (19 MiB) and t=${ARGON2ID_FLOOR.passes}; re-encrypt the identity with stronger parameters`,
      location,
    );
  }
  if (memoryKiB > ARGON2ID_CEILING.memoryKiB || passes > ARGON2ID_CEILING.passes || lanes > ARGON2ID_CEILING.lanes) {
    throw new ProvkitError(
      'oversized',
      `Argon2id m=${memoryKiB} KiB, t=${passes}, p=${lanes} exceeds the maximum of m=${ARGON2ID_CEILING.memoryKiB} KiB, t=${ARGON2ID_CEILING.passes}, p=${ARGON2ID_CEILING.lanes}`,
      location,
    );
  }
  if (memoryKiB < 8 * lanes) {
    throw new ProvkitError('invalid-argument', `Argon2id needs at least 8 KiB of memory per lane (m=${memoryKiB}, p=${lanes})`, location);
  }
}

function checkIdentity(identity: PrivateIdentity): void {
  const fail = (field: string, message: string): never => {
    throw new ProvkitError('invalid-argument', message, { field });
  };
  if (!KINDS.includes(identity.kind)) fail('kind', `must be one of ${KINDS.join(', ')}`);
  if (!PATTERNS.uuid.test(identity.systemId)) fail('systemId', 'must be a lowercase UUID');
  if (!PATTERNS.componentHandle.test(identity.componentHandle)) fail('componentHandle', 'must be 1 to 64 letters, digits, ".", "_" or "-"');
  if (identity.hardwareId !== undefined && !PATTERNS.hardwareId.test(identity.hardwareId)) fail('hardwareId', 'must be 1 to 36 letters, digits, ".", "_", ":" or "-"');
  if (identity.keys.length === 0 || identity.keys.length > MAX_IDENTITY_KEYS) fail('keys', `must hold 1 to ${MAX_IDENTITY_KEYS} keys`);
  const roles = new Set<string>();
  for (const [index, key] of identity.keys.entries()) {
    if (!PATTERNS.role.test(key.role)) fail(`keys[${index}].role`, 'must match ^[a-z][a-z0-9-]{0,31}$');
    if (roles.has(key.role)) fail(`keys[${index}].role`, `role "${key.role}" appears twice`);
    roles.add(key.role);
    if (!isKeyAlgorithmName(key.algorithm)) fail(`keys[${index}].algorithm`, 'must be a provkit key algorithm name');
    if ((key.chain?.length ?? 0) > MAX_CHAIN_LENGTH) fail(`keys[${index}].chain`, `must hold at most ${MAX_CHAIN_LENGTH} certificates`);
  }
}

async function deriveAesKey(passphrase: string, salt: Uint8Array, parameters: Argon2idParameters, kdf: KeyDerivation, signal: AbortSignal | undefined): Promise<CryptoKey> {
  if (signal?.aborted) throw new ProvkitError('cancelled', 'the key derivation was cancelled', {}, { cause: signal.reason });
  const secret = new TextEncoder().encode(passphrase.normalize('NFC'));
  let keyBytes: Uint8Array | undefined;
  try {
    keyBytes = await kdf(secret, salt, { memoryKiB: parameters.memoryKiB, passes: parameters.passes, lanes: parameters.lanes }, signal);
    if (keyBytes.length !== 32) throw new ProvkitError('invalid-state', `the key derivation returned ${keyBytes.length} bytes instead of 32`);
    return await crypto.subtle.importKey('raw', toArrayBufferView(keyBytes), { name: 'AES-GCM' }, false, ['encrypt', 'decrypt']);
  } finally {
    secret.fill(0);
    keyBytes?.fill(0);
  }
}

// The plaintext: {"keys":[{"role","pkcs8","certificate"?,"chain"?}]}, keys in header order.
function parseKeys(plaintext: Uint8Array, header: PrivateIdentityHeader, location: ErrorLocation): IdentityKey[] {
  const reader: HeaderReader = new HeaderReader(location);
  const warnings: string[] = [];
  const content = reader.object(parseStrictJson(plaintext, { ...location, field: 'keys' }), 'content', ['keys'], true, warnings);
  const entries = content['keys'];
  if (!Array.isArray(entries) || entries.length !== header.keys.length) reader.fail('content.keys', 'must list the keys of the header');
  return entries.map((entry: unknown, index): IdentityKey => {
    const field = `content.keys[${index}]`;
    const object = reader.object(entry, field, ['role', 'pkcs8', 'certificate', 'chain'], true, warnings);
    const headerKey = header.keys[index]!;
    if (object['role'] !== headerKey.role) {
      throw new ProvkitError('mismatch', `the encrypted key's role differs from the header role "${headerKey.role}"`, { ...location, field: `${field}.role` });
    }
    const key: IdentityKey = { role: headerKey.role, algorithm: headerKey.algorithm, pkcs8: reader.base64(object['pkcs8'], `${field}.pkcs8`, 1, 65_536) };
    if (object['certificate'] !== undefined) key.certificate = reader.base64(object['certificate'], `${field}.certificate`, 1, 65_536);
    if (object['chain'] !== undefined) {
      const chain = object['chain'];
      if (!Array.isArray(chain) || chain.length > MAX_CHAIN_LENGTH) reader.fail(`${field}.chain`, `must be an array of at most ${MAX_CHAIN_LENGTH} certificates`);
      key.chain = chain.map((certificate: unknown, position) => reader.base64(certificate, `${field}.chain[${position}]`, 1, 65_536));
    }
    return key;
  });
}

async function checkKeysAgainstHeader(keys: IdentityKey[], header: PrivateIdentityHeader, location: ErrorLocation): Promise<void> {
  for (const [index, key] of keys.entries()) {
    const headerKey = header.keys[index]!;
    const field = `header.keys[${index}]`;
    const spki = await publicKeyOfPkcs8(key, { ...location, field: `content.keys[${index}].pkcs8` });
    if ((await sha256Hex(spki)) !== headerKey.spkiSha256) {
      throw new ProvkitError('mismatch', 'the encrypted key does not match the header fingerprint spkiSha256', { ...location, field: `${field}.spkiSha256` });
    }
    const certificateSha256 = key.certificate === undefined ? undefined : await sha256Hex(key.certificate);
    if (certificateSha256 !== headerKey.certificateSha256) {
      throw new ProvkitError('mismatch', 'the encrypted certificate does not match the header fingerprint certificateSha256', { ...location, field: `${field}.certificateSha256` });
    }
  }
}

/**
 * Derives the DER SubjectPublicKeyInfo of a PKCS#8 key: WebCrypto exports the public members
 * of a private key as JWK, which import as the public key. Throws ProvkitError('mismatch') when
 * the key is not of `key.algorithm`, and the errors of importPrivateKey.
 */
export async function publicKeyOfPkcs8(key: Pick<IdentityKey, 'pkcs8' | 'algorithm'>, location: ErrorLocation = {}): Promise<Uint8Array> {
  const { privateKey, algorithm } = await importPrivateKey(key.pkcs8, location, key.algorithm);
  if (algorithm !== key.algorithm) {
    throw new ProvkitError('mismatch', `the PKCS#8 key is ${algorithm}, not ${key.algorithm}`, location);
  }
  const jwk = await crypto.subtle.exportKey('jwk', privateKey);
  const publicJwk: JsonWebKey =
    jwk.kty === 'RSA' ? { kty: 'RSA', n: jwk.n!, e: jwk.e! } : jwk.kty === 'EC' ? { kty: 'EC', crv: jwk.crv!, x: jwk.x!, y: jwk.y! } : { kty: jwk.kty!, crv: jwk.crv!, x: jwk.x! };
  const publicKey = await crypto.subtle.importKey('jwk', publicJwk, webCryptoKeyAlgorithm(algorithm), true, ['verify']);
  return exportSpki(publicKey);
}

/*
 * Certificate ::= SEQUENCE { tbsCertificate TBSCertificate, signatureAlgorithm, signatureValue }
 * TBSCertificate ::= SEQUENCE { version [0] EXPLICIT Version DEFAULT v1, serialNumber, signature,
 *   issuer, validity, subject, subjectPublicKeyInfo, ... }  (RFC 5280, section 4.1)
 */
/**
 * Returns the subjectPublicKey BIT STRING content of a DER certificate or SPKI. Keys are compared
 * by these bits only, because an RSA-PSS key may appear under rsaEncryption in a certificate and
 * under id-RSASSA-PSS in provkit's SPKI. Throws ProvkitError('malformed').
 */
export function subjectPublicKeyBits(der: Uint8Array, from: 'certificate' | 'spki', location: ErrorLocation = {}): Uint8Array {
  try {
    let spki = der;
    if (from === 'certificate') {
      const [tbs] = readSequence(der, location);
      const fields = readSequence(expectTag(tbs, TAG.SEQUENCE, 'tbsCertificate', location).element, location);
      const offset = fields[0]?.tag === 0xa0 ? 1 : 0;
      spki = expectTag(fields[offset + 5], TAG.SEQUENCE, 'subjectPublicKeyInfo', location).element;
    }
    return expectTag(readSequence(spki, location)[1], TAG.BIT_STRING, 'subjectPublicKey', location).value;
  } catch (error) {
    throw new ProvkitError('malformed', `the ${from === 'certificate' ? 'certificate is not DER X.509' : 'SubjectPublicKeyInfo is not DER'}`, location, { cause: error });
  }
}

function checkCertificateKey(certificate: Uint8Array, spki: Uint8Array, location: ErrorLocation): void {
  if (!bytesEqual(subjectPublicKeyBits(certificate, 'certificate', location), subjectPublicKeyBits(spki, 'spki', location))) {
    throw new ProvkitError('mismatch', "the certificate is for another public key than the role's private key", location);
  }
}

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  return toHex(new Uint8Array(await crypto.subtle.digest('SHA-256', toArrayBufferView(bytes))));
}
