/**
 * PKCS#12 (RFC 7292) export and import of private identities, for OpenSSL and other tools.
 * Export writes what OpenSSL 3 writes by default, with a higher work factor: keys in
 * pkcs8ShroudedKeyBags under PBES2 (PBKDF2-HMAC-SHA-256, AES-256-CBC, RFC 8018), certificates
 * in certBags, friendlyName = role, and an HMAC-SHA-256 integrity MAC. Import reads such files,
 * including those of `openssl pkcs12 -export` with its defaults. Needs the crypto module loaded
 * (the MAC key derivation iterates SHA-256 in WebAssembly).
 */
import { importPrivateKey } from '../crypto/algorithms.js';
import { toArrayBufferView } from '../crypto/bytes.js';
import {
  TAG,
  bytesEqual,
  concatBytes,
  decodeOid,
  encodeOid,
  encodeSmallInteger,
  encodeTlv,
  expectTag,
  readChildren,
  readSequence,
  readSingleTlv,
  readSmallInteger,
  type Tlv,
} from '../crypto/tlv.js';
import { sha2Iterate, type Sha2Algorithm } from '../crypto/wasm.js';
import { ProvkitError, type ErrorLocation } from '../errors.js';
import { publicKeyOfPkcs8, subjectPublicKeyBits, type IdentityKey } from './identity.js';
import { PATTERNS } from './manifest.js';

/** Object identifiers of RFC 7292, RFC 8018, RFC 5652 and NIST's AES and SHA-2 arcs. */
export const PKCS12_OID = {
  data: '1.2.840.113549.1.7.1',
  encryptedData: '1.2.840.113549.1.7.6',
  keyBag: '1.2.840.113549.1.12.10.1.1',
  pkcs8ShroudedKeyBag: '1.2.840.113549.1.12.10.1.2',
  certBag: '1.2.840.113549.1.12.10.1.3',
  x509Certificate: '1.2.840.113549.1.9.22.1',
  friendlyName: '1.2.840.113549.1.9.20',
  localKeyId: '1.2.840.113549.1.9.21',
  pbes2: '1.2.840.113549.1.5.13',
  pbkdf2: '1.2.840.113549.1.5.12',
  hmacWithSha1: '1.2.840.113549.2.7',
  hmacWithSha256: '1.2.840.113549.2.9',
  hmacWithSha384: '1.2.840.113549.2.10',
  hmacWithSha512: '1.2.840.113549.2.11',
  aes128Cbc: '2.16.840.1.101.3.4.1.2',
  aes192Cbc: '2.16.840.1.101.3.4.1.22',
  aes256Cbc: '2.16.840.1.101.3.4.1.42',
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  sha512: '2.16.840.1.101.3.4.2.3',
} as const;

/**
 * PBKDF2 and MAC iteration count of an export: 600,000, the OWASP Password Storage Cheat
 * Sheet's figure for PBKDF2-HMAC-SHA-256 (OpenSSL 3.0 defaults to 2048). The MAC uses the same
 * count, because a guess checked against the MAC costs no more than its iterations.
 */
export const PKCS12_EXPORT_ITERATIONS = 600_000;
/** Highest iteration count an import accepts, so a hostile file cannot stall the reader. */
export const PKCS12_MAX_ITERATIONS = 10_000_000;
/** Largest PKCS#12 file an import accepts. */
export const MAX_PKCS12_BYTES = 1_048_576;

/** Options of exportPkcs12. */
export interface ExportPkcs12Options {
  /** PBKDF2 and MAC iterations; default PKCS12_EXPORT_ITERATIONS. */
  iterations?: number;
}

/** The keys and certificates read from a PKCS#12 file. */
export interface Pkcs12Contents {
  /** One entry per private key; role from friendlyName, certificate matched by localKeyId or public key. */
  keys: IdentityKey[];
  /** Certificates that belong to no key of the file. */
  certificates: Uint8Array[];
}

const DECRYPT_FAILED_MESSAGE = 'could not open the PKCS#12 file: the passphrase is wrong, or the file is damaged or was modified';

// ---------------------------------------------------------------------------------------
// Export

