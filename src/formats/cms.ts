/**
 * CMS SignedData (RFC 5652) as provkit writes and reads it: DER, attached content and one
 * signer identified by issuerAndSerialNumber. The signed attributes are contentType,
 * messageDigest, signingTime and CMSAlgorithmProtection (RFC 6211). The degenerate certs-only
 * form serves the TrustStore. The reader keeps the exact received bytes of everything a
 * signature or a digest covers, so verification never depends on a re-encoding.
 */
import { ProvkitError, type ErrorCode, type ErrorLocation } from '../errors.js';
import { ALGORITHM_OID, hashNameOfOid, type HashName, type KeyAlgorithmName } from '../crypto/algorithms.js';
import { toArrayBufferView } from '../crypto/bytes.js';
import { sign, signatureAlgorithmIdentifier, verifySignature } from '../crypto/signature.js';
import {
  TAG,
  bytesEqual,
  decodeOid,
  encodeOid,
  encodeSmallInteger,
  encodeTlv,
  expectTag,
  readChildren,
  readSingleTlv,
  readSmallInteger,
  readTlv,
  type Tlv,
} from '../crypto/tlv.js';
import { validateDer } from './der.js';
import { PathValidationCache, validatePath } from './path.js';
import { TIME_TAG, decodeTime, encodeTime } from './time.js';
import type { VerificationFailure, VerificationResult } from './verification.js';
import { parseCertificate, type Certificate } from './x509.js';
import {
  OID_ANY_EXTENDED_KEY_USAGE,
  OID_ATTR_CMS_ALGORITHM_PROTECTION,
  OID_ATTR_CONTENT_TYPE,
  OID_ATTR_MESSAGE_DIGEST,
  OID_ATTR_SIGNING_TIME,
  OID_DATA,
  OID_RSA_ENCRYPTION,
  OID_SHA256,
  OID_SHA384,
  OID_SHA512,
  OID_SIGNED_DATA,
  describeOid,
} from './oids.js';

/** Largest signed provkit file (.mcpr including a proxied one, .mcpp, .mcp) and TrustStore, in bytes. */
export const MAX_SIGNED_FILE_BYTES = 1_048_576;
/** Largest number of certificates in one SignedData. */
export const MAX_CERTIFICATES = 64;
/** Largest number of certificates in a TrustStore. */
export const MAX_TRUST_STORE_CERTIFICATES = 256;
/** Largest DER certificate or CSR, in bytes. */
export const MAX_CERTIFICATE_BYTES = 16_384;
/** Largest number of SignerInfos the generic reader accepts; provkit files have exactly one. */
const MAX_SIGNERS = 8;
/** A signingTime this far after the verification time is reported as a warning. */
const SIGNING_TIME_SKEW_MS = 5 * 60 * 1000;

// ---------------------------------------------------------------------------------------
// Parsed structures

/** One SignerInfo as received; byte fields are views into the parsed file. */
export interface SignerInfoContent {
  /** CMSVersion of the SignerInfo (1 for issuerAndSerialNumber). */
  version: number;
  /** DER of the issuer Name in issuerAndSerialNumber. */
  issuer: Uint8Array;
  /** DER of the serialNumber INTEGER element in issuerAndSerialNumber. */
  serialNumber: Uint8Array;
  /** DER AlgorithmIdentifier of the digest algorithm. */
  digestAlgorithm: Uint8Array;
  digestAlgorithmOid: string;
  /** The signedAttrs element exactly as received, with its [0] IMPLICIT tag. */
  signedAttributes: Uint8Array;
  /** The value of the contentType attribute. */
  contentType: string;
  /** The value of the messageDigest attribute. */
  messageDigest: Uint8Array;
  /** The value of the signingTime attribute. */
  signingTime: Date;
  /** CMSAlgorithmProtection, when present: DER of its digestAlgorithm and signatureAlgorithm. */
  algorithmProtection?: { digestAlgorithm: Uint8Array; signatureAlgorithm?: Uint8Array };
  /** OIDs of signed attributes provkit does not interpret. */
  otherSignedAttributes: string[];
  /** DER AlgorithmIdentifier of the signature algorithm, as received. */
  signatureAlgorithm: Uint8Array;
  signatureAlgorithmOid: string;
  /** The signature value (DER ECDSA-Sig-Value for ECDSA). */
  signature: Uint8Array;
  /** Number of unsigned attributes, which provkit ignores. */
  unsignedAttributeCount: number;
  /** The certificate named by issuerAndSerialNumber, when the file carries it. */
  signerCertificate: Certificate | undefined;
}

/** A parsed SignedData: the encapsulated content, the certificates and the signers. */
export interface SignedDataContent {
  /** The complete ContentInfo as received. */
  der: Uint8Array;
  /** CMSVersion of the SignedData. */
  version: number;
  /** OIDs of SignedData.digestAlgorithms. */
  digestAlgorithms: string[];
  /** eContentType. */
  contentType: string;
  /** eContent octets, or undefined for detached or certs-only SignedData. */
  content: Uint8Array | undefined;
  /** The X.509 certificates of the certificate set, in file order; untrusted. */
  certificates: Certificate[];
  signers: SignerInfoContent[];
  /** The first signer's signingTime. */
  signingTime?: Date;
  /** Things accepted but worth telling the user (unknown signed attributes, unsigned attributes). */
  warnings: string[];
  /** The location used in messages. */
  location: ErrorLocation;
}

/** Outcome of verifying a SignedData: every failed check, the signer, its path and the signing time. */
export interface SignedFileVerification extends VerificationResult {
  /** The signer certificate, when the file carries it. */
  signer: Certificate | undefined;
  /** Certification path at the verification time, leaf first, anchor last; empty when none was found. */
  chain: Certificate[];
  signingTime: Date | undefined;
}

// ---------------------------------------------------------------------------------------
// Certificate cache

/**
 * Parsed certificates keyed by their DER bytes, so a batch of files that embed the same chain
 * parses each certificate once. Bounded; the oldest entries are dropped first.
 */
export class CertificateCache {
  private readonly entries = new Map<number, Certificate[]>();
  private size = 0;

  constructor(private readonly limit = 1024) {}

