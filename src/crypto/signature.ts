/**
 * Signing and verification over WebCrypto with X.509/CMS encodings: AlgorithmIdentifiers for
 * each provkit algorithm, DER ECDSA-Sig-Value <-> IEEE P1363 conversion, and a verifier that
 * maps every outcome to 'valid', 'invalid' or 'unsupported' instead of throwing.
 */
import { ProvkitError } from '../errors.js';
import {
  ALGORITHM_OID,
  ALGORITHM_PROFILES,
  RSA_MODULUS_BITS,
  hashNameOfOid,
  importPublicKey,
  parseAlgorithmIdentifier,
  parseRsaPssParameters,
  parseSubjectPublicKeyInfo,
  type HashName,
  type KeyAlgorithmName,
  type PublicKeyInfo,
} from './algorithms.js';
import { toArrayBufferView, toHex } from './bytes.js';
import { TAG, concatBytes, encodeOid, encodeSmallInteger, encodeTlv, encodeUnsignedInteger, readChildren, readSingleTlv } from './tlv.js';

/** Result of a signature check. 'unsupported' means provkit cannot decide, never that the signature is bad. */
export type VerifyOutcome = 'valid' | 'invalid' | 'unsupported';

const NULL_PARAMETERS = new Uint8Array([TAG.NULL, 0x00]);


/**
 * Returns the DER AlgorithmIdentifier provkit writes into certificates, CSRs and CMS for
 * signatures by `algorithm`. ECDSA (RFC 5758) and Ed25519 (RFC 8410) have no parameters, RSA
 * PKCS#1 has NULL (RFC 4055). RSASSA-PSS has explicit SHA-256 parameters whose hash
 * identifiers carry NULL, as RFC 4055 section 6 writes sha256Identifier.
 */
export function signatureAlgorithmIdentifier(algorithm: KeyAlgorithmName): Uint8Array {
  const profile = ALGORITHM_PROFILES[algorithm];
  switch (profile.family) {
    case 'ecdsa':
      return encodeTlv(TAG.SEQUENCE, encodeOid(profile.hash === 'SHA-384' ? ALGORITHM_OID.ecdsaWithSha384 : ALGORITHM_OID.ecdsaWithSha256));
    case 'ed25519':
      return encodeTlv(TAG.SEQUENCE, encodeOid(ALGORITHM_OID.ed25519));
    case 'rsa-pss':
      return rsaPssAlgorithmIdentifier(profile.hash!, profile.saltLength!);
    case 'rsa-pkcs1':
      return encodeTlv(TAG.SEQUENCE, encodeOid(ALGORITHM_OID.sha256WithRsaEncryption), NULL_PARAMETERS);
  }
}

const HASH_OID: Record<HashName, string> = { 'SHA-256': ALGORITHM_OID.sha256, 'SHA-384': ALGORITHM_OID.sha384, 'SHA-512': ALGORITHM_OID.sha512 };

/**
 * Encodes an RSASSA-PSS AlgorithmIdentifier with MGF1 over the same hash and the given salt
 * length (RFC 4055 section 3.1). The trailer field keeps its default.
 */
export function rsaPssAlgorithmIdentifier(hash: HashName, saltLength: number): Uint8Array {
  const hashIdentifier = encodeTlv(TAG.SEQUENCE, encodeOid(HASH_OID[hash]), NULL_PARAMETERS);
  return encodeTlv(
    TAG.SEQUENCE,
    encodeOid(ALGORITHM_OID.rsassaPss),
    encodeTlv(
      TAG.SEQUENCE,
      encodeTlv(0xa0, hashIdentifier),
      encodeTlv(0xa1, encodeTlv(TAG.SEQUENCE, encodeOid(ALGORITHM_OID.mgf1), hashIdentifier)),
      encodeTlv(0xa2, encodeSmallInteger(saltLength)),
    ),
  );
}

/**
 * Signs `data` and returns the signature in its X.509/CMS encoding (DER ECDSA-Sig-Value for
 * ECDSA, raw bytes otherwise). Throws whatever WebCrypto throws for a key of another type.
 */
export async function sign(privateKey: CryptoKey, algorithm: KeyAlgorithmName, data: Uint8Array): Promise<Uint8Array> {
  const profile = ALGORITHM_PROFILES[algorithm];
  const bytes = toArrayBufferView(data);
  switch (profile.family) {
    case 'ecdsa':
      return ecdsaP1363ToDer(new Uint8Array(await crypto.subtle.sign({ name: 'ECDSA', hash: profile.hash! }, privateKey, bytes)));
    case 'ed25519':
      return new Uint8Array(await crypto.subtle.sign({ name: 'Ed25519' }, privateKey, bytes));
    case 'rsa-pss':
      return new Uint8Array(await crypto.subtle.sign({ name: 'RSA-PSS', saltLength: profile.saltLength! }, privateKey, bytes));
    case 'rsa-pkcs1':
      return new Uint8Array(await crypto.subtle.sign({ name: 'RSASSA-PKCS1-v1_5' }, privateKey, bytes));
  }
}