/**
 * Writes the keys of an identity (with their certificates and chains) as a PKCS#12 PFX that
 * `openssl pkcs12 -info` opens. Throws ProvkitError('invalid-argument') for an empty passphrase
 * or no keys, 'wasm-unavailable' when the crypto module is not loaded.
 */
export async function exportPkcs12(identity: { keys: IdentityKey[] }, passphrase: string, options: ExportPkcs12Options = {}): Promise<Uint8Array> {
  if (passphrase.length === 0) throw new ProvkitError('invalid-argument', 'the PKCS#12 passphrase is empty; choose one, OpenSSL treats an empty one specially');
  if (identity.keys.length === 0) throw new ProvkitError('invalid-argument', 'the identity has no keys to export', { field: 'keys' });
  const iterations = options.iterations ?? PKCS12_EXPORT_ITERATIONS;
  if (!Number.isSafeInteger(iterations) || iterations < 1 || iterations > PKCS12_MAX_ITERATIONS) {
    throw new ProvkitError('invalid-argument', `iterations must be an integer from 1 to ${PKCS12_MAX_ITERATIONS}`, { field: 'iterations' });
  }
  const password = new TextEncoder().encode(passphrase);

  const keyBags: Uint8Array[] = [];
  const certificateBags: Uint8Array[] = [];
  const written: Uint8Array[] = [];
  for (const key of identity.keys) {
    const localKeyId = await sha256(key.certificate ?? new TextEncoder().encode(`provkit role ${key.role}`));
    const attributes = bagAttributes(key.role, localKeyId);
    const encryptedKey = await encryptPbes2(key.pkcs8, password, iterations);
    keyBags.push(safeBag(PKCS12_OID.pkcs8ShroudedKeyBag, encryptedKey, attributes));
    if (key.certificate !== undefined) {
      certificateBags.push(safeBag(PKCS12_OID.certBag, certBag(key.certificate), attributes));
      written.push(key.certificate);
    }
    for (const certificate of key.chain ?? []) {
      if (written.some((done) => bytesEqual(done, certificate))) continue;
      certificateBags.push(safeBag(PKCS12_OID.certBag, certBag(certificate)));
      written.push(certificate);
    }
  }
  password.fill(0);

  // Certificates are public, so their SafeContents travels as plain data; keys are shrouded.
  const contents = [dataContentInfo(encodeTlv(TAG.SEQUENCE, ...keyBags))];
  if (certificateBags.length > 0) contents.unshift(dataContentInfo(encodeTlv(TAG.SEQUENCE, ...certificateBags)));
  const authenticatedSafe = encodeTlv(TAG.SEQUENCE, ...contents);

  const macSalt = crypto.getRandomValues(new Uint8Array(16));
  const mac = await computeMac('SHA-256', passphrase, macSalt, iterations, authenticatedSafe);
  // MacData ::= SEQUENCE { mac DigestInfo, macSalt OCTET STRING, iterations INTEGER DEFAULT 1 }
  const macData = encodeTlv(
    TAG.SEQUENCE,
    encodeTlv(TAG.SEQUENCE, algorithmIdentifier(PKCS12_OID.sha256, NULL), encodeTlv(TAG.OCTET_STRING, mac)),
    encodeTlv(TAG.OCTET_STRING, macSalt),
    encodeSmallInteger(iterations),
  );
  // PFX ::= SEQUENCE { version INTEGER {v3(3)}, authSafe ContentInfo, macData MacData OPTIONAL }
  return encodeTlv(TAG.SEQUENCE, encodeSmallInteger(3), dataContentInfo(authenticatedSafe), macData);
}

const NULL = new Uint8Array([TAG.NULL, 0]);
const CONTEXT_0_CONSTRUCTED = 0xa0;
const CONTEXT_0_PRIMITIVE = 0x80;
const BMP_STRING = 0x1e;

function algorithmIdentifier(oid: string, parameters?: Uint8Array): Uint8Array {
  return parameters === undefined ? encodeTlv(TAG.SEQUENCE, encodeOid(oid)) : encodeTlv(TAG.SEQUENCE, encodeOid(oid), parameters);
}