  /** Returns the parsed certificate for `der`, parsing it on first sight. Throws as parseCertificate does. */
  get(der: Uint8Array, location: ErrorLocation): Certificate {
    const key = hashBytes(der);
    const bucket = this.entries.get(key);
    if (bucket !== undefined) {
      for (const certificate of bucket) if (bytesEqual(certificate.der, der)) return certificate;
    }
    // The cached Certificate keeps its own copy, so a caller reusing its buffer cannot alter it.
    const certificate = parseCertificate(der.slice(), location);
    if (this.size >= this.limit) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) {
        this.size -= this.entries.get(oldest)!.length;
        this.entries.delete(oldest);
      }
    }
    if (bucket === undefined) this.entries.set(key, [certificate]);
    else bucket.push(certificate);
    this.size++;
    return certificate;
  }
}

// FNV-1a over the bytes: a cheap bucket key, with bytesEqual deciding identity.
function hashBytes(bytes: Uint8Array): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) hash = Math.imul(hash ^ bytes[i]!, 0x01000193);
  return hash >>> 0;
}

// ---------------------------------------------------------------------------------------
// Algorithms

const DIGEST_BY_KEY_ALGORITHM: Record<KeyAlgorithmName, string> = {
  'ecdsa-p256': OID_SHA256,
  'ecdsa-p384': OID_SHA384,
  // RFC 8419 section 3: with signed attributes, Ed25519 signers use SHA-512 for messageDigest.
  ed25519: OID_SHA512,
  'rsa-pss-2048': OID_SHA256,
  'rsa-pss-3072': OID_SHA256,
  'rsa-pss-4096': OID_SHA256,
  'rsa-pkcs1-2048': OID_SHA256,
  'rsa-pkcs1-3072': OID_SHA256,
  'rsa-pkcs1-4096': OID_SHA256,
};

/** Returns the digest algorithm OID provkit uses with signatures by `algorithm`. */
export function digestAlgorithmFor(algorithm: KeyAlgorithmName): string {
  return DIGEST_BY_KEY_ALGORITHM[algorithm];
}

/** Computes the digest of `data` with the hash named by `digestOid`; throws ProvkitError('unsupported') for others. */
export async function digest(digestOid: string, data: Uint8Array, location: ErrorLocation = {}): Promise<Uint8Array> {
  const hash = hashNameOfOid(digestOid);
  if (hash === undefined) {
    throw new ProvkitError('unsupported', `digest algorithm ${digestOid} is not supported; use SHA-256, SHA-384 or SHA-512`, location);
  }
  return new Uint8Array(await crypto.subtle.digest(hash, toArrayBufferView(data)));
}

// DigestAlgorithmIdentifier with absent parameters (RFC 5754 section 2).
function digestAlgorithmIdentifier(oid: string): Uint8Array {
  return encodeTlv(TAG.SEQUENCE, encodeOid(oid));
}

const RSA_WITH_HASH: Record<HashName, string> = {
  'SHA-256': ALGORITHM_OID.sha256WithRsaEncryption,
  'SHA-384': ALGORITHM_OID.sha384WithRsaEncryption,
  'SHA-512': ALGORITHM_OID.sha512WithRsaEncryption,
};

/**
 * Returns the signature AlgorithmIdentifier to verify with. RFC 3370 section 3.2 lets a CMS
 * signer write rsaEncryption and take the hash from digestAlgorithm, as OpenSSL does. That
 * form becomes the matching shaNNNWithRSAEncryption, and any other is used as received.
 */
function effectiveSignatureAlgorithm(signer: SignerInfoContent): Uint8Array | undefined {
  if (signer.signatureAlgorithmOid !== OID_RSA_ENCRYPTION) return signer.signatureAlgorithm;
  const hash = hashNameOfOid(signer.digestAlgorithmOid);
  if (hash === undefined) return undefined;
  return encodeTlv(TAG.SEQUENCE, encodeOid(RSA_WITH_HASH[hash]), new Uint8Array([TAG.NULL, 0]));
}

// ---------------------------------------------------------------------------------------
// Writing

/*
 * Attribute ::= SEQUENCE { attrType OBJECT IDENTIFIER, attrValues SET OF AttributeValue }
 * (RFC 5652 section 5.3)
 */
function encodeAttribute(type: string, ...values: Uint8Array[]): Uint8Array {
  return encodeTlv(TAG.SEQUENCE, encodeOid(type), encodeTlv(TAG.SET, ...sortDerSetOf(values)));
}

/** Sorts the encodings of a DER SET OF (X.690 section 11.6): ascending octet strings, shorter first on a common prefix. */
export function sortDerSetOf(elements: Uint8Array[]): Uint8Array[] {
  return [...elements].sort(compareOctets);
}

function compareOctets(a: Uint8Array, b: Uint8Array): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/** Options of createSignedData. */
export interface CreateSignedDataOptions {
  /** eContentType, a dotted OID. */
  contentType: string;
  /** The content to encapsulate. */
  content: Uint8Array;
  signerCertificate: Certificate;
  signerKey: CryptoKey;
  signerAlgorithm: KeyAlgorithmName;
  /** Certificates to embed besides the signer's (its chain, certificates the content references). */
  certificates: Certificate[];
  /** signingTime; defaults to now, truncated to whole seconds. */
  signingTime?: Date;
  /** Adds the RFC 6211 CMSAlgorithmProtection attribute; default true. */
  algorithmProtection?: boolean;
}

/**
 * Creates a DER ContentInfo holding a SignedData over `content` with the signed attributes
 * contentType, messageDigest, signingTime and (by default) CMSAlgorithmProtection.
 * Throws ProvkitError('invalid-argument') when the key algorithm does not fit the certificate.
 */