/**
 * A signature algorithm decoded from its AlgorithmIdentifier, or the reason it cannot be
 * used: 'unsupported' for algorithms provkit does not implement, 'invalid' for bad encodings.
 */
export type SignatureScheme =
  | { family: 'ecdsa'; hash: HashName }
  | { family: 'ed25519' }
  | { family: 'rsa-pkcs1'; hash: HashName }
  | { family: 'rsa-pss'; hash: HashName; saltLength: number }
  | { family: 'unsupported'; reason: string }
  | { family: 'invalid'; reason: string };

const SIGNATURE_HASH: Record<string, HashName> = {
  [ALGORITHM_OID.ecdsaWithSha256]: 'SHA-256',
  [ALGORITHM_OID.ecdsaWithSha384]: 'SHA-384',
  [ALGORITHM_OID.ecdsaWithSha512]: 'SHA-512',
  [ALGORITHM_OID.sha256WithRsaEncryption]: 'SHA-256',
  [ALGORITHM_OID.sha384WithRsaEncryption]: 'SHA-384',
  [ALGORITHM_OID.sha512WithRsaEncryption]: 'SHA-512',
};

/** Decodes a signature AlgorithmIdentifier into a scheme. Bad encodings give family 'invalid' instead of an exception. */
export function parseSignatureAlgorithm(der: Uint8Array): SignatureScheme {
  let oid: string;
  let parameters;
  try {
    ({ oid, parameters } = parseAlgorithmIdentifier(der));
  } catch (error) {
    return { family: 'invalid', reason: error instanceof Error ? error.message : 'bad AlgorithmIdentifier' };
  }
  const isNull = parameters !== undefined && parameters.tag === TAG.NULL && parameters.value.length === 0;

  switch (oid) {
    case ALGORITHM_OID.ecdsaWithSha256:
    case ALGORITHM_OID.ecdsaWithSha384:
    case ALGORITHM_OID.ecdsaWithSha512: {
      // RFC 5758 section 3.2: the parameters field MUST be absent.
      if (parameters !== undefined) return { family: 'invalid', reason: 'ECDSA signature algorithm parameters must be absent' };
      return { family: 'ecdsa', hash: SIGNATURE_HASH[oid]! };
    }
    case ALGORITHM_OID.ed25519:
      if (parameters !== undefined) return { family: 'invalid', reason: 'Ed25519 signature algorithm parameters must be absent' };
      return { family: 'ed25519' };
    case ALGORITHM_OID.sha256WithRsaEncryption:
    case ALGORITHM_OID.sha384WithRsaEncryption:
    case ALGORITHM_OID.sha512WithRsaEncryption: {
      // RFC 4055 section 5 requires NULL, but absent parameters are accepted because some encoders omit them.
      if (parameters !== undefined && !isNull) return { family: 'invalid', reason: 'RSA PKCS#1 signature algorithm parameters must be NULL' };
      return { family: 'rsa-pkcs1', hash: SIGNATURE_HASH[oid]! };
    }
    case ALGORITHM_OID.rsassaPss: {
      if (parameters === undefined) return { family: 'invalid', reason: 'RSASSA-PSS signature algorithm parameters are missing' };
      let pss;
      try {
        pss = parseRsaPssParameters(parameters);
      } catch (error) {
        return { family: 'invalid', reason: error instanceof Error ? error.message : 'bad RSASSA-PSS-params' };
      }
      const hash = hashNameOfOid(pss.hashOid);
      if (hash === undefined) return { family: 'unsupported', reason: `RSASSA-PSS hash ${pss.hashOid} is not supported; use SHA-256, SHA-384 or SHA-512` };
      if (pss.maskGenOid !== ALGORITHM_OID.mgf1) return { family: 'unsupported', reason: `mask generation function ${pss.maskGenOid} is not supported` };
      // WebCrypto's RSA-PSS always uses MGF1 with the message hash.
      if (pss.maskGenHashOid !== pss.hashOid) return { family: 'unsupported', reason: 'RSASSA-PSS with an MGF1 hash different from the message hash is not supported' };
      if (pss.trailerField !== 1) return { family: 'invalid', reason: `RSASSA-PSS trailerField ${pss.trailerField} is not 1` };
      return { family: 'rsa-pss', hash, saltLength: pss.saltLength };
    }
    default:
      return { family: 'unsupported', reason: `signature algorithm ${oid} is not supported` };
  }
}