// ContentInfo ::= SEQUENCE { contentType id-data, content [0] EXPLICIT OCTET STRING }
function dataContentInfo(content: Uint8Array): Uint8Array {
  return encodeTlv(TAG.SEQUENCE, encodeOid(PKCS12_OID.data), encodeTlv(CONTEXT_0_CONSTRUCTED, encodeTlv(TAG.OCTET_STRING, content)));
}

// SafeBag ::= SEQUENCE { bagId OID, bagValue [0] EXPLICIT ANY, bagAttributes SET OF PKCS12Attribute OPTIONAL }
function safeBag(bagId: string, value: Uint8Array, attributes?: Uint8Array): Uint8Array {
  const parts = [encodeOid(bagId), encodeTlv(CONTEXT_0_CONSTRUCTED, value)];
  if (attributes !== undefined) parts.push(attributes);
  return encodeTlv(TAG.SEQUENCE, ...parts);
}

// CertBag ::= SEQUENCE { certId x509Certificate, certValue [0] EXPLICIT OCTET STRING (DER certificate) }
function certBag(certificate: Uint8Array): Uint8Array {
  return encodeTlv(TAG.SEQUENCE, encodeOid(PKCS12_OID.x509Certificate), encodeTlv(CONTEXT_0_CONSTRUCTED, encodeTlv(TAG.OCTET_STRING, certificate)));
}

// PKCS12Attribute ::= SEQUENCE { attrId OID, attrValues SET OF ANY }; the SET OF is sorted as DER
// requires (friendlyName 1.2.840.113549.1.9.20 sorts before localKeyId ...9.21).
function bagAttributes(role: string, localKeyId: Uint8Array): Uint8Array {
  const friendlyName = encodeTlv(TAG.SEQUENCE, encodeOid(PKCS12_OID.friendlyName), encodeTlv(TAG.SET, encodeTlv(BMP_STRING, bmpString(role))));
  const keyId = encodeTlv(TAG.SEQUENCE, encodeOid(PKCS12_OID.localKeyId), encodeTlv(TAG.SET, encodeTlv(TAG.OCTET_STRING, localKeyId)));
  return encodeTlv(TAG.SET, friendlyName, keyId);
}

function bmpString(text: string): Uint8Array {
  const out = new Uint8Array(text.length * 2);
  for (let i = 0; i < text.length; i++) {
    out[2 * i] = text.charCodeAt(i) >> 8;
    out[2 * i + 1] = text.charCodeAt(i) & 0xff;
  }
  return out;
}

/*
 * EncryptedPrivateKeyInfo ::= SEQUENCE { encryptionAlgorithm AlgorithmIdentifier {PBES2}, encryptedData OCTET STRING }
 * PBES2-params ::= SEQUENCE { keyDerivationFunc AlgorithmIdentifier {PBKDF2}, encryptionScheme AlgorithmIdentifier }
 * PBKDF2-params ::= SEQUENCE { salt OCTET STRING, iterationCount INTEGER, keyLength INTEGER OPTIONAL,
 *   prf AlgorithmIdentifier DEFAULT hmacWithSHA1 }   (RFC 8018, appendix A.2 and A.4)
 * The password is the UTF-8 passphrase, as OpenSSL passes it to PBKDF2.
 */
async function encryptPbes2(plaintext: Uint8Array, password: Uint8Array, iterations: number): Promise<Uint8Array> {
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const iv = crypto.getRandomValues(new Uint8Array(16));
  const key = await pbkdf2AesKey(password, salt, iterations, 'SHA-256', 256, ['encrypt']);
  const ciphertext = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-CBC', iv }, key, toArrayBufferView(plaintext)));
  const pbkdf2Params = encodeTlv(TAG.SEQUENCE, encodeTlv(TAG.OCTET_STRING, salt), encodeSmallInteger(iterations), algorithmIdentifier(PKCS12_OID.hmacWithSha256, NULL));
  const pbes2Params = encodeTlv(
    TAG.SEQUENCE,
    algorithmIdentifier(PKCS12_OID.pbkdf2, pbkdf2Params),
    algorithmIdentifier(PKCS12_OID.aes256Cbc, encodeTlv(TAG.OCTET_STRING, iv)),
  );
  return encodeTlv(TAG.SEQUENCE, algorithmIdentifier(PKCS12_OID.pbes2, pbes2Params), encodeTlv(TAG.OCTET_STRING, ciphertext));
}