export async function createSignedData(options: CreateSignedDataOptions): Promise<Uint8Array> {
  const { signerCertificate, signerAlgorithm } = options;
  if (signerCertificate.keyAlgorithm !== undefined && signerCertificate.keyAlgorithm !== signerAlgorithm) {
    throw new ProvkitError(
      'invalid-argument',
      `the signer key is ${signerAlgorithm} but the certificate "${signerCertificate.subjectName}" holds a ${signerCertificate.keyAlgorithm} key; pass the key of that certificate`,
    );
  }
  const signingTime = new Date(Math.floor((options.signingTime ?? new Date()).getTime() / 1000) * 1000);
  const digestOid = digestAlgorithmFor(signerAlgorithm);
  const digestAlgorithm = digestAlgorithmIdentifier(digestOid);
  const signatureAlgorithm = signatureAlgorithmIdentifier(signerAlgorithm);
  const messageDigest = await digest(digestOid, options.content);

  const attributes = [
    encodeAttribute(OID_ATTR_CONTENT_TYPE, encodeOid(options.contentType)),
    encodeAttribute(OID_ATTR_MESSAGE_DIGEST, encodeTlv(TAG.OCTET_STRING, messageDigest)),
    // Time: UTCTime 1950 through 2049, GeneralizedTime otherwise (RFC 5652 section 11.3).
    encodeAttribute(OID_ATTR_SIGNING_TIME, encodeTime(signingTime)),
  ];
  if (options.algorithmProtection !== false) {
    // CMSAlgorithmProtection ::= SEQUENCE { digestAlgorithm, signatureAlgorithm [1] IMPLICIT
    // SignatureAlgorithmIdentifier OPTIONAL, macAlgorithm [2] ... } (RFC 6211 section 2, IMPLICIT TAGS)
    const signatureAlgorithmContent = readSingleTlv(signatureAlgorithm).value;
    attributes.push(
      encodeAttribute(
        OID_ATTR_CMS_ALGORITHM_PROTECTION,
        encodeTlv(TAG.SEQUENCE, digestAlgorithm, encodeTlv(0xa1, signatureAlgorithmContent)),
      ),
    );
  }
  const sortedAttributes = sortDerSetOf(attributes);
  // RFC 5652 section 5.4: the signature covers the DER of the SET OF, with the SET tag.
  const signature = await sign(options.signerKey, signerAlgorithm, encodeTlv(TAG.SET, ...sortedAttributes));

  const { issuer, serialNumber } = issuerAndSerialOf(signerCertificate);
  /*
   * SignerInfo ::= SEQUENCE { version CMSVersion, sid SignerIdentifier, digestAlgorithm,
   *   signedAttrs [0] IMPLICIT SignedAttributes OPTIONAL, signatureAlgorithm,
   *   signature SignatureValue, unsignedAttrs [1] IMPLICIT UnsignedAttributes OPTIONAL }
   */
  const signerInfo = encodeTlv(
    TAG.SEQUENCE,
    encodeSmallInteger(1),
    encodeTlv(TAG.SEQUENCE, issuer, serialNumber),
    digestAlgorithm,
    encodeTlv(0xa0, ...sortedAttributes),
    signatureAlgorithm,
    encodeTlv(TAG.OCTET_STRING, signature),
  );

  const certificates = uniqueCertificates([signerCertificate, ...options.certificates]);
  return encodeContentInfo(
    encodeTlv(
      TAG.SEQUENCE,
      // Version 3 because eContentType is not id-data (RFC 5652 section 5.1).
      encodeSmallInteger(3),
      encodeTlv(TAG.SET, digestAlgorithm),
      encodeTlv(TAG.SEQUENCE, encodeOid(options.contentType), encodeTlv(0xa0, encodeTlv(TAG.OCTET_STRING, options.content))),
      encodeTlv(0xa0, ...sortDerSetOf(certificates.map((certificate) => certificate.der))),
      encodeTlv(TAG.SET, signerInfo),
    ),
  );
}

/**
 * Creates a degenerate certs-only SignedData (RFC 5652 section 5.2): id-data without content,
 * no signers, the certificates sorted as a DER SET OF. Duplicates are written once.
 */
export function createCertsOnlySignedData(certificates: Certificate[]): Uint8Array {
  return encodeContentInfo(
    encodeTlv(
      TAG.SEQUENCE,
      encodeSmallInteger(1),
      encodeTlv(TAG.SET),
      encodeTlv(TAG.SEQUENCE, encodeOid(OID_DATA)),
      encodeTlv(0xa0, ...sortDerSetOf(uniqueCertificates(certificates).map((certificate) => certificate.der))),
      encodeTlv(TAG.SET),
    ),
  );
}

// ContentInfo ::= SEQUENCE { contentType ContentType, content [0] EXPLICIT ANY } (RFC 5652 section 3)
function encodeContentInfo(signedData: Uint8Array): Uint8Array {
  return encodeTlv(TAG.SEQUENCE, encodeOid(OID_SIGNED_DATA), encodeTlv(0xa0, signedData));
}

function uniqueCertificates(certificates: Certificate[]): Certificate[] {
  const unique: Certificate[] = [];
  for (const certificate of certificates) {
    if (!unique.some((seen) => bytesEqual(seen.der, certificate.der))) unique.push(certificate);
  }
  return unique;
}

const issuerAndSerialCache = new WeakMap<Certificate, { issuer: Uint8Array; serialNumber: Uint8Array }>();

/**
 * Returns the issuer Name and serialNumber INTEGER elements exactly as they appear in the
 * certificate's TBSCertificate, which issuerAndSerialNumber must repeat byte for byte.
 */
function issuerAndSerialOf(certificate: Certificate): { issuer: Uint8Array; serialNumber: Uint8Array } {
  let cached = issuerAndSerialCache.get(certificate);
  if (cached === undefined) {
    // TBSCertificate ::= SEQUENCE { version [0] EXPLICIT Version DEFAULT v1, serialNumber,
    //   signature AlgorithmIdentifier, issuer Name, ... } (RFC 5280 section 4.1)
    const fields = readChildren(readSingleTlv(certificate.tbs).value);
    const first = fields[0]?.tag === 0xa0 ? 1 : 0;
    cached = { serialNumber: fields[first]!.element, issuer: fields[first + 2]!.element };
    issuerAndSerialCache.set(certificate, cached);
  }
  return cached;
}

// ---------------------------------------------------------------------------------------
// Reading

function fail(code: ErrorCode, message: string, location: ErrorLocation, field?: string): ProvkitError {
  return new ProvkitError(code, message, field === undefined ? location : { ...location, field });
}

/** Options of parseSignedData. */
export interface ParseSignedDataOptions {
  /** Size limit in bytes; default MAX_SIGNED_FILE_BYTES. */
  maxBytes?: number;
  /** Largest number of certificates; default MAX_CERTIFICATES. */
  maxCertificates?: number;
  /** Reuses parsed certificates across files. */
  certificateCache?: CertificateCache;
}

/*
 * SignedData ::= SEQUENCE { version CMSVersion, digestAlgorithms DigestAlgorithmIdentifiers,
 *   encapContentInfo EncapsulatedContentInfo, certificates [0] IMPLICIT CertificateSet OPTIONAL,
 *   crls [1] IMPLICIT RevocationInfoChoices OPTIONAL, signerInfos SignerInfos }
 *                                                                  (RFC 5652 section 5.1)
 */

