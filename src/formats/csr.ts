/**
 * PKCS#10 certification requests (RFC 2986): strict parsing of received requests, creation
 * with a WebCrypto key pair, and verification of the proof-of-possession signature.
 */
import { ProvkitError, type ErrorLocation } from '../errors.js';
import { exportSpki, keyAlgorithmOfSpki, type KeyAlgorithmName } from '../crypto/algorithms.js';
import { sign, signatureAlgorithmIdentifier, verifySignature, type VerifyOutcome } from '../crypto/signature.js';
import { TAG, decodeOid, encodeOid, encodeTlv, expectTag, readChildren, readOctetAlignedBitString, type Tlv } from '../crypto/tlv.js';
import { pemOrDer, validateDer } from './der.js';
import { decodeName, encodeGeneralNames, encodeName, type AltName, type DistinguishedName, type GeneralName, type NameAttribute } from './name.js';
import { EXTENSION_OID, decodeExtensions, encodeKeyUsage, parseExtensionList, type CertificateExtension, type KeyUsageName } from './x509.js';

/** Size limit of one certification request: 64 KiB. */
export const MAX_CSR_BYTES = 64 * 1024;

/** PKCS#9 attribute types that appear in requests. */
export const CSR_ATTRIBUTE_OID = {
  extensionRequest: '1.2.840.113549.1.9.14',
  challengePassword: '1.2.840.113549.1.9.7',
  unstructuredName: '1.2.840.113549.1.9.2',
} as const;

/** Extensions requested through the PKCS#9 extensionRequest attribute, decoded like a certificate's. */
export interface RequestedExtensions {
  extensions: CertificateExtension[];
  basicConstraints?: { ca: boolean; pathLength?: number };
  keyUsage?: KeyUsageName[];
  extendedKeyUsage?: string[];
  subjectAltNameEntries: GeneralName[];
  unknownCriticalExtensions: string[];
}

/** A parsed PKCS#10 request. Byte fields are views into `der`. */
export interface CertificationRequest {
  der: Uint8Array;
  subject: NameAttribute[];
  subjectName: string;
  subjectDN: DistinguishedName;
  spki: Uint8Array;
  keyAlgorithm: KeyAlgorithmName | undefined;
  signatureAlgorithm: Uint8Array;
  signatureValue: Uint8Array;
  /** The exact CertificationRequestInfo bytes the signature covers. */
  info: Uint8Array;
  /** Attribute types present, in order. Values are not kept: challengePassword is a secret. */
  attributeTypes: string[];
  requestedExtensions: RequestedExtensions;
  subjectAltNames: AltName[];
  warnings: string[];
}

function malformed(message: string, location: ErrorLocation, field: string): ProvkitError {
  return new ProvkitError('malformed', message, { file: location.file, field });
}

/**
 * CertificationRequest ::= SEQUENCE { certificationRequestInfo CertificationRequestInfo,
 *   signatureAlgorithm AlgorithmIdentifier, signature BIT STRING }
 * CertificationRequestInfo ::= SEQUENCE { version INTEGER { v1(0) }, subject Name,
 *   subjectPKInfo SubjectPublicKeyInfo, attributes [0] Attributes }
 * Attribute ::= SEQUENCE { type OBJECT IDENTIFIER, values SET SIZE(1..MAX) OF ANY }   (RFC 2986 4)
 * Throws ProvkitError: 'oversized', 'malformed', 'wrong-type', 'bad-version'.
 */