async function pbkdf2AesKey(password: Uint8Array, salt: Uint8Array, iterations: number, hash: Sha2Algorithm | 'SHA-1', bits: number, usages: KeyUsage[]): Promise<CryptoKey> {
  const base = await crypto.subtle.importKey('raw', toArrayBufferView(password), 'PBKDF2', false, ['deriveKey']);
  return crypto.subtle.deriveKey({ name: 'PBKDF2', salt: toArrayBufferView(salt), iterations, hash }, base, { name: 'AES-CBC', length: bits }, false, usages);
}

/**
 * HMAC over the AuthenticatedSafe with a key from the PKCS#12 KDF (RFC 7292, appendix B.2,
 * ID = 3), whose password is the BMPString of the passphrase with two trailing zero bytes.
 */
async function computeMac(hash: Sha2Algorithm, passphrase: string, salt: Uint8Array, iterations: number, data: Uint8Array): Promise<Uint8Array> {
  const password = concatBytes(bmpString(passphrase), new Uint8Array(2));
  const keyBytes = pkcs12Kdf(hash, password, salt, 3, iterations, HASH_SIZES[hash].output);
  password.fill(0);
  try {
    const key = await crypto.subtle.importKey('raw', toArrayBufferView(keyBytes), { name: 'HMAC', hash }, false, ['sign']);
    return new Uint8Array(await crypto.subtle.sign('HMAC', key, toArrayBufferView(data)));
  } finally {
    keyBytes.fill(0);
  }
}

/** Output length u and block length v of each hash, in bytes. */
const HASH_SIZES: Record<Sha2Algorithm, { output: number; block: number }> = {
  'SHA-256': { output: 32, block: 64 },
  'SHA-384': { output: 48, block: 128 },
  'SHA-512': { output: 64, block: 128 },
};

/** Derives key material with the PKCS#12 KDF (RFC 7292, appendix B.2) and a SHA-2 hash. */
function pkcs12Kdf(hash: Sha2Algorithm, password: Uint8Array, salt: Uint8Array, id: number, iterations: number, length: number): Uint8Array {
  const u = HASH_SIZES[hash].output;
  const v = HASH_SIZES[hash].block;
  const repeat = (source: Uint8Array, size: number): Uint8Array => {
    const out = new Uint8Array(size);
    for (let i = 0; i < size; i++) out[i] = source[i % source.length]!;
    return out;
  };
  const diversifier = new Uint8Array(v).fill(id);
  const s = salt.length === 0 ? new Uint8Array() : repeat(salt, v * Math.ceil(salt.length / v));
  const p = password.length === 0 ? new Uint8Array() : repeat(password, v * Math.ceil(password.length / v));
  const input = concatBytes(s, p);
  const out = new Uint8Array(length);
  for (let offset = 0; offset < length; offset += u) {
    const a = sha2Iterate(hash, concatBytes(diversifier, input), iterations);
    out.set(a.subarray(0, Math.min(u, length - offset)), offset);
    // I_j = (I_j + B + 1) mod 2^(8v) for each v-byte block I_j of I, with B = A repeated to v bytes.
    const b = repeat(a, v);
    for (let block = 0; block < input.length; block += v) {
      let carry = 1;
      for (let i = v - 1; i >= 0; i--) {
        const sum = input[block + i]! + b[i]! + carry;
        input[block + i] = sum & 0xff;
        carry = sum >> 8;
      }
    }
  }
  input.fill(0);
  return out;
}

async function sha256(bytes: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', toArrayBufferView(bytes)));
}

// ---------------------------------------------------------------------------------------
// Import

