/**
 * The algorithm registry: key algorithm names, key generation, SPKI/PKCS#8 import and export,
 * and the decoding of SubjectPublicKeyInfo and RSASSA-PSS parameters the signature layer uses.
 */
import { ProvkitError, type ErrorLocation } from '../errors.js';
import { toArrayBufferView, toBase64Url, toHex } from './bytes.js';
import {
  TAG,
  decodeOid,
  encodeOid,
  encodeTlv,
  expectTag,
  readChildren,
  readOctetAlignedBitString,
  readSequence,
  readSingleTlv,
  readSmallInteger,
  readUnsignedInteger,
  type Tlv,
} from './tlv.js';

/** Key algorithms provkit generates, signs with and names in every manifest. */
export type KeyAlgorithmName =
  | 'ecdsa-p256'
  | 'ecdsa-p384'
  | 'ed25519'
  | 'rsa-pss-2048'
  | 'rsa-pss-3072'
  | 'rsa-pss-4096'
  | 'rsa-pkcs1-2048'
  | 'rsa-pkcs1-3072'
  | 'rsa-pkcs1-4096';

/** Every KeyAlgorithmName, in the order the UI and CLI list them. */
export const KEY_ALGORITHMS: readonly KeyAlgorithmName[] = [
  'ecdsa-p256',
  'ecdsa-p384',
  'ed25519',
  'rsa-pss-2048',
  'rsa-pss-3072',
  'rsa-pss-4096',
  'rsa-pkcs1-2048',
  'rsa-pkcs1-3072',
  'rsa-pkcs1-4096',
];

/** Returns true when `value` names a supported key algorithm. */
export function isKeyAlgorithmName(value: string): value is KeyAlgorithmName {
  return (KEY_ALGORITHMS as readonly string[]).includes(value);
}

/** Object identifiers of the key, signature and hash algorithms this layer decodes. */
export const ALGORITHM_OID = {
  ecPublicKey: '1.2.840.10045.2.1', // RFC 5480
  secp256r1: '1.2.840.10045.3.1.7',
  secp384r1: '1.3.132.0.34',
  ecdsaWithSha256: '1.2.840.10045.4.3.2', // RFC 5758
  ecdsaWithSha384: '1.2.840.10045.4.3.3',
  ecdsaWithSha512: '1.2.840.10045.4.3.4',
  ed25519: '1.3.101.112', // RFC 8410
  rsaEncryption: '1.2.840.113549.1.1.1', // RFC 8017
  rsassaPss: '1.2.840.113549.1.1.10', // RFC 4055
  mgf1: '1.2.840.113549.1.1.8',
  sha256WithRsaEncryption: '1.2.840.113549.1.1.11',
  sha384WithRsaEncryption: '1.2.840.113549.1.1.12',
  sha512WithRsaEncryption: '1.2.840.113549.1.1.13',
  sha1: '1.3.14.3.2.26',
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  sha512: '2.16.840.1.101.3.4.2.3',
} as const;

/** WebCrypto hash names the verifier accepts. SHA-1 is decoded but reported as unsupported. */
export type HashName = 'SHA-256' | 'SHA-384' | 'SHA-512';

const HASH_BY_OID: Record<string, HashName> = {
  [ALGORITHM_OID.sha256]: 'SHA-256',
  [ALGORITHM_OID.sha384]: 'SHA-384',
  [ALGORITHM_OID.sha512]: 'SHA-512',
};

/** Maps a hash AlgorithmIdentifier OID to its WebCrypto name, or undefined when unsupported. */
export function hashNameOfOid(oid: string): HashName | undefined {
  return HASH_BY_OID[oid];
}

/** The fixed parameters each KeyAlgorithmName signs with. */
export interface AlgorithmProfile {
  family: 'ecdsa' | 'ed25519' | 'rsa-pss' | 'rsa-pkcs1';
  /** Hash used when provkit signs; undefined for Ed25519 (PureEdDSA). */
  hash: HashName | undefined;
  namedCurve?: 'P-256' | 'P-384';
  /** Size in bytes of r and s for ECDSA. */
  fieldSize?: number;
  modulusLength?: number;
  /** RSASSA-PSS salt length in bytes (equal to the hash length). */
  saltLength?: number;
}