/**
 * Parses a DER ContentInfo holding a SignedData, strictly: DER only, no trailing bytes, the
 * size limits, known versions, X.509 certificates only, no CRLs. The signatures are not
 * checked here (see verifySignedData). Throws ProvkitError with codes malformed, wrong-type,
 * bad-version, oversized or unsupported, naming the file and the field.
 */
export function parseSignedData(der: Uint8Array, location: ErrorLocation, options: ParseSignedDataOptions = {}): SignedDataContent {
  const maxBytes = options.maxBytes ?? MAX_SIGNED_FILE_BYTES;
  if (der.length > maxBytes) {
    throw fail('oversized', `the file is ${der.length} bytes; the limit is ${maxBytes} bytes`, location);
  }
  if (der.length === 0) throw fail('malformed', 'the file is empty', location);

  // readTlv enforces definite minimal lengths and readSingleTlv rejects trailing bytes. The
  // fields read below check their own DER rules. parseCertificate checks each certificate
  // (once per distinct DER with a cache) and validateDer the attribute sets, so no pass over
  // the whole file is needed.
  const contentInfo = readSingleTlv(der, { ...location, field: 'ContentInfo' });
  if (contentInfo.tag !== TAG.SEQUENCE) {
    throw fail('wrong-type', 'the file is not a DER CMS ContentInfo (it does not start with a SEQUENCE)', location);
  }
  const [contentTypeTlv, explicitContent, ...extra] = readChildren(contentInfo.value, { ...location, field: 'ContentInfo' });
  if (contentTypeTlv?.tag !== TAG.OID) {
    // A certificate, a CSR or a PKCS #8 key is a SEQUENCE too, but starts with something else.
    throw fail('wrong-type', 'the file is not a CMS ContentInfo (it does not start with a content type OID)', location, 'ContentInfo');
  }
  const contentType = decodeOid(contentTypeTlv.value, { ...location, field: 'ContentInfo.contentType' });
  if (contentType !== OID_SIGNED_DATA) {
    throw fail('wrong-type', `the ContentInfo contains ${describeOid(contentType)}, not a CMS SignedData`, location, 'ContentInfo.contentType');
  }
  if (extra.length > 0) throw fail('malformed', 'ContentInfo has fields after content', location, 'ContentInfo');
  const at = (field: string): ErrorLocation => ({ ...location, field });
  const signedDataTlv = readSingleTlv(expectTag(explicitContent, 0xa0, 'ContentInfo.content', at('ContentInfo.content')).value, at('SignedData'));
  if (signedDataTlv.tag !== TAG.SEQUENCE) throw fail('malformed', 'SignedData is not a SEQUENCE', location, 'SignedData');

  const fields = readChildren(signedDataTlv.value, at('SignedData'));
  let index = 0;
  const version = readSmallInteger(expectTag(fields[index++], TAG.INTEGER, 'SignedData.version', at('SignedData.version')), 'SignedData.version', at('SignedData.version'));
  if (![1, 3, 4, 5].includes(version)) {
    throw fail('bad-version', `SignedData version ${version} is not a CMS version (1, 3, 4 or 5)`, location, 'SignedData.version');
  }

  const digestAlgorithmsTlv = expectTag(fields[index++], TAG.SET, 'SignedData.digestAlgorithms', at('SignedData.digestAlgorithms'));
  const digestAlgorithms = readChildren(digestAlgorithmsTlv.value, at('SignedData.digestAlgorithms')).map((tlv, i) =>
    readDigestAlgorithmOid(tlv, location, `SignedData.digestAlgorithms[${i}]`),
  );

  // EncapsulatedContentInfo ::= SEQUENCE { eContentType ContentType, eContent [0] EXPLICIT OCTET STRING OPTIONAL }
  const encapTlv = expectTag(fields[index++], TAG.SEQUENCE, 'SignedData.encapContentInfo', at('SignedData.encapContentInfo'));
  const [eContentTypeTlv, eContentExplicit, ...encapExtra] = readChildren(encapTlv.value, at('SignedData.encapContentInfo'));
  const eContentTypeLocation = at('encapContentInfo.eContentType');
  const eContentType = decodeOid(expectTag(eContentTypeTlv, TAG.OID, 'encapContentInfo.eContentType', eContentTypeLocation).value, eContentTypeLocation);
  if (encapExtra.length > 0) throw fail('malformed', 'encapContentInfo has extra fields', location, 'encapContentInfo');
  let content: Uint8Array | undefined;
  if (eContentExplicit !== undefined) {
    const octets = readSingleTlv(expectTag(eContentExplicit, 0xa0, 'encapContentInfo.eContent', at('encapContentInfo.eContent')).value, at('encapContentInfo.eContent'));
    if (octets.tag === 0x24) {
      throw fail('malformed', 'eContent is a constructed OCTET STRING (BER); DER requires the primitive form', location, 'encapContentInfo.eContent');
    }
    if (octets.tag !== TAG.OCTET_STRING) throw fail('malformed', 'eContent is not an OCTET STRING', location, 'encapContentInfo.eContent');
    content = octets.value;
  }

  const certificates: Certificate[] = [];
  if (fields[index]?.tag === 0xa0) {
    const certificateTlvs = readChildren(fields[index++]!.value, { ...location, field: 'SignedData.certificates' });
    const maxCertificates = options.maxCertificates ?? MAX_CERTIFICATES;
    if (certificateTlvs.length > maxCertificates) {
      throw fail('oversized', `the file carries ${certificateTlvs.length} certificates; the limit is ${maxCertificates}`, location, 'SignedData.certificates');
    }
    certificateTlvs.forEach((tlv, i) => {
      const field = `SignedData.certificates[${i}]`;
      // CertificateChoices: only the plain Certificate (a SEQUENCE) is accepted; the
      // [0]..[3] alternatives are obsolete or attribute certificates.
      if (tlv.tag !== TAG.SEQUENCE) throw fail('unsupported', `certificate choice with tag 0x${tlv.tag.toString(16)} is not an X.509 certificate`, location, field);
      if (tlv.element.length > MAX_CERTIFICATE_BYTES) {
        throw fail('oversized', `the certificate is ${tlv.element.length} bytes; the limit is ${MAX_CERTIFICATE_BYTES}`, location, field);
      }
      const certificateLocation = { ...location, field };
      certificates.push(options.certificateCache?.get(tlv.element, certificateLocation) ?? parseCertificate(tlv.element, certificateLocation));
    });
  }
  if (fields[index]?.tag === 0xa1) {
    throw fail('unsupported', 'the SignedData carries CRLs, which provkit files do not use', location, 'SignedData.crls');
  }
  const signerInfosTlv = expectTag(fields[index++], TAG.SET, 'SignedData.signerInfos', at('SignedData.signerInfos'));
  if (index !== fields.length) throw fail('malformed', 'SignedData has fields after signerInfos', location, 'SignedData');

  const signerTlvs = readChildren(signerInfosTlv.value, at('SignedData.signerInfos'));
  if (signerTlvs.length > MAX_SIGNERS) {
    throw fail('oversized', `the file has ${signerTlvs.length} signers; the limit is ${MAX_SIGNERS}`, location, 'SignedData.signerInfos');
  }
  const warnings: string[] = [];
  const signers = signerTlvs.map((tlv, i) => parseSignerInfo(tlv, certificates, location, `SignerInfo[${i}]`, warnings));

  const parsed: SignedDataContent = {
    der,
    version,
    digestAlgorithms,
    contentType: eContentType,
    content,
    certificates,
    signers,
    warnings,
    location,
  };
  if (signers[0] !== undefined) parsed.signingTime = signers[0].signingTime;
  return parsed;
}