/**
 * Reads a PKCS#12 file written by exportPkcs12 or by `openssl pkcs12 -export` (OpenSSL 3
 * defaults). Throws ProvkitError: 'decrypt-failed' for a wrong passphrase or a MAC that does
 * not verify, 'unsupported' for legacy ciphers (RC2, 3DES), public-key integrity or no MAC,
 * 'malformed' for bad DER, 'oversized' above the size or iteration limits.
 */
export async function importPkcs12(bytes: Uint8Array, passphrase: string, location: ErrorLocation = {}): Promise<Pkcs12Contents> {
  if (bytes.length > MAX_PKCS12_BYTES) throw new ProvkitError('oversized', `the PKCS#12 file is ${bytes.length} bytes, above the limit of ${MAX_PKCS12_BYTES}`, location);
  const at = (field: string): ErrorLocation => ({ ...location, field });

  const pfx = readSequence(bytes, at('PFX'));
  const version = readSmallInteger(expectTag(pfx[0], TAG.INTEGER, 'PFX.version', at('PFX.version')), 'PFX.version', at('PFX.version'));
  if (version !== 3) throw new ProvkitError('bad-version', `PFX version ${version} is not 3`, at('PFX.version'));
  const authenticatedSafe = readDataContentInfo(expectTag(pfx[1], TAG.SEQUENCE, 'PFX.authSafe', at('PFX.authSafe')), at('PFX.authSafe'));
  if (pfx[2] === undefined) {
    throw new ProvkitError('unsupported', 'the PKCS#12 file has no password MAC; provkit reads only password-integrity files', at('PFX.macData'));
  }
  await verifyMac(pfx[2], passphrase, authenticatedSafe, at('PFX.macData'));

  const password = new TextEncoder().encode(passphrase);
  const keys: { pkcs8: Uint8Array; name?: string; localKeyId?: Uint8Array }[] = [];
  const certificates: { der: Uint8Array; name?: string; localKeyId?: Uint8Array }[] = [];
  try {
    const contents = readSequence(authenticatedSafe, at('AuthenticatedSafe'));
    for (const [index, contentInfo] of contents.entries()) {
      const field = `AuthenticatedSafe[${index}]`;
      const safeContents = await readSafeContentsInfo(contentInfo, password, at(field));
      for (const [bagIndex, bag] of readSequence(safeContents, at(`${field}.SafeContents`)).entries()) {
        await readSafeBag(bag, password, at(`${field}.SafeContents[${bagIndex}]`), keys, certificates);
      }
    }
  } finally {
    password.fill(0);
  }

  const used = new Set<number>();
  const result: IdentityKey[] = [];
  for (const [index, entry] of keys.entries()) {
    const { algorithm } = await importPrivateKey(entry.pkcs8, at(`keys[${index}]`));
    const publicBits = subjectPublicKeyBits(await publicKeyOfPkcs8({ pkcs8: entry.pkcs8, algorithm }, at(`keys[${index}]`)), 'spki');
    let match = certificates.findIndex((certificate, position) => !used.has(position) && entry.localKeyId !== undefined && certificate.localKeyId !== undefined && bytesEqual(certificate.localKeyId, entry.localKeyId));
    if (match < 0) match = certificates.findIndex((certificate, position) => !used.has(position) && certificateKeyEquals(certificate.der, publicBits));
    const role = entry.name !== undefined && PATTERNS.role.test(entry.name) ? entry.name : `key-${index + 1}`;
    const key: IdentityKey = { role, algorithm, pkcs8: entry.pkcs8 };
    if (match >= 0) {
      used.add(match);
      key.certificate = certificates[match]!.der;
    }
    result.push(key);
  }
  const rest = certificates.filter((_, position) => !used.has(position)).map((certificate) => certificate.der);
  for (const key of result) if (key.certificate !== undefined && rest.length > 0) key.chain = rest;
  return { keys: result, certificates: rest };
}