export function parseCertificationRequest(der: Uint8Array, location: ErrorLocation): CertificationRequest {
  const top = validateDer(der, { ...location, field: location.field ?? 'CertificationRequest', maxBytes: MAX_CSR_BYTES });
  if (top.tag !== TAG.SEQUENCE) throw malformed('a CertificationRequest must be a SEQUENCE', location, 'CertificationRequest');
  const parts = readChildren(top.value, location);
  if (parts[0]?.tag === TAG.OID) throw new ProvkitError('wrong-type', 'this is a CMS ContentInfo, not a certification request', location);
  if (parts.length !== 3) throw malformed(`a CertificationRequest has ${parts.length} fields; expected 3`, location, 'CertificationRequest');
  const [infoTlv, algorithmTlv, signatureTlv] = parts as [Tlv, Tlv, Tlv];
  if (infoTlv.tag !== TAG.SEQUENCE) throw malformed('certificationRequestInfo is not a SEQUENCE', location, 'certificationRequestInfo');
  if (algorithmTlv.tag !== TAG.SEQUENCE) throw malformed('signatureAlgorithm is not a SEQUENCE', location, 'signatureAlgorithm');
  const signatureValue = readOctetAlignedBitString(signatureTlv, 'signature', { file: location.file, field: 'signature' });

  const fields = readChildren(infoTlv.value, location);
  if (fields[0]?.tag === 0xa0 && fields.length >= 6) {
    throw new ProvkitError('wrong-type', 'this is an X.509 certificate, not a certification request', location);
  }
  const versionTlv = expectTag(fields[0], TAG.INTEGER, 'version', { file: location.file, field: 'certificationRequestInfo.version' });
  if (versionTlv.value.length !== 1 || versionTlv.value[0] !== 0) {
    throw new ProvkitError('bad-version', 'the request version is not v1 (0), the only version RFC 2986 defines', { file: location.file, field: 'certificationRequestInfo.version' });
  }
  const subjectField = 'certificationRequestInfo.subject';
  const subjectDN = decodeName(expectTag(fields[1], TAG.SEQUENCE, 'subject', { file: location.file, field: subjectField }), { file: location.file, field: subjectField });
  const spkiTlv = expectTag(fields[2], TAG.SEQUENCE, 'subjectPKInfo', { file: location.file, field: 'certificationRequestInfo.subjectPKInfo' });
  const attributesTlv = expectTag(fields[3], 0xa0, 'attributes', { file: location.file, field: 'certificationRequestInfo.attributes' });
  if (fields.length !== 4) throw malformed('unexpected data after the attributes', location, 'certificationRequestInfo');

  const warnings: string[] = [];
  const attributeTypes: string[] = [];
  let requestedExtensions: RequestedExtensions = { extensions: [], subjectAltNameEntries: [], unknownCriticalExtensions: [] };
  for (const attribute of readChildren(attributesTlv.value, location)) {
    const where = { file: location.file, field: 'certificationRequestInfo.attributes' };
    if (attribute.tag !== TAG.SEQUENCE) throw malformed('an Attribute is not a SEQUENCE', location, where.field);
    const attributeParts = readChildren(attribute.value, where);
    const type = decodeOid(expectTag(attributeParts[0], TAG.OID, 'Attribute.type', where).value, where);
    const values = readChildren(expectTag(attributeParts[1], TAG.SET, 'Attribute.values', where).value, where);
    if (attributeParts.length !== 2) throw malformed(`attribute ${type} has unexpected data`, location, where.field);
    if (values.length === 0) throw malformed(`attribute ${type} has no values; at least one is required`, location, where.field);
    if (attributeTypes.includes(type)) throw malformed(`attribute ${type} appears more than once`, location, where.field);
    attributeTypes.push(type);

    if (type === CSR_ATTRIBUTE_OID.extensionRequest) {
      // extensionRequest has exactly one value, an Extensions SEQUENCE (RFC 2985 5.4.2).
      if (values.length !== 1) throw malformed('extensionRequest must have exactly one value', location, where.field);
      const extensionWhere = { file: location.file, field: 'extensionRequest' };
      if (values[0]!.tag !== TAG.SEQUENCE) throw malformed('extensionRequest is not a SEQUENCE of Extension', location, 'extensionRequest');
      const extensions = parseExtensionList(values[0]!, extensionWhere);
      const decoded = decodeExtensions(extensions, extensionWhere);
      requestedExtensions = { extensions, subjectAltNameEntries: decoded.subjectAltNameEntries, unknownCriticalExtensions: decoded.unknownCriticalExtensions };
      if (decoded.basicConstraints !== undefined) requestedExtensions.basicConstraints = decoded.basicConstraints;
      if (decoded.keyUsage !== undefined) requestedExtensions.keyUsage = decoded.keyUsage;
      if (decoded.extendedKeyUsage !== undefined) requestedExtensions.extendedKeyUsage = decoded.extendedKeyUsage;
    } else if (type === CSR_ATTRIBUTE_OID.challengePassword) {
      warnings.push('the request carries a challengePassword attribute, which provkit ignores');
    }
  }

  const subjectAltNames = requestedExtensions.extensions.some((extension) => extension.oid === EXTENSION_OID.subjectAltName)
    ? decodeExtensions(requestedExtensions.extensions, { file: location.file, field: 'extensionRequest' }).subjectAltNames
    : [];
  return {
    der,
    subject: subjectDN.attributes,
    subjectName: subjectDN.text,
    subjectDN,
    spki: spkiTlv.element,
    keyAlgorithm: keyAlgorithmOfSpki(spkiTlv.element),
    signatureAlgorithm: algorithmTlv.element,
    signatureValue,
    info: infoTlv.element,
    attributeTypes,
    requestedExtensions,
    subjectAltNames,
    warnings,
  };
}