/** Signing parameters per algorithm: P-256 SHA-256, P-384 SHA-384, RSA SHA-256 with PSS salt 32. */
export const ALGORITHM_PROFILES: Readonly<Record<KeyAlgorithmName, AlgorithmProfile>> = {
  'ecdsa-p256': { family: 'ecdsa', hash: 'SHA-256', namedCurve: 'P-256', fieldSize: 32 },
  'ecdsa-p384': { family: 'ecdsa', hash: 'SHA-384', namedCurve: 'P-384', fieldSize: 48 },
  ed25519: { family: 'ed25519', hash: undefined },
  'rsa-pss-2048': { family: 'rsa-pss', hash: 'SHA-256', modulusLength: 2048, saltLength: 32 },
  'rsa-pss-3072': { family: 'rsa-pss', hash: 'SHA-256', modulusLength: 3072, saltLength: 32 },
  'rsa-pss-4096': { family: 'rsa-pss', hash: 'SHA-256', modulusLength: 4096, saltLength: 32 },
  'rsa-pkcs1-2048': { family: 'rsa-pkcs1', hash: 'SHA-256', modulusLength: 2048 },
  'rsa-pkcs1-3072': { family: 'rsa-pkcs1', hash: 'SHA-256', modulusLength: 3072 },
  'rsa-pkcs1-4096': { family: 'rsa-pkcs1', hash: 'SHA-256', modulusLength: 4096 },
};

/** Smallest and largest RSA modulus in bits that provkit verifies or imports. */
export const RSA_MODULUS_BITS = { min: 2048, max: 4096 } as const;

const F4 = new Uint8Array([0x01, 0x00, 0x01]);

/** Returns the WebCrypto algorithm that generates or imports a key of `algorithm`. */
export function webCryptoKeyAlgorithm(algorithm: KeyAlgorithmName): RsaHashedImportParams | EcKeyImportParams | Algorithm {
  const profile = ALGORITHM_PROFILES[algorithm];
  switch (profile.family) {
    case 'ecdsa':
      return { name: 'ECDSA', namedCurve: profile.namedCurve! } satisfies EcKeyImportParams;
    case 'ed25519':
      return { name: 'Ed25519' };
    case 'rsa-pss':
      return { name: 'RSA-PSS', hash: profile.hash! } satisfies RsaHashedImportParams;
    case 'rsa-pkcs1':
      return { name: 'RSASSA-PKCS1-v1_5', hash: profile.hash! } satisfies RsaHashedImportParams;
  }
}

/** Generates a key pair for `algorithm`; the private key is extractable so it can be exported to PKCS#8. */
export async function generateKeyPair(algorithm: KeyAlgorithmName): Promise<CryptoKeyPair> {
  const profile = ALGORITHM_PROFILES[algorithm];
  const base = webCryptoKeyAlgorithm(algorithm);
  const params =
    profile.modulusLength === undefined
      ? base
      : ({ ...(base as RsaHashedImportParams), modulusLength: profile.modulusLength, publicExponent: F4 } satisfies RsaHashedKeyGenParams);
  return (await crypto.subtle.generateKey(params, true, ['sign', 'verify'])) as CryptoKeyPair;
}

// AlgorithmIdentifier for an RSASSA-PSS key with no parameters (RFC 4055 section 3.1:
// absent parameters place no restriction on the signature parameters).
const RSASSA_PSS_KEY_ALGORITHM = encodeTlv(TAG.SEQUENCE, encodeOid(ALGORITHM_OID.rsassaPss));

/**
 * Exports the DER SubjectPublicKeyInfo of a public key. RSA-PSS keys get the id-RSASSA-PSS
 * algorithm identifier (RFC 4055) instead of WebCrypto's rsaEncryption, so the SPKI records
 * that the key signs with PSS.
 */
export async function exportSpki(key: CryptoKey): Promise<Uint8Array> {
  const spki = new Uint8Array(await crypto.subtle.exportKey('spki', key));
  if (key.algorithm.name !== 'RSA-PSS') return spki;
  // SubjectPublicKeyInfo ::= SEQUENCE { algorithm AlgorithmIdentifier, subjectPublicKey BIT STRING }
  const [, subjectPublicKey] = readSequence(spki);
  return encodeTlv(TAG.SEQUENCE, RSASSA_PSS_KEY_ALGORITHM, subjectPublicKey!.element);
}