// Imported verification keys, keyed by algorithm and the exact SPKI bytes, so a batch of files
// signed by the same certificate imports each key once. A key enters the cache on its second
// use: every request also brings one-off CSR keys, and caching those would only push out the
// signer's key and keep short-lived CryptoKeys alive. Both maps drop the least recently used
// entry first.
const KEY_CACHE_LIMIT = 256;
const keyCache = new Map<string, Promise<CryptoKey>>();
const seenOnce = new Map<string, true>();

function touch<V>(map: Map<string, V>, key: string, value: V): void {
  // Map iteration follows insertion order, so re-inserting marks the entry as recently used.
  map.delete(key);
  if (map.size >= KEY_CACHE_LIMIT) map.delete(map.keys().next().value!);
  map.set(key, value);
}

function cachedPublicKey(spki: Uint8Array, importParams: RsaHashedImportParams | EcKeyImportParams | Algorithm, cacheTag: string): Promise<CryptoKey> {
  const cacheKey = `${cacheTag}:${toHex(spki)}`;
  let key = keyCache.get(cacheKey);
  if (key !== undefined) {
    touch(keyCache, cacheKey, key);
    return key;
  }
  key = importPublicKey(spki, importParams);
  if (seenOnce.delete(cacheKey)) {
    touch(keyCache, cacheKey, key);
    // A failed import is not remembered, so a transient failure does not stick.
    key.catch(() => keyCache.delete(cacheKey));
  } else {
    touch(seenOnce, cacheKey, true);
  }
  return key;
}

/**
 * Verifies `signatureValue` (X.509/CMS encoding) over `data` with the key in `spki` under the
 * DER AlgorithmIdentifier `signatureAlgorithm`. Returns instead of throwing: bad encodings,
 * mismatched keys and out-of-range values give 'invalid', and algorithms, curves, hashes and
 * key sizes provkit does not implement give 'unsupported' (a fuzz test checks this).
 */
export async function verifySignature(
  spki: Uint8Array,
  signatureAlgorithm: Uint8Array,
  data: Uint8Array,
  signatureValue: Uint8Array,
): Promise<VerifyOutcome> {
  const scheme = parseSignatureAlgorithm(signatureAlgorithm);
  if (scheme.family === 'unsupported') return 'unsupported';
  if (scheme.family === 'invalid') return 'invalid';

  let key: PublicKeyInfo;
  try {
    key = parseSubjectPublicKeyInfo(spki);
  } catch {
    return 'invalid';
  }
  if (key.kind === 'unknown') return 'unsupported';

  try {
    switch (scheme.family) {
      case 'ecdsa': {
        if (key.kind !== 'ec') return 'invalid';
        if (key.namedCurve === undefined) return 'unsupported';
        const fieldSize = key.namedCurve === 'P-256' ? 32 : 48;
        let p1363: Uint8Array;
        try {
          p1363 = ecdsaDerToP1363(signatureValue, fieldSize);
        } catch {
          return 'invalid';
        }
        const publicKey = await cachedPublicKey(spki, { name: 'ECDSA', namedCurve: key.namedCurve }, 'ecdsa');
        return outcome(await crypto.subtle.verify({ name: 'ECDSA', hash: scheme.hash }, publicKey, toArrayBufferView(p1363), toArrayBufferView(data)));
      }
      case 'ed25519': {
        if (key.kind !== 'ed25519') return 'invalid';
        if (signatureValue.length !== 64) return 'invalid';
        const publicKey = await cachedPublicKey(spki, { name: 'Ed25519' }, 'ed25519');
        return outcome(await crypto.subtle.verify({ name: 'Ed25519' }, publicKey, toArrayBufferView(signatureValue), toArrayBufferView(data)));
      }
      case 'rsa-pkcs1':
      case 'rsa-pss': {
        if (key.kind !== 'rsa') return 'invalid';
        if (key.modulusBits < RSA_MODULUS_BITS.min || key.modulusBits > RSA_MODULUS_BITS.max) return 'unsupported';
        // An RSASSA-PSS key may only sign with PSS (RFC 4055 section 1.2).
        if (key.pss && scheme.family !== 'rsa-pss') return 'invalid';
        // RFC 8017 section 8.1.2 step 1 and 8.2.2 step 1: the signature is exactly k octets.
        if (signatureValue.length !== Math.ceil(key.modulusBits / 8)) return 'invalid';
        if (scheme.family === 'rsa-pss') {
          const restriction = key.pssParameters;
          if (restriction !== undefined) {
            // RFC 4055 section 3.3: the signature must use the key's hash and MGF and at least its salt length.
            if (hashNameOfOid(restriction.hashOid) !== scheme.hash || restriction.maskGenHashOid !== restriction.hashOid) return 'invalid';
            if (scheme.saltLength < restriction.saltLength) return 'invalid';
          }
          const publicKey = await cachedPublicKey(spki, { name: 'RSA-PSS', hash: scheme.hash }, `pss-${scheme.hash}`);
          const params: RsaPssParams = { name: 'RSA-PSS', saltLength: scheme.saltLength };
          return outcome(await crypto.subtle.verify(params, publicKey, toArrayBufferView(signatureValue), toArrayBufferView(data)));
        }
        const publicKey = await cachedPublicKey(spki, { name: 'RSASSA-PKCS1-v1_5', hash: scheme.hash }, `pkcs1-${scheme.hash}`);
        return outcome(await crypto.subtle.verify({ name: 'RSASSA-PKCS1-v1_5' }, publicKey, toArrayBufferView(signatureValue), toArrayBufferView(data)));
      }
    }
  } catch (error) {
    // A key provkit cannot import (an unsupported exponent, for example) cannot be judged.
    if (error instanceof ProvkitError && error.code === 'unsupported') return 'unsupported';
    // A point not on the curve, a modulus WebCrypto rejects, or a verify() that throws on
    // a value out of range: the signature cannot be valid.
    return 'invalid';
  }
}