function readDataContentInfo(contentInfo: Tlv, location: ErrorLocation): Uint8Array {
  const [type, content] = readChildren(contentInfo.value, location);
  const oid = decodeOid(expectTag(type, TAG.OID, 'ContentInfo.contentType', location).value, location);
  if (oid !== PKCS12_OID.data) throw new ProvkitError('unsupported', `ContentInfo type ${oid} is not id-data; public-key integrity mode is not supported`, location);
  const explicit = expectTag(content, CONTEXT_0_CONSTRUCTED, 'ContentInfo.content', location);
  return expectTag(readSingleTlv(explicit.value, location), TAG.OCTET_STRING, 'ContentInfo.content', location).value;
}

async function verifyMac(macDataTlv: Tlv, passphrase: string, authenticatedSafe: Uint8Array, location: ErrorLocation): Promise<void> {
  const [digestInfo, saltTlv, iterationsTlv] = readChildren(expectTag(macDataTlv, TAG.SEQUENCE, 'MacData', location).value, location);
  const [algorithmTlv, digestTlv] = readChildren(expectTag(digestInfo, TAG.SEQUENCE, 'MacData.mac', location).value, location);
  const oid = decodeOid(expectTag(readChildren(expectTag(algorithmTlv, TAG.SEQUENCE, 'DigestInfo.digestAlgorithm', location).value, location)[0], TAG.OID, 'digestAlgorithm', location).value, location);
  const hash = ({ [PKCS12_OID.sha256]: 'SHA-256', [PKCS12_OID.sha384]: 'SHA-384', [PKCS12_OID.sha512]: 'SHA-512' } as Record<string, Sha2Algorithm>)[oid];
  if (hash === undefined) throw new ProvkitError('unsupported', `MAC digest ${oid} is not supported; re-export with -macalg sha256`, location);
  const salt = expectTag(saltTlv, TAG.OCTET_STRING, 'MacData.macSalt', location).value;
  const iterations = iterationsTlv === undefined ? 1 : readSmallInteger(iterationsTlv, 'MacData.iterations', location);
  checkIterations(iterations, location);
  const expected = expectTag(digestTlv, TAG.OCTET_STRING, 'DigestInfo.digest', location).value;
  const actual = await computeMac(hash, passphrase, salt, iterations, authenticatedSafe);
  if (!bytesEqual(actual, expected)) throw new ProvkitError('decrypt-failed', DECRYPT_FAILED_MESSAGE, { file: location.file });
}

function checkIterations(iterations: number, location: ErrorLocation): void {
  if (iterations < 1 || iterations > PKCS12_MAX_ITERATIONS) {
    throw new ProvkitError('oversized', `iteration count ${iterations} is outside 1 to ${PKCS12_MAX_ITERATIONS}`, location);
  }
}

async function readSafeContentsInfo(contentInfo: Tlv, password: Uint8Array, location: ErrorLocation): Promise<Uint8Array> {
  const [type, content] = readChildren(expectTag(contentInfo, TAG.SEQUENCE, 'ContentInfo', location).value, location);
  const oid = decodeOid(expectTag(type, TAG.OID, 'ContentInfo.contentType', location).value, location);
  if (oid === PKCS12_OID.data) return readDataContentInfo(contentInfo, location);
  if (oid !== PKCS12_OID.encryptedData) throw new ProvkitError('unsupported', `SafeContents in ContentInfo type ${oid} are not supported`, location);
  // EncryptedData ::= SEQUENCE { version INTEGER, encryptedContentInfo EncryptedContentInfo }
  // EncryptedContentInfo ::= SEQUENCE { contentType, contentEncryptionAlgorithm, encryptedContent [0] IMPLICIT OCTET STRING }
  const explicit = expectTag(content, CONTEXT_0_CONSTRUCTED, 'ContentInfo.content', location);
  const [, encryptedContentInfo] = readSequence(explicit.value, location);
  const [, algorithm, encrypted] = readChildren(expectTag(encryptedContentInfo, TAG.SEQUENCE, 'EncryptedContentInfo', location).value, location);
  const ciphertext = expectTag(encrypted, CONTEXT_0_PRIMITIVE, 'EncryptedContentInfo.encryptedContent', location).value;
  return decryptPbes2(expectTag(algorithm, TAG.SEQUENCE, 'contentEncryptionAlgorithm', location), ciphertext, password, location);
}