/**
 * Exports the DER PKCS#8 PrivateKeyInfo of a private key. RSA-PSS keys carry id-RSASSA-PSS
 * (as exportSpki does) so importPrivateKey recovers the algorithm without a hint.
 */
export async function exportPkcs8(key: CryptoKey): Promise<Uint8Array> {
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey('pkcs8', key));
  if (key.algorithm.name !== 'RSA-PSS') return pkcs8;
  return replacePkcs8Algorithm(pkcs8, RSASSA_PSS_KEY_ALGORITHM);
}

// PrivateKeyInfo ::= SEQUENCE { version INTEGER, privateKeyAlgorithm AlgorithmIdentifier,
//   privateKey OCTET STRING, attributes [0] IMPLICIT Attributes OPTIONAL, ... }  (RFC 5208, RFC 5958)
function replacePkcs8Algorithm(pkcs8: Uint8Array, algorithm: Uint8Array): Uint8Array {
  const children = readSequence(pkcs8);
  const rest = children.slice(2).map((child) => child.element);
  return encodeTlv(TAG.SEQUENCE, children[0]!.element, algorithm, ...rest);
}

/** A decoded AlgorithmIdentifier: the OID and the raw parameters element, if any. */
export interface AlgorithmIdentifier {
  oid: string;
  parameters: Tlv | undefined;
}

/**
 * AlgorithmIdentifier ::= SEQUENCE { algorithm OBJECT IDENTIFIER, parameters ANY OPTIONAL }
 * (RFC 5280 section 4.1.1.2). Throws ProvkitError('malformed').
 */
export function parseAlgorithmIdentifier(der: Uint8Array, location: ErrorLocation = {}): AlgorithmIdentifier {
  const children = readSequence(der, location);
  const oid = decodeOid(expectTag(children[0], TAG.OID, 'AlgorithmIdentifier.algorithm', location).value, location);
  if (children.length > 2) throw new ProvkitError('malformed', 'AlgorithmIdentifier has extra fields', location);
  return { oid, parameters: children[1] };
}

/** Decoded RSASSA-PSS-params with defaults applied; hash OIDs are kept so SHA-1 can be reported as unsupported. */
export interface RsaPssParameters {
  hashOid: string;
  maskGenOid: string;
  maskGenHashOid: string;
  saltLength: number;
  trailerField: number;
}

/**
 * RSASSA-PSS-params ::= SEQUENCE {
 *   hashAlgorithm    [0] HashAlgorithm    DEFAULT sha1,
 *   maskGenAlgorithm [1] MaskGenAlgorithm DEFAULT mgf1SHA1,
 *   saltLength       [2] INTEGER          DEFAULT 20,
 *   trailerField     [3] TrailerField     DEFAULT trailerFieldBC }   (RFC 8017 appendix A.2.3)
 * Throws ProvkitError('malformed') when the fields are out of order or badly encoded.
 */
export function parseRsaPssParameters(parameters: Tlv, location: ErrorLocation = {}): RsaPssParameters {
  if (parameters.tag !== TAG.SEQUENCE) throw new ProvkitError('malformed', 'RSASSA-PSS-params is not a SEQUENCE', location);
  const result: RsaPssParameters = {
    hashOid: ALGORITHM_OID.sha1,
    maskGenOid: ALGORITHM_OID.mgf1,
    maskGenHashOid: ALGORITHM_OID.sha1,
    saltLength: 20,
    trailerField: 1,
  };
  let lastTag = -1;
  for (const field of readChildren(parameters.value, location)) {
    if (field.tagClass !== 2 || !field.constructed || field.tagNumber > 3 || field.tagNumber <= lastTag) {
      throw new ProvkitError('malformed', 'RSASSA-PSS-params has an unexpected or misordered field', location);
    }
    lastTag = field.tagNumber;
    const inner = readSingleTlv(field.value, location);
    switch (field.tagNumber) {
      case 0:
        result.hashOid = parseHashAlgorithm(inner.element, location);
        break;
      case 1: {
        const mgf = parseAlgorithmIdentifier(inner.element, location);
        result.maskGenOid = mgf.oid;
        if (mgf.oid === ALGORITHM_OID.mgf1) {
          if (mgf.parameters === undefined) throw new ProvkitError('malformed', 'MGF1 parameters are missing', location);
          result.maskGenHashOid = parseHashAlgorithm(mgf.parameters.element, location);
        }
        break;
      }
      case 2:
        result.saltLength = readSmallInteger(inner, 'RSASSA-PSS-params.saltLength', location);
        break;
      case 3:
        result.trailerField = readSmallInteger(inner, 'RSASSA-PSS-params.trailerField', location);
        break;
    }
  }
  return result;
}