function readAlgorithmOid(tlv: Tlv, location: ErrorLocation, field: string): string {
  if (tlv.tag !== TAG.SEQUENCE) throw fail('malformed', 'an AlgorithmIdentifier is not a SEQUENCE', location, field);
  validateDer(tlv.element, { ...location, field });
  const [oid] = readChildren(tlv.value, { ...location, field });
  return decodeOid(expectTag(oid, TAG.OID, field, { ...location, field }).value, { ...location, field });
}

/**
 * Reads a DigestAlgorithmIdentifier. SHA-2 identifiers take no parameters, and RFC 5754
 * section 2 requires readers to accept NULL as well, so any other parameters are malformed.
 */
function readDigestAlgorithmOid(tlv: Tlv, location: ErrorLocation, field: string): string {
  const oid = readAlgorithmOid(tlv, location, field);
  const [, parameters, ...extra] = readChildren(tlv.value, { ...location, field });
  if (extra.length > 0 || (parameters !== undefined && !(parameters.tag === TAG.NULL && parameters.value.length === 0))) {
    throw fail('malformed', `digest algorithm ${oid} has parameters; they must be absent or NULL`, location, field);
  }
  return oid;
}

/*
 * SignerInfo ::= SEQUENCE { version CMSVersion, sid SignerIdentifier, digestAlgorithm
 *   DigestAlgorithmIdentifier, signedAttrs [0] IMPLICIT SignedAttributes OPTIONAL,
 *   signatureAlgorithm SignatureAlgorithmIdentifier, signature SignatureValue,
 *   unsignedAttrs [1] IMPLICIT UnsignedAttributes OPTIONAL }       (RFC 5652 section 5.3)
 * SignerIdentifier ::= CHOICE { issuerAndSerialNumber IssuerAndSerialNumber,
 *   subjectKeyIdentifier [0] SubjectKeyIdentifier }
 */
function parseSignerInfo(tlv: Tlv, certificates: Certificate[], location: ErrorLocation, field: string, warnings: string[]): SignerInfoContent {
  const at = (name: string): ErrorLocation => ({ ...location, field: `${field}.${name}` });
  if (tlv.tag !== TAG.SEQUENCE) throw fail('malformed', 'SignerInfo is not a SEQUENCE', location, field);
  const parts = readChildren(tlv.value, at(''));
  let index = 0;
  const version = readSmallInteger(expectTag(parts[index++], TAG.INTEGER, 'version', at('version')), 'version', at('version'));
  const sid = parts[index++];
  if (sid?.tag === 0x80) {
    throw fail('unsupported', 'the signer is identified by subjectKeyIdentifier; provkit files use issuerAndSerialNumber', location, `${field}.sid`);
  }
  if (version !== 1) throw fail('bad-version', `SignerInfo version ${version} is not 1 (issuerAndSerialNumber)`, location, `${field}.version`);
  const sidParts = readChildren(expectTag(sid, TAG.SEQUENCE, 'sid', at('sid')).value, at('sid'));
  const issuer = expectTag(sidParts[0], TAG.SEQUENCE, 'issuerAndSerialNumber.issuer', at('sid.issuer')).element;
  const serialNumber = expectTag(sidParts[1], TAG.INTEGER, 'issuerAndSerialNumber.serialNumber', at('sid.serialNumber')).element;
  if (sidParts.length !== 2) throw fail('malformed', 'issuerAndSerialNumber does not have exactly two fields', location, `${field}.sid`);

  const digestAlgorithmTlv = expectTag(parts[index++], TAG.SEQUENCE, 'digestAlgorithm', at('digestAlgorithm'));
  const digestAlgorithmOid = readDigestAlgorithmOid(digestAlgorithmTlv, location, `${field}.digestAlgorithm`);
  const signedAttributesTlv = parts[index];
  if (signedAttributesTlv?.tag !== 0xa0) {
    throw fail('malformed', 'signedAttrs are missing; provkit requires contentType, messageDigest and signingTime', location, `${field}.signedAttrs`);
  }
  index++;
  const signatureAlgorithmTlv = expectTag(parts[index++], TAG.SEQUENCE, 'signatureAlgorithm', at('signatureAlgorithm'));
  const signatureAlgorithmOid = readAlgorithmOid(signatureAlgorithmTlv, location, `${field}.signatureAlgorithm`);
  const signature = expectTag(parts[index++], TAG.OCTET_STRING, 'signature', at('signature')).value;
  let unsignedAttributeCount = 0;
  if (parts[index]?.tag === 0xa1) {
    validateDer(parts[index]!.element, at('unsignedAttrs'));
    unsignedAttributeCount = readChildren(parts[index++]!.value, at('unsignedAttrs')).length;
    warnings.push(`${field} has ${unsignedAttributeCount} unsigned attributes, which provkit ignores`);
  }
  if (index !== parts.length) throw fail('malformed', 'SignerInfo has unexpected fields', location, field);

  const attributes = parseSignedAttributes(signedAttributesTlv, location, `${field}.signedAttrs`, warnings);
  const named = certificates.filter((certificate) => {
    const names = issuerAndSerialOf(certificate);
    return bytesEqual(names.serialNumber, serialNumber) && bytesEqual(names.issuer, issuer);
  });
  // An issuer never gives two certificates one serial number (RFC 5280 4.1.2.2), so a second
  // match is a substitution attempt. Picking either one would let file order decide the signer.
  if (named.some((certificate) => !bytesEqual(certificate.der, named[0]!.der))) {
    throw fail('malformed', `${named.length} different certificates match the signer's issuerAndSerialNumber; the signer certificate is ambiguous`, location, `${field}.sid`);
  }
  const signerCertificate = named[0];

  const signer: SignerInfoContent = {
    version,
    issuer,
    serialNumber,
    digestAlgorithm: digestAlgorithmTlv.element,
    digestAlgorithmOid,
    signedAttributes: signedAttributesTlv.element,
    ...attributes,
    signatureAlgorithm: signatureAlgorithmTlv.element,
    signatureAlgorithmOid,
    signature,
    unsignedAttributeCount,
    signerCertificate,
  };
  return signer;
}