async function readSafeBag(
  bag: Tlv,
  password: Uint8Array,
  location: ErrorLocation,
  keys: { pkcs8: Uint8Array; name?: string; localKeyId?: Uint8Array }[],
  certificates: { der: Uint8Array; name?: string; localKeyId?: Uint8Array }[],
): Promise<void> {
  const [idTlv, valueTlv, attributesTlv] = readChildren(expectTag(bag, TAG.SEQUENCE, 'SafeBag', location).value, location);
  const bagId = decodeOid(expectTag(idTlv, TAG.OID, 'SafeBag.bagId', location).value, location);
  const value = readSingleTlv(expectTag(valueTlv, CONTEXT_0_CONSTRUCTED, 'SafeBag.bagValue', location).value, location);
  const attributes = attributesTlv === undefined ? {} : readBagAttributes(expectTag(attributesTlv, TAG.SET, 'SafeBag.bagAttributes', location), location);
  switch (bagId) {
    case PKCS12_OID.keyBag:
      keys.push({ pkcs8: value.element, ...attributes });
      return;
    case PKCS12_OID.pkcs8ShroudedKeyBag: {
      const [algorithm, encrypted] = readChildren(expectTag(value, TAG.SEQUENCE, 'EncryptedPrivateKeyInfo', location).value, location);
      const ciphertext = expectTag(encrypted, TAG.OCTET_STRING, 'EncryptedPrivateKeyInfo.encryptedData', location).value;
      keys.push({ pkcs8: await decryptPbes2(expectTag(algorithm, TAG.SEQUENCE, 'encryptionAlgorithm', location), ciphertext, password, location), ...attributes });
      return;
    }
    case PKCS12_OID.certBag: {
      const [certId, certValue] = readChildren(expectTag(value, TAG.SEQUENCE, 'CertBag', location).value, location);
      const type = decodeOid(expectTag(certId, TAG.OID, 'CertBag.certId', location).value, location);
      if (type !== PKCS12_OID.x509Certificate) throw new ProvkitError('unsupported', `certificate type ${type} is not X.509`, location);
      const der = expectTag(readSingleTlv(expectTag(certValue, CONTEXT_0_CONSTRUCTED, 'CertBag.certValue', location).value, location), TAG.OCTET_STRING, 'CertBag.certValue', location).value;
      certificates.push({ der, ...attributes });
      return;
    }
    default:
      // CRL and secret bags carry nothing an identity needs (RFC 7292, section 4.2).
      return;
  }
}

function readBagAttributes(set: Tlv, location: ErrorLocation): { name?: string; localKeyId?: Uint8Array } {
  const result: { name?: string; localKeyId?: Uint8Array } = {};
  for (const attribute of readChildren(set.value, location)) {
    const [idTlv, valuesTlv] = readChildren(expectTag(attribute, TAG.SEQUENCE, 'PKCS12Attribute', location).value, location);
    const oid = decodeOid(expectTag(idTlv, TAG.OID, 'PKCS12Attribute.attrId', location).value, location);
    const first = readChildren(expectTag(valuesTlv, TAG.SET, 'PKCS12Attribute.attrValues', location).value, location)[0];
    if (oid === PKCS12_OID.friendlyName && first?.tag === BMP_STRING && first.value.length % 2 === 0) {
      let name = '';
      for (let i = 0; i < first.value.length; i += 2) name += String.fromCharCode((first.value[i]! << 8) | first.value[i + 1]!);
      result.name = name;
    } else if (oid === PKCS12_OID.localKeyId && first?.tag === TAG.OCTET_STRING) {
      result.localKeyId = first.value;
    }
  }
  return result;
}

const PRF_HASHES: Record<string, 'SHA-1' | Sha2Algorithm> = {
  [PKCS12_OID.hmacWithSha1]: 'SHA-1',
  [PKCS12_OID.hmacWithSha256]: 'SHA-256',
  [PKCS12_OID.hmacWithSha384]: 'SHA-384',
  [PKCS12_OID.hmacWithSha512]: 'SHA-512',
};
const AES_CBC_BITS: Record<string, number> = { [PKCS12_OID.aes128Cbc]: 128, [PKCS12_OID.aes192Cbc]: 192, [PKCS12_OID.aes256Cbc]: 256 };