// HashAlgorithm parameters are NULL or absent (RFC 5754 section 2 allows both).
function parseHashAlgorithm(der: Uint8Array, location: ErrorLocation): string {
  const algorithm = parseAlgorithmIdentifier(der, location);
  if (algorithm.parameters !== undefined && !(algorithm.parameters.tag === TAG.NULL && algorithm.parameters.value.length === 0)) {
    throw new ProvkitError('malformed', 'hash AlgorithmIdentifier parameters must be NULL or absent', location);
  }
  return algorithm.oid;
}

const NAMED_CURVE_BY_OID: Record<string, 'P-256' | 'P-384'> = {
  [ALGORITHM_OID.secp256r1]: 'P-256',
  [ALGORITHM_OID.secp384r1]: 'P-384',
};

/** A decoded SubjectPublicKeyInfo, by key type. */
export type PublicKeyInfo =
  | { kind: 'ec'; curveOid: string; namedCurve: 'P-256' | 'P-384' | undefined; point: Uint8Array }
  | { kind: 'ed25519'; publicKey: Uint8Array }
  | {
      kind: 'rsa';
      modulus: Uint8Array;
      publicExponent: Uint8Array;
      modulusBits: number;
      /** True for id-RSASSA-PSS keys, false for rsaEncryption. */
      pss: boolean;
      /** Restrictions of an id-RSASSA-PSS key (RFC 4055 section 3.1), when present. */
      pssParameters: RsaPssParameters | undefined;
    }
  | { kind: 'unknown'; algorithmOid: string };

/**
 * SubjectPublicKeyInfo ::= SEQUENCE { algorithm AlgorithmIdentifier, subjectPublicKey BIT STRING }
 * (RFC 5280 section 4.1). Keys of other algorithms decode as kind 'unknown'.
 * Throws ProvkitError('malformed') on bad DER or a key that does not match its algorithm.
 */
export function parseSubjectPublicKeyInfo(spki: Uint8Array, location: ErrorLocation = {}): PublicKeyInfo {
  const children = readSequence(spki, location);
  if (children.length !== 2) throw new ProvkitError('malformed', 'SubjectPublicKeyInfo must have two fields', location);
  const algorithm = parseAlgorithmIdentifier(expectTag(children[0], TAG.SEQUENCE, 'SubjectPublicKeyInfo.algorithm', location).element, location);
  const keyBits = readOctetAlignedBitString(children[1]!, 'SubjectPublicKeyInfo.subjectPublicKey', location);

  switch (algorithm.oid) {
    case ALGORITHM_OID.ecPublicKey: {
      // ECParameters ::= CHOICE { namedCurve OID, implicitCurve NULL, specifiedCurve SEQUENCE };
      // RFC 5480 allows only namedCurve, so the other two decode as an unsupported curve.
      if (algorithm.parameters?.tag !== TAG.OID) return { kind: 'unknown', algorithmOid: `${algorithm.oid} (non-named curve)` };
      const curveOid = decodeOid(algorithm.parameters.value, location);
      return { kind: 'ec', curveOid, namedCurve: NAMED_CURVE_BY_OID[curveOid], point: keyBits };
    }
    case ALGORITHM_OID.ed25519:
      // RFC 8410 section 3: the parameters MUST be absent.
      if (algorithm.parameters !== undefined) throw new ProvkitError('malformed', 'Ed25519 key algorithm parameters must be absent', location);
      if (keyBits.length !== 32) throw new ProvkitError('malformed', `Ed25519 public key is ${keyBits.length} bytes, expected 32`, location);
      return { kind: 'ed25519', publicKey: keyBits };
    case ALGORITHM_OID.rsaEncryption:
    case ALGORITHM_OID.rsassaPss: {
      const pss = algorithm.oid === ALGORITHM_OID.rsassaPss;
      let pssParameters: RsaPssParameters | undefined;
      if (pss) {
        if (algorithm.parameters !== undefined) pssParameters = parseRsaPssParameters(algorithm.parameters, location);
      } else if (algorithm.parameters === undefined || algorithm.parameters.tag !== TAG.NULL || algorithm.parameters.value.length !== 0) {
        // RFC 3279 section 2.3.1: rsaEncryption parameters MUST be NULL.
        throw new ProvkitError('malformed', 'rsaEncryption key algorithm parameters must be NULL', location);
      }
      // RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }
      const fields = readSequence(keyBits, location);
      if (fields.length !== 2) throw new ProvkitError('malformed', 'RSAPublicKey must have two fields', location);
      const modulus = readUnsignedInteger(fields[0]!, 'RSAPublicKey.modulus', location);
      const publicExponent = readUnsignedInteger(fields[1]!, 'RSAPublicKey.publicExponent', location);
      return { kind: 'rsa', modulus, publicExponent, modulusBits: bitLength(modulus), pss, pssParameters };
    }
    default:
      return { kind: 'unknown', algorithmOid: algorithm.oid };
  }
}