function outcome(verified: boolean): VerifyOutcome {
  return verified ? 'valid' : 'invalid';
}

/**
 * Converts a DER ECDSA-Sig-Value to IEEE P1363 `r || s`, each left-padded to `fieldSize` bytes.
 *   ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER }   (RFC 3279 section 2.2.3)
 * Throws ProvkitError('malformed') for non-DER encodings (long or indefinite lengths,
 * non-minimal INTEGERs, trailing bytes) and ('signature-invalid') for negative or oversized values.
 */
export function ecdsaDerToP1363(der: Uint8Array, fieldSize: number): Uint8Array {
  const sequence = readSingleTlv(der, { field: 'ECDSA-Sig-Value' });
  if (sequence.tag !== TAG.SEQUENCE) throw new ProvkitError('malformed', 'ECDSA-Sig-Value is not a SEQUENCE', { field: 'ECDSA-Sig-Value' });
  const integers = readChildren(sequence.value, { field: 'ECDSA-Sig-Value' });
  if (integers.length !== 2) throw new ProvkitError('malformed', `ECDSA-Sig-Value has ${integers.length} fields, expected 2`, { field: 'ECDSA-Sig-Value' });

  const out = new Uint8Array(2 * fieldSize);
  integers.forEach((integer, index) => {
    const field = index === 0 ? 'ECDSA-Sig-Value.r' : 'ECDSA-Sig-Value.s';
    if (integer.tag !== TAG.INTEGER) throw new ProvkitError('malformed', `${field} is not an INTEGER`, { field });
    const value = integer.value;
    if (value.length === 0) throw new ProvkitError('malformed', `${field} is empty`, { field });
    if (value.length > 1 && value[0] === 0x00 && (value[1]! & 0x80) === 0) {
      throw new ProvkitError('malformed', `${field} has a non-minimal encoding (leading zero byte)`, { field });
    }
    if (value.length > 1 && value[0] === 0xff && (value[1]! & 0x80) !== 0) {
      throw new ProvkitError('malformed', `${field} has a non-minimal encoding (leading 0xff byte)`, { field });
    }
    if ((value[0]! & 0x80) !== 0) throw new ProvkitError('signature-invalid', `${field} is negative`, { field });
    const magnitude = value[0] === 0x00 && value.length > 1 ? value.subarray(1) : value;
    if (magnitude.length > fieldSize) {
      throw new ProvkitError('signature-invalid', `${field} is ${magnitude.length} bytes, longer than the ${fieldSize}-byte field`, { field });
    }
    out.set(magnitude, index * fieldSize + fieldSize - magnitude.length);
  });
  return out;
}

/**
 * Converts an IEEE P1363 `r || s` signature (as WebCrypto returns) to a DER ECDSA-Sig-Value
 * with minimal INTEGERs. With `fieldSize`, the input must be exactly twice that long.
 * Throws ProvkitError('signature-invalid') for an empty, odd or wrong length.
 */
export function ecdsaP1363ToDer(p1363: Uint8Array, fieldSize?: number): Uint8Array {
  if (p1363.length === 0 || p1363.length % 2 !== 0 || (fieldSize !== undefined && p1363.length !== 2 * fieldSize)) {
    const expected = fieldSize === undefined ? 'an even, non-zero length' : `${2 * fieldSize} bytes`;
    throw new ProvkitError('signature-invalid', `a P1363 ECDSA signature must have ${expected}; got ${p1363.length} bytes`);
  }
  const half = p1363.length / 2;
  return encodeTlv(TAG.SEQUENCE, concatBytes(encodeUnsignedInteger(p1363.subarray(0, half)), encodeUnsignedInteger(p1363.subarray(half))));
}