type ParsedAttributes = Pick<SignerInfoContent, 'contentType' | 'messageDigest' | 'signingTime' | 'algorithmProtection' | 'otherSignedAttributes'>;

function parseSignedAttributes(tlv: Tlv, location: ErrorLocation, field: string, warnings: string[]): ParsedAttributes {
  // The signature covers these bytes, so they must be DER down to attribute values provkit does not interpret.
  validateDer(tlv.element, { ...location, field });
  const attributes = readChildren(tlv.value, { ...location, field });
  const seen = new Set<string>();
  const values = new Map<string, Tlv[]>();
  const otherSignedAttributes: string[] = [];
  attributes.forEach((attribute, i) => {
    const at = `${field}[${i}]`;
    if (i > 0 && compareOctets(attributes[i - 1]!.element, attribute.element) > 0) {
      throw fail('malformed', 'the signed attributes are not sorted as a DER SET OF', location, at);
    }
    if (attribute.tag !== TAG.SEQUENCE) throw fail('malformed', 'an attribute is not a SEQUENCE', location, at);
    const [typeTlv, valuesTlv, ...extra] = readChildren(attribute.value, { ...location, field: at });
    const type = decodeOid(expectTag(typeTlv, TAG.OID, 'attrType', { ...location, field: at }).value, { ...location, field: at });
    expectTag(valuesTlv, TAG.SET, 'attrValues', { ...location, field: at });
    if (extra.length > 0) throw fail('malformed', 'an attribute has extra fields', location, at);
    if (seen.has(type)) throw fail('malformed', `signed attribute ${type} appears twice`, location, at);
    seen.add(type);
    const attributeValues = readChildren(valuesTlv!.value, { ...location, field: at });
    values.set(type, attributeValues);
    if (![OID_ATTR_CONTENT_TYPE, OID_ATTR_MESSAGE_DIGEST, OID_ATTR_SIGNING_TIME, OID_ATTR_CMS_ALGORITHM_PROTECTION].includes(type)) {
      otherSignedAttributes.push(type);
    }
  });
  // One warning for all of them, so a file with thousands of attributes cannot flood the output.
  if (otherSignedAttributes.length > 0) {
    const shown = otherSignedAttributes.slice(0, 8).join(', ');
    const more = otherSignedAttributes.length > 8 ? ` and ${otherSignedAttributes.length - 8} more` : '';
    const noun = otherSignedAttributes.length === 1 ? 'attribute' : 'attributes';
    warnings.push(`${field} contains signed ${noun} ${shown}${more}, which provkit does not interpret`);
  }

  const single = (type: string, name: string): Tlv => {
    const found = values.get(type);
    if (found === undefined) throw fail('malformed', `the ${name} signed attribute is missing`, location, `${field}.${name}`);
    if (found.length !== 1) throw fail('malformed', `the ${name} signed attribute has ${found.length} values; it must have one`, location, `${field}.${name}`);
    return found[0]!;
  };
  const contentTypeLocation = { ...location, field: `${field}.contentType` };
  const contentType = decodeOid(expectTag(single(OID_ATTR_CONTENT_TYPE, 'contentType'), TAG.OID, 'contentType', contentTypeLocation).value, contentTypeLocation);
  const messageDigest = expectTag(single(OID_ATTR_MESSAGE_DIGEST, 'messageDigest'), TAG.OCTET_STRING, 'messageDigest', {
    ...location,
    field: `${field}.messageDigest`,
  }).value;
  const signingTime = decodeSigningTime(single(OID_ATTR_SIGNING_TIME, 'signingTime'), { ...location, field: `${field}.signingTime` });

  const result: ParsedAttributes = { contentType, messageDigest, signingTime, otherSignedAttributes };
  const protection = values.get(OID_ATTR_CMS_ALGORITHM_PROTECTION);
  if (protection !== undefined) {
    const protectionField = `${field}.cmsAlgorithmProtection`;
    if (protection.length !== 1) throw fail('malformed', 'CMSAlgorithmProtection must have one value', location, protectionField);
    const parts = readChildren(expectTag(protection[0], TAG.SEQUENCE, 'CMSAlgorithmProtection', { ...location, field: protectionField }).value, {
      ...location,
      field: protectionField,
    });
    const digestAlgorithm = expectTag(parts[0], TAG.SEQUENCE, 'CMSAlgorithmProtection.digestAlgorithm', { ...location, field: protectionField }).element;
    const signatureAlgorithmTlv = parts.slice(1).find((part) => part.tag === 0xa1);
    if (parts.slice(1).some((part) => part.tag !== 0xa1 && part.tag !== 0xa2)) {
      throw fail('malformed', 'CMSAlgorithmProtection has an unexpected field', location, protectionField);
    }
    // RFC 6211 section 2: with SignedData exactly signatureAlgorithm follows, never macAlgorithm.
    if (parts.length > 2 || parts[1]?.tag === 0xa2) {
      throw fail('malformed', 'CMSAlgorithmProtection in a SignedData has a macAlgorithm or a repeated field; it must hold digestAlgorithm and signatureAlgorithm only', location, protectionField);
    }
    result.algorithmProtection = { digestAlgorithm };
    // [1] IMPLICIT replaces the SEQUENCE tag; restore it to compare with the SignerInfo's field.
    if (signatureAlgorithmTlv !== undefined) result.algorithmProtection.signatureAlgorithm = encodeTlv(TAG.SEQUENCE, signatureAlgorithmTlv.value);
  }
  return result;
}