function bitLength(magnitude: Uint8Array): number {
  let start = 0;
  while (start < magnitude.length && magnitude[start] === 0) start++;
  if (start === magnitude.length) return 0;
  return (magnitude.length - start - 1) * 8 + (32 - Math.clz32(magnitude[start]!));
}

/** Returns the provkit algorithm of an SPKI, or undefined for unsupported or malformed keys. */
export function keyAlgorithmOfSpki(spki: Uint8Array): KeyAlgorithmName | undefined {
  let info: PublicKeyInfo;
  try {
    info = parseSubjectPublicKeyInfo(spki);
  } catch {
    return undefined;
  }
  return keyAlgorithmOfPublicKeyInfo(info);
}

/** Maps a decoded SPKI to a provkit algorithm name: rsaEncryption keys map to rsa-pkcs1, id-RSASSA-PSS keys to rsa-pss. */
export function keyAlgorithmOfPublicKeyInfo(info: PublicKeyInfo): KeyAlgorithmName | undefined {
  switch (info.kind) {
    case 'ec':
      if (info.namedCurve === 'P-256') return 'ecdsa-p256';
      if (info.namedCurve === 'P-384') return 'ecdsa-p384';
      return undefined;
    case 'ed25519':
      return 'ed25519';
    case 'rsa': {
      if (info.modulusBits !== 2048 && info.modulusBits !== 3072 && info.modulusBits !== 4096) return undefined;
      return `${info.pss ? 'rsa-pss' : 'rsa-pkcs1'}-${info.modulusBits}` as KeyAlgorithmName;
    }
    case 'unknown':
      return undefined;
  }
}

/** Returns the lowercase hex SHA-256 of the DER SPKI. */
export async function spkiFingerprint(spki: Uint8Array): Promise<string> {
  return toHex(new Uint8Array(await crypto.subtle.digest('SHA-256', toArrayBufferView(spki))));
}

/**
 * Imports an SPKI as a WebCrypto verification key for `algorithm` (which fixes the hash for RSA).
 * Goes through raw points and JWK so id-RSASSA-PSS keys import too.
 * Throws ProvkitError('unsupported') for other key types, 'malformed' for bad keys.
 */
export async function importPublicKey(spki: Uint8Array, algorithm: RsaHashedImportParams | EcKeyImportParams | Algorithm, location: ErrorLocation = {}): Promise<CryptoKey> {
  const info = parseSubjectPublicKeyInfo(spki, location);
  try {
    switch (info.kind) {
      case 'ec':
        if (info.namedCurve === undefined) break;
        return await crypto.subtle.importKey('raw', toArrayBufferView(info.point), { name: 'ECDSA', namedCurve: info.namedCurve }, true, ['verify']);
      case 'ed25519':
        return await crypto.subtle.importKey('raw', toArrayBufferView(info.publicKey), { name: 'Ed25519' }, true, ['verify']);
      case 'rsa': {
        const jwk: JsonWebKey = { kty: 'RSA', n: toBase64Url(info.modulus), e: toBase64Url(info.publicExponent), ext: true };
        return await crypto.subtle.importKey('jwk', jwk, algorithm, true, ['verify']);
      }
      case 'unknown':
        break;
    }
  } catch (error) {
    throw new ProvkitError('malformed', 'the public key is not a valid point or RSA key', location, { cause: error });
  }
  throw new ProvkitError('unsupported', 'the public key algorithm is not supported', location);
}