async function decryptPbes2(algorithm: Tlv, ciphertext: Uint8Array, password: Uint8Array, location: ErrorLocation): Promise<Uint8Array> {
  const [oidTlv, paramsTlv] = readChildren(algorithm.value, location);
  const oid = decodeOid(expectTag(oidTlv, TAG.OID, 'encryptionAlgorithm.algorithm', location).value, location);
  if (oid !== PKCS12_OID.pbes2) {
    throw new ProvkitError('unsupported', `encryption scheme ${oid} is not PBES2 (legacy RC2/3DES files need re-export with OpenSSL 3 defaults)`, location);
  }
  const [kdfTlv, schemeTlv] = readChildren(expectTag(paramsTlv, TAG.SEQUENCE, 'PBES2-params', location).value, location);
  const [kdfOidTlv, kdfParamsTlv] = readChildren(expectTag(kdfTlv, TAG.SEQUENCE, 'keyDerivationFunc', location).value, location);
  const kdfOid = decodeOid(expectTag(kdfOidTlv, TAG.OID, 'keyDerivationFunc.algorithm', location).value, location);
  if (kdfOid !== PKCS12_OID.pbkdf2) throw new ProvkitError('unsupported', `key derivation ${kdfOid} is not PBKDF2`, location);
  const kdfParams = readChildren(expectTag(kdfParamsTlv, TAG.SEQUENCE, 'PBKDF2-params', location).value, location);
  const salt = expectTag(kdfParams[0], TAG.OCTET_STRING, 'PBKDF2-params.salt', location).value;
  const iterations = readSmallInteger(expectTag(kdfParams[1], TAG.INTEGER, 'PBKDF2-params.iterationCount', location), 'iterationCount', location);
  checkIterations(iterations, location);
  let next = 2;
  if (kdfParams[next]?.tag === TAG.INTEGER) next++; // keyLength, implied by the cipher
  let prf: 'SHA-1' | Sha2Algorithm = 'SHA-1';
  if (kdfParams[next] !== undefined) {
    const prfOid = decodeOid(expectTag(readChildren(expectTag(kdfParams[next], TAG.SEQUENCE, 'PBKDF2-params.prf', location).value, location)[0], TAG.OID, 'prf', location).value, location);
    const found = PRF_HASHES[prfOid];
    if (found === undefined) throw new ProvkitError('unsupported', `PBKDF2 PRF ${prfOid} is not supported`, location);
    prf = found;
  }
  const [schemeOidTlv, ivTlv] = readChildren(expectTag(schemeTlv, TAG.SEQUENCE, 'encryptionScheme', location).value, location);
  const schemeOid = decodeOid(expectTag(schemeOidTlv, TAG.OID, 'encryptionScheme.algorithm', location).value, location);
  const bits = AES_CBC_BITS[schemeOid];
  if (bits === undefined) throw new ProvkitError('unsupported', `cipher ${schemeOid} is not AES-CBC`, location);
  const iv = expectTag(ivTlv, TAG.OCTET_STRING, 'encryptionScheme.iv', location).value;
  if (iv.length !== 16) throw new ProvkitError('malformed', 'the AES-CBC IV is not 16 bytes', location);

  const key = await pbkdf2AesKey(password, salt, iterations, prf, bits, ['decrypt']);
  try {
    return new Uint8Array(await crypto.subtle.decrypt({ name: 'AES-CBC', iv: toArrayBufferView(iv) }, key, toArrayBufferView(ciphertext)));
  } catch {
    // The MAC already matched, so a bad padding here means bags under another password.
    throw new ProvkitError('decrypt-failed', DECRYPT_FAILED_MESSAGE, { file: location.file });
  }
}

function certificateKeyEquals(certificate: Uint8Array, publicBits: Uint8Array): boolean {
  try {
    return bytesEqual(subjectPublicKeyBits(certificate, 'certificate'), publicBits);
  } catch {
    return false;
  }
}