/**
 * Decodes a signingTime (RFC 5652 section 11.3) under DER: seconds present, Z, no fractions,
 * and UTCTime for 1950 through 2049, which RFC 5652 requires and RFC 5280 readers do not check.
 */
function decodeSigningTime(tlv: Tlv, location: ErrorLocation): Date {
  const time = decodeTime(tlv, location);
  const year = time.getUTCFullYear();
  if (tlv.tag === TIME_TAG.generalizedTime && year >= 1950 && year <= 2049) {
    throw fail('malformed', `signingTime uses GeneralizedTime for ${year}; RFC 5652 requires UTCTime from 1950 through 2049`, location);
  }
  return time;
}

// ---------------------------------------------------------------------------------------
// Verification

/** Options of verifySignedData. */
export interface VerifySignedDataOptions {
  /** Trust anchors: the certificates of the TrustStore. */
  anchors: Certificate[];
  /** The verification time ("now"); default the current time. */
  time?: Date;
  /** Extended key usage the signer certificate must carry. */
  requiredExtendedKeyUsage?: string[];
  /** Memoises path validation across the files of a batch. */
  cache?: PathValidationCache;
}

/**
 * Verifies the one signer of a parsed SignedData: the contentType attribute, the messageDigest
 * over the received content, CMSAlgorithmProtection, the signature over the received signed
 * attributes, and the signer's path to `anchors` at the signing time and at `time`.
 * Never throws for bad input; every failed check is in the result.
 */
export async function verifySignedData(parsed: SignedDataContent, options: VerifySignedDataOptions): Promise<SignedFileVerification> {
  const failures: VerificationFailure[] = [];
  const warnings = [...parsed.warnings];
  const where = (field: string): string => [parsed.location.file, field].filter((part) => part !== undefined && part !== '').join(': ');
  const add = (code: ErrorCode, field: string, message: string, certificate?: string): void => {
    const failure: VerificationFailure = { code, message: `${where(field)}: ${message}` };
    if (certificate !== undefined) failure.certificate = certificate;
    failures.push(failure);
  };
  const result = (signer: Certificate | undefined, chain: Certificate[], signingTime: Date | undefined): SignedFileVerification => ({
    ok: failures.length === 0,
    failures,
    warnings,
    signer,
    chain,
    signingTime,
  });

  if (parsed.signers.length !== 1) {
    add('malformed', 'SignedData.signerInfos', `the file has ${parsed.signers.length} signers; a signed provkit file has exactly one`);
    return result(undefined, [], undefined);
  }
  const signer = parsed.signers[0]!;
  const signingTime = signer.signingTime;
  if (parsed.content === undefined) {
    add('malformed', 'encapContentInfo.eContent', 'the content is missing; provkit signs attached content only');
    return result(signer.signerCertificate, [], signingTime);
  }
  const certificate = signer.signerCertificate;
  if (certificate === undefined) {
    add('malformed', 'SignerInfo[0].sid', 'the signer certificate named by issuerAndSerialNumber is not in the file; the signer must embed it');
    return result(undefined, [], signingTime);
  }

  if (signer.contentType !== parsed.contentType) {
    add('mismatch', 'SignerInfo[0].signedAttrs.contentType', `the contentType attribute ${signer.contentType} differs from eContentType ${parsed.contentType}`);
  }
  if (!parsed.digestAlgorithms.includes(signer.digestAlgorithmOid)) {
    add('malformed', 'SignedData.digestAlgorithms', `the signer's digest algorithm ${signer.digestAlgorithmOid} is not listed in SignedData.digestAlgorithms`);
  }
  if (signer.algorithmProtection !== undefined) {
    const protection = signer.algorithmProtection;
    if (!bytesEqual(protection.digestAlgorithm, signer.digestAlgorithm)) {
      add('mismatch', 'SignerInfo[0].signedAttrs.cmsAlgorithmProtection', 'CMSAlgorithmProtection names another digest algorithm than the SignerInfo');
    }
    if (protection.signatureAlgorithm === undefined || !bytesEqual(protection.signatureAlgorithm, signer.signatureAlgorithm)) {
      add('mismatch', 'SignerInfo[0].signedAttrs.cmsAlgorithmProtection', 'CMSAlgorithmProtection names another signature algorithm than the SignerInfo');
    }
  }

  const hash = hashNameOfOid(signer.digestAlgorithmOid);
  if (hash === undefined) {
    add('unsupported', 'SignerInfo[0].digestAlgorithm', `digest algorithm ${signer.digestAlgorithmOid} is not supported; provkit verifies SHA-256, SHA-384 and SHA-512`);
  } else if (signer.signatureAlgorithmOid === ALGORITHM_OID.ed25519 && hash !== 'SHA-512') {
    add('malformed', 'SignerInfo[0].digestAlgorithm', `an Ed25519 signer must use SHA-512 with signed attributes (RFC 8419), not ${hash}`);
  } else {
    const actual = await digest(signer.digestAlgorithmOid, parsed.content);
    if (!bytesEqual(actual, signer.messageDigest)) {
      add('signature-invalid', 'SignerInfo[0].signedAttrs.messageDigest', 'the messageDigest attribute does not match the content: the content was changed after signing');
    }
  }

  const signatureAlgorithm = effectiveSignatureAlgorithm(signer);
  if (signatureAlgorithm === undefined) {
    add('unsupported', 'SignerInfo[0].signatureAlgorithm', `rsaEncryption with digest ${signer.digestAlgorithmOid} is not supported`);
  } else {
    // The signature covers the received signedAttrs with the SET tag in place of [0] IMPLICIT.
    const signedBytes = signer.signedAttributes.slice();
    signedBytes[0] = TAG.SET;
    const outcome = await verifySignature(certificate.spki, signatureAlgorithm, signedBytes, signer.signature);
    if (outcome === 'invalid') {
      add('signature-invalid', 'SignerInfo[0].signature', `the signature does not verify with the key of "${certificate.subjectName}"`, certificate.subjectName);
    } else if (outcome === 'unsupported') {
      add('unsupported', 'SignerInfo[0].signatureAlgorithm', `signature algorithm ${signer.signatureAlgorithmOid} with this key is not supported`, certificate.subjectName);
    }
  }

  const now = options.time ?? new Date();
  if (signingTime.getTime() > now.getTime() + SIGNING_TIME_SKEW_MS) {
    warnings.push(`${where('SignerInfo[0].signedAttrs.signingTime')}: the signing time ${signingTime.toISOString()} is after the verification time ${now.toISOString()}; check the signer's clock`);
  }
  const intermediates = parsed.certificates.filter((candidate) => candidate !== certificate);
  const pathOptions = {
    anchors: options.anchors,
    intermediates,
    requiredKeyUsage: ['digitalSignature' as const],
    requiredExtendedKeyUsage: options.requiredExtendedKeyUsage ?? [],
    // A provkit signer must name its usage: a certificate without extKeyUsage does not qualify.
    requireExtendedKeyUsagePresent: true,
    ...(options.cache === undefined ? {} : { cache: options.cache }),
  };
  const atSigning = await validatePath(certificate, { ...pathOptions, time: signingTime });
  const atNow = signingTime.getTime() === now.getTime() ? atSigning : await validatePath(certificate, { ...pathOptions, time: now });
  mergePathFailures(failures, where('signer certificate'), atSigning, atNow, signingTime, now);
  // RFC 5280 lets anyExtendedKeyUsage stand for every usage, and path validation accepts it;
  // provkit requires its own usage OIDs to be listed explicitly.
  const listed = certificate.extendedKeyUsage ?? [];
  const implicit = (options.requiredExtendedKeyUsage ?? []).filter((oid) => !listed.includes(oid));
  if (listed.includes(OID_ANY_EXTENDED_KEY_USAGE) && implicit.length > 0) {
    add('wrong-usage', 'signer certificate', `"${certificate.subjectName}" has only anyExtendedKeyUsage; it must list ${implicit.join(', ')}`, certificate.subjectName);
  }
  for (const warning of [...atSigning.warnings, ...atNow.warnings]) if (!warnings.includes(warning)) warnings.push(warning);
  return result(certificate, atNow.chain, signingTime);
}