/**
 * Imports a DER PKCS#8 private key (extractable, for signing) and detects its algorithm from
 * the AlgorithmIdentifier and modulus size. An rsaEncryption key carries no PSS or PKCS#1
 * marker, so `hint` decides; without a hint it is treated as rsa-pkcs1.
 * Throws ProvkitError('malformed') or ('unsupported').
 */
export async function importPrivateKey(
  pkcs8: Uint8Array,
  location: ErrorLocation = {},
  hint?: KeyAlgorithmName,
): Promise<{ privateKey: CryptoKey; algorithm: KeyAlgorithmName }> {
  const children = readSequence(pkcs8, location);
  const version = readSmallInteger(expectTag(children[0], TAG.INTEGER, 'PrivateKeyInfo.version', location), 'PrivateKeyInfo.version', location);
  if (version > 1) throw new ProvkitError('bad-version', `PrivateKeyInfo version ${version} is not 0 or 1`, location);
  const algorithm = parseAlgorithmIdentifier(expectTag(children[1], TAG.SEQUENCE, 'PrivateKeyInfo.privateKeyAlgorithm', location).element, location);
  const privateKey = expectTag(children[2], TAG.OCTET_STRING, 'PrivateKeyInfo.privateKey', location);

  let name: KeyAlgorithmName;
  let importBytes = pkcs8;
  switch (algorithm.oid) {
    case ALGORITHM_OID.ecPublicKey: {
      const curveOid = algorithm.parameters?.tag === TAG.OID ? decodeOid(algorithm.parameters.value, location) : undefined;
      if (curveOid === ALGORITHM_OID.secp256r1) name = 'ecdsa-p256';
      else if (curveOid === ALGORITHM_OID.secp384r1) name = 'ecdsa-p384';
      else throw new ProvkitError('unsupported', `EC private key curve ${curveOid ?? '(not named)'} is not supported; use P-256 or P-384`, location);
      break;
    }
    case ALGORITHM_OID.ed25519:
      name = 'ed25519';
      break;
    case ALGORITHM_OID.rsaEncryption:
    case ALGORITHM_OID.rsassaPss: {
      // RSAPrivateKey ::= SEQUENCE { version, modulus, publicExponent, ... } (RFC 8017 A.1.2)
      const rsaFields = readSequence(privateKey.value, location);
      const bits = bitLength(readUnsignedInteger(rsaFields[1] ?? privateKey, 'RSAPrivateKey.modulus', location));
      if (bits !== 2048 && bits !== 3072 && bits !== 4096) {
        throw new ProvkitError('unsupported', `RSA key of ${bits} bits is not supported; use 2048, 3072 or 4096`, location);
      }
      const family = algorithm.oid === ALGORITHM_OID.rsassaPss ? 'rsa-pss' : hint?.startsWith('rsa-pss') ? 'rsa-pss' : 'rsa-pkcs1';
      name = `${family}-${bits}` as KeyAlgorithmName;
      if (algorithm.oid === ALGORITHM_OID.rsassaPss) {
        // WebCrypto imports RSA keys only under rsaEncryption; the key material is identical.
        importBytes = replacePkcs8Algorithm(pkcs8, encodeTlv(TAG.SEQUENCE, encodeOid(ALGORITHM_OID.rsaEncryption), new Uint8Array([TAG.NULL, 0])));
      }
      break;
    }
    default:
      throw new ProvkitError('unsupported', `private key algorithm ${algorithm.oid} is not supported`, location);
  }

  try {
    const key = await crypto.subtle.importKey('pkcs8', toArrayBufferView(importBytes), webCryptoKeyAlgorithm(name), true, ['sign']);
    return { privateKey: key, algorithm: name };
  } catch (error) {
    throw new ProvkitError('malformed', `the ${name} private key could not be imported; check that the PKCS#8 data is intact`, location, { cause: error });
  }
}