/** Parses one DER request or every PEM "CERTIFICATE REQUEST" block in `bytes`. */
export function parseCertificationRequests(bytes: Uint8Array, location: ErrorLocation): CertificationRequest[] {
  return pemOrDer(bytes, ['CERTIFICATE REQUEST', 'NEW CERTIFICATE REQUEST'], location).map((der) => parseCertificationRequest(der, location));
}

/** Verifies the request's signature with its own public key (proof of possession); bad input gives 'invalid' or 'unsupported', as verifySignature does. */
export function verifyCertificationRequest(csr: CertificationRequest): Promise<VerifyOutcome> {
  return verifySignature(csr.spki, csr.signatureAlgorithm, csr.info, csr.signatureValue);
}

/** Options of createCertificationRequest. */
export interface CreateCertificationRequestOptions {
  subject: NameAttribute[];
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  algorithm: KeyAlgorithmName;
  subjectAltNames?: { type: 'dns' | 'uri' | 'email' | 'ip' | 'other'; value: string }[];
  /** Requested key usage and extended key usage, carried in extensionRequest. */
  keyUsage?: KeyUsageName[];
  extendedKeyUsage?: string[];
}

/**
 * Creates and signs a PKCS#10 request; requested extensions go into one extensionRequest
 * attribute. Throws ProvkitError('invalid-argument') for names that cannot be encoded.
 */
export async function createCertificationRequest(options: CreateCertificationRequestOptions): Promise<CertificationRequest> {
  const spki = await exportSpki(options.publicKey);
  const extensions: Uint8Array[] = [];
  const extension = (oid: string, critical: boolean, value: Uint8Array): Uint8Array =>
    encodeTlv(TAG.SEQUENCE, encodeOid(oid), ...(critical ? [new Uint8Array([TAG.BOOLEAN, 1, 0xff])] : []), encodeTlv(TAG.OCTET_STRING, value));
  if (options.keyUsage !== undefined && options.keyUsage.length > 0) {
    extensions.push(extension(EXTENSION_OID.keyUsage, true, encodeKeyUsage(options.keyUsage)));
  }
  if (options.extendedKeyUsage !== undefined && options.extendedKeyUsage.length > 0) {
    extensions.push(extension(EXTENSION_OID.extKeyUsage, false, encodeTlv(TAG.SEQUENCE, ...options.extendedKeyUsage.map(encodeOid))));
  }
  if (options.subjectAltNames !== undefined && options.subjectAltNames.length > 0) {
    extensions.push(extension(EXTENSION_OID.subjectAltName, options.subject.length === 0, encodeGeneralNames(options.subjectAltNames)));
  }
  const attributes =
    extensions.length === 0
      ? []
      : [encodeTlv(TAG.SEQUENCE, encodeOid(CSR_ATTRIBUTE_OID.extensionRequest), encodeTlv(TAG.SET, encodeTlv(TAG.SEQUENCE, ...extensions)))];
  const info = encodeTlv(TAG.SEQUENCE, new Uint8Array([TAG.INTEGER, 1, 0]), encodeName(options.subject), spki, encodeTlv(0xa0, ...attributes));
  const signatureAlgorithm = signatureAlgorithmIdentifier(options.algorithm);
  const signature = await sign(options.privateKey, options.algorithm, info);
  const der = encodeTlv(TAG.SEQUENCE, info, signatureAlgorithm, encodeTlv(TAG.BIT_STRING, new Uint8Array([0]), signature));
  return parseCertificationRequest(der, { field: 'created request' });
}