/**
 * Adds the failures of the two path validations to `failures`, once each. A failure found at
 * both times is marked "at the signing time and at the validation time", the others name their
 * time. The validation time is `now` only by default, so messages never call it "now".
 */
export function mergePathFailures(
  failures: VerificationFailure[],
  prefix: string,
  atSigning: VerificationResult,
  atNow: VerificationResult,
  signingTime: Date,
  now: Date,
): void {
  const key = (failure: VerificationFailure): string => `${failure.code}\u0000${failure.message}`;
  const nowKeys = new Set(atNow.failures.map(key));
  const signingKeys = new Set(atSigning.failures.map(key));
  const push = (failure: VerificationFailure, when: string): void => {
    const merged: VerificationFailure = { code: failure.code, message: `${prefix}: ${failure.message} (${when})` };
    if (failure.certificate !== undefined) merged.certificate = failure.certificate;
    failures.push(merged);
  };
  for (const failure of atSigning.failures) {
    push(failure, nowKeys.has(key(failure)) ? 'at the signing time and at the validation time' : `at the signing time ${signingTime.toISOString()}`);
  }
  for (const failure of atNow.failures) {
    if (!signingKeys.has(key(failure))) push(failure, `at the validation time ${now.toISOString()}`);
  }
}

/** Reads the contentType of a ContentInfo and, for SignedData, its eContentType, without parsing certificates; undefined when the bytes are no ContentInfo. */
export function peekContentTypes(der: Uint8Array): { contentType: string; eContentType?: string; signerCount?: number; hasContent?: boolean } | undefined {
  try {
    const contentInfo = readSingleTlv(der);
    if (contentInfo.tag !== TAG.SEQUENCE) return undefined;
    const [typeTlv, explicitContent] = readChildren(contentInfo.value);
    if (typeTlv?.tag !== TAG.OID) return undefined;
    const contentType = decodeOid(typeTlv.value);
    if (contentType !== OID_SIGNED_DATA || explicitContent?.tag !== 0xa0) return { contentType };
    const signedData = readTlv(explicitContent.value, 0);
    const fields = readChildren(signedData.value);
    const encap = fields[2];
    if (encap?.tag !== TAG.SEQUENCE) return { contentType };
    const [eTypeTlv, eContent] = readChildren(encap.value);
    if (eTypeTlv?.tag !== TAG.OID) return { contentType };
    const signerInfos = fields[fields.length - 1];
    const result: { contentType: string; eContentType?: string; signerCount?: number; hasContent?: boolean } = {
      contentType,
      eContentType: decodeOid(eTypeTlv.value),
      hasContent: eContent !== undefined,
    };
    if (signerInfos?.tag === TAG.SET) result.signerCount = readChildren(signerInfos.value).length;
    return result;
  } catch {
    return undefined;
  }
}

/**
 * Throws ProvkitError unless a SignedData has the shape of a signed provkit file: version 3
 * ('bad-version'), exactly one signer and attached content ('malformed').
 */
export function requireSignedFileStructure(parsed: SignedDataContent): void {
  if (parsed.version !== 3) {
    throw new ProvkitError('bad-version', `a signed provkit file has SignedData version 3, not ${parsed.version}`, {
      ...parsed.location,
      field: 'SignedData.version',
    });
  }
  if (parsed.signers.length !== 1) {
    throw new ProvkitError('malformed', `the file has ${parsed.signers.length} signers; a signed provkit file has exactly one`, {
      ...parsed.location,
      field: 'SignedData.signerInfos',
    });
  }
  if (parsed.content === undefined) {
    throw new ProvkitError('malformed', 'the content is missing; provkit signs attached content only', {
      ...parsed.location,
      field: 'encapContentInfo.eContent',
    });
  }
}

/**
 * Throws ProvkitError('wrong-type') unless the SignedData's eContentType is one of `allowed`,
 * naming the type the file is instead (for example a .mcpp given where a .mcpr is expected).
 */
export function requireContentType(parsed: SignedDataContent, allowed: readonly string[], expected: string): void {
  if (allowed.includes(parsed.contentType)) return;
  const actual =
    parsed.contentType === OID_DATA && parsed.signers.length === 0 ? 'a TrustStore (.mcts)' : `content ${describeOid(parsed.contentType)}`;
  throw new ProvkitError('wrong-type', `this file contains ${actual}; expected ${expected}`, {
    ...parsed.location,
    field: 'encapContentInfo.eContentType',
  });
}
