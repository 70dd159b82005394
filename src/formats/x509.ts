/**
 * X.509 v3 certificates (RFC 5280): a strict parser that keeps the exact received bytes, and
 * the writer provkit's issuer uses. Field decoding goes through the strict TLV reader after
 * the whole document has passed the DER checks in der.ts, so encodings that pkijs would
 * normalise away (explicit defaults, non-minimal integers) are seen and rejected.
 */
import { ProvkitError, type ErrorLocation } from '../errors.js';
import { keyAlgorithmOfSpki, type KeyAlgorithmName } from '../crypto/algorithms.js';
import { toArrayBufferView, toHex } from '../crypto/bytes.js';
import { sha256 } from '../crypto/sha256.js';
import { sign, signatureAlgorithmIdentifier } from '../crypto/signature.js';
import {
  TAG,
  bytesEqual,
  decodeOid,
  encodeOid,
  encodeSmallInteger,
  encodeTlv,
  expectTag,
  readChildren,
  readOctetAlignedBitString,
  readSingleTlv,
  readSmallInteger,
  type Tlv,
} from '../crypto/tlv.js';
import { pemOrDer, validateDer } from './der.js';
import {
  decodeGeneralName,
  decodeGeneralNames,
  decodeName,
  encodeGeneralNames,
  encodeName,
  namesEqual,
  toAltName,
  type AltName,
  type DistinguishedName,
  type GeneralName,
  type NameAttribute,
} from './name.js';
import { decodeTime, encodeTime } from './time.js';

export type { NameAttribute } from './name.js';

/** Size limit of one certificate: 64 KiB, far above real certificates (usually 1 to 3 KiB). */
export const MAX_CERTIFICATE_BYTES = 64 * 1024;

/** Key usage bits in the order of RFC 5280 4.2.1.3 (bit 0 first). */
export const KEY_USAGE_NAMES = [
  'digitalSignature',
  'nonRepudiation',
  'keyEncipherment',
  'dataEncipherment',
  'keyAgreement',
  'keyCertSign',
  'cRLSign',
  'encipherOnly',
  'decipherOnly',
] as const;

/** One named key usage bit. */
export type KeyUsageName = (typeof KEY_USAGE_NAMES)[number];

/** Extension OIDs provkit decodes (RFC 5280 4.2). */
export const EXTENSION_OID = {
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  issuerAltName: '2.5.29.18',
  basicConstraints: '2.5.29.19',
  nameConstraints: '2.5.29.30',
  crlDistributionPoints: '2.5.29.31',
  certificatePolicies: '2.5.29.32',
  policyMappings: '2.5.29.33',
  authorityKeyIdentifier: '2.5.29.35',
  policyConstraints: '2.5.29.36',
  extKeyUsage: '2.5.29.37',
  inhibitAnyPolicy: '2.5.29.54',
  authorityInfoAccess: '1.3.6.1.5.5.7.1.1',
} as const;

/** Extended key usage OIDs of RFC 5280 4.2.1.12 that provkit names. */
export const EKU_OID = {
  anyExtendedKeyUsage: '2.5.29.37.0',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
  codeSigning: '1.3.6.1.5.5.7.3.3',
  emailProtection: '1.3.6.1.5.5.7.3.4',
  timeStamping: '1.3.6.1.5.5.7.3.8',
  ocspSigning: '1.3.6.1.5.5.7.3.9',
} as const;

// Critical extensions the path validator processes. certificatePolicies is included because
// RFC 5280 6.1 policy processing cannot fail a path without an explicit-policy requirement.
// policyConstraints, policyMappings and inhibitAnyPolicy are not processed, so they count as
// unknown when critical.
const PROCESSED_EXTENSIONS = new Set<string>([
  EXTENSION_OID.basicConstraints,
  EXTENSION_OID.keyUsage,
  EXTENSION_OID.extKeyUsage,
  EXTENSION_OID.subjectAltName,
  EXTENSION_OID.issuerAltName,
  EXTENSION_OID.nameConstraints,
  EXTENSION_OID.subjectKeyIdentifier,
  EXTENSION_OID.authorityKeyIdentifier,
  EXTENSION_OID.certificatePolicies,
]);

/** One extension as received. */
export interface CertificateExtension {
  oid: string;
  critical: boolean;
  /** Content of extnValue: the DER of the extension's own structure. */
  value: Uint8Array;
}

/** Name constraints of a CA certificate (RFC 5280 4.2.1.10). */
export interface NameConstraints {
  permitted: GeneralName[];
  excluded: GeneralName[];
}

/** A parsed certificate. Byte fields are views into `der`, the exact received encoding. */
export interface Certificate {
  der: Uint8Array;
  /** The exact TBSCertificate bytes the signature covers. */
  tbs: Uint8Array;
  /** 1, 2 or 3. */
  version: number;
  /** Content octets of the serialNumber INTEGER as encoded (two's complement). */
  serialNumber: Uint8Array;
  /** Lowercase hex of the serial's value without the sign octet, `-` prefixed when negative. */
  serialHex: string;
  issuer: NameAttribute[];
  subject: NameAttribute[];
  /** RFC 4514 strings. */
  issuerName: string;
  subjectName: string;
  issuerDer: Uint8Array;
  subjectDer: Uint8Array;
  issuerDN: DistinguishedName;
  subjectDN: DistinguishedName;
  notBefore: Date;
  notAfter: Date;
  spki: Uint8Array;
  keyAlgorithm: KeyAlgorithmName | undefined;
  /** DER AlgorithmIdentifier of the outer signatureAlgorithm (equal to the TBS signature field). */
  signatureAlgorithm: Uint8Array;
  signatureValue: Uint8Array;
  extensions: CertificateExtension[];
  basicConstraints?: { ca: boolean; pathLength?: number };
  keyUsage?: KeyUsageName[];
  extendedKeyUsage?: string[];
  subjectKeyIdentifier?: Uint8Array;
  authorityKeyIdentifier?: Uint8Array;
  subjectAltNames: AltName[];
  /** The full subjectAltName entries, for name constraints. */
  subjectAltNameEntries: GeneralName[];
  nameConstraints?: NameConstraints;
  certificatePolicies?: string[];
  unknownCriticalExtensions: string[];
  /** True when subject and issuer are the same name (RFC 5280 6.1: self-issued). */
  selfIssued: boolean;
  /** Lowercase hex SHA-256 of `der`. */
  fingerprint: string;
  /** Deviations that RFC 5280 asks readers to accept, such as negative or zero serials. */
  warnings: string[];
}

function malformed(message: string, location: ErrorLocation): ProvkitError {
  return new ProvkitError('malformed', message, location);
}

function at(location: ErrorLocation, field: string): ErrorLocation {
  return { file: location.file, field };
}

/**
 * Certificate ::= SEQUENCE { tbsCertificate TBSCertificate, signatureAlgorithm
 *   AlgorithmIdentifier, signatureValue BIT STRING }   (RFC 5280 4.1)
 * Parses one DER certificate. Throws ProvkitError: 'oversized', 'malformed', 'wrong-type' (a
 * CSR or CMS message was given), 'bad-version'.
 */
export function parseCertificate(der: Uint8Array, location: ErrorLocation): Certificate {
  const top = validateDer(der, { ...location, field: location.field ?? 'Certificate', maxBytes: MAX_CERTIFICATE_BYTES });
  if (top.tag !== TAG.SEQUENCE) throw malformed('a Certificate must be a SEQUENCE', at(location, 'Certificate'));
  const parts = readChildren(top.value, location);
  if (parts[0]?.tag === TAG.OID) {
    throw new ProvkitError('wrong-type', 'this is a CMS ContentInfo, not a certificate; read it as a provkit file instead', location);
  }
  if (parts.length !== 3) throw malformed(`a Certificate has ${parts.length} fields; expected tbsCertificate, signatureAlgorithm and signatureValue`, at(location, 'Certificate'));
  const [tbsTlv, algorithmTlv, signatureTlv] = parts as [Tlv, Tlv, Tlv];
  if (tbsTlv.tag !== TAG.SEQUENCE) throw malformed('tbsCertificate is not a SEQUENCE', at(location, 'tbsCertificate'));
  if (algorithmTlv.tag !== TAG.SEQUENCE) throw malformed('signatureAlgorithm is not a SEQUENCE', at(location, 'signatureAlgorithm'));
  const signatureValue = readOctetAlignedBitString(signatureTlv, 'signatureValue', at(location, 'signatureValue'));

  const tbs = parseTbsCertificate(tbsTlv, location);
  // RFC 5280 4.1.1.2: signatureAlgorithm MUST equal the signature field of the TBSCertificate.
  if (!bytesEqual(tbs.signature, algorithmTlv.element)) {
    throw malformed('signatureAlgorithm differs from tbsCertificate.signature; the certificate was altered or mis-encoded', at(location, 'signatureAlgorithm'));
  }
  return {
    ...tbs.fields,
    der,
    tbs: tbsTlv.element,
    signatureAlgorithm: algorithmTlv.element,
    signatureValue,
    fingerprint: toHex(sha256(der)),
  };
}

type TbsFields = Omit<Certificate, 'der' | 'tbs' | 'signatureAlgorithm' | 'signatureValue' | 'fingerprint'>;

/**
 * TBSCertificate ::= SEQUENCE {
 *   version [0] EXPLICIT Version DEFAULT v1, serialNumber CertificateSerialNumber,
 *   signature AlgorithmIdentifier, issuer Name, validity Validity, subject Name,
 *   subjectPublicKeyInfo SubjectPublicKeyInfo,
 *   issuerUniqueID [1] IMPLICIT UniqueIdentifier OPTIONAL, -- v2 or v3
 *   subjectUniqueID [2] IMPLICIT UniqueIdentifier OPTIONAL, -- v2 or v3
 *   extensions [3] EXPLICIT Extensions OPTIONAL -- v3 }   (RFC 5280 4.1)
 */
function parseTbsCertificate(tbsTlv: Tlv, location: ErrorLocation): { fields: TbsFields; signature: Uint8Array } {
  const fields = readChildren(tbsTlv.value, location);
  const warnings: string[] = [];
  let index = 0;

  let version = 1;
  if (fields[0]?.tag === 0xa0) {
    const versionLocation = at(location, 'tbsCertificate.version');
    const value = readSmallInteger(readSingleTlv(fields[0].value, versionLocation), 'version', versionLocation);
    if (value === 0) throw malformed('version v1 is encoded explicitly; DER requires the default to be omitted', versionLocation);
    if (value > 2) throw new ProvkitError('bad-version', `certificate version ${value + 1} is not defined; expected v1, v2 or v3`, versionLocation);
    version = value + 1;
    index++;
  }

  // A CertificationRequestInfo starts with INTEGER 0 and ends with [0] attributes.
  if (version === 1 && fields.length === 4 && fields[0]?.tag === TAG.INTEGER && fields[3]?.tag === 0xa0) {
    throw new ProvkitError('wrong-type', 'this is a PKCS#10 certification request, not a certificate', location);
  }

  const serialLocation = at(location, 'tbsCertificate.serialNumber');
  const serialTlv = expectTag(fields[index++], TAG.INTEGER, 'serialNumber', serialLocation);
  const serialNumber = serialTlv.value;
  const serialHex = describeSerial(serialNumber, warnings);

  const signatureTlv = expectTag(fields[index++], TAG.SEQUENCE, 'tbsCertificate.signature', at(location, 'tbsCertificate.signature'));
  const issuerDN = decodeName(expectTag(fields[index++], TAG.SEQUENCE, 'issuer', at(location, 'tbsCertificate.issuer')), at(location, 'tbsCertificate.issuer'));

  const validityLocation = at(location, 'tbsCertificate.validity');
  const validity = readChildren(expectTag(fields[index++], TAG.SEQUENCE, 'validity', validityLocation).value, validityLocation);
  if (validity.length !== 2) throw malformed('validity must contain notBefore and notAfter', validityLocation);
  const notBefore = decodeTime(validity[0]!, at(location, 'tbsCertificate.validity.notBefore'));
  const notAfter = decodeTime(validity[1]!, at(location, 'tbsCertificate.validity.notAfter'));

  const subjectDN = decodeName(expectTag(fields[index++], TAG.SEQUENCE, 'subject', at(location, 'tbsCertificate.subject')), at(location, 'tbsCertificate.subject'));
  const spkiTlv = expectTag(fields[index++], TAG.SEQUENCE, 'subjectPublicKeyInfo', at(location, 'tbsCertificate.subjectPublicKeyInfo'));
  readChildren(spkiTlv.value, location);

  let extensionsTlv: Tlv | undefined;
  for (const [tag, name] of [
    [0x81, 'issuerUniqueID'],
    [0x82, 'subjectUniqueID'],
  ] as const) {
    if (fields[index]?.tag === tag) {
      if (version < 2) throw malformed(`${name} requires a v2 or v3 certificate`, at(location, `tbsCertificate.${name}`));
      index++;
    }
  }
  if (fields[index]?.tag === 0xa3) {
    if (version !== 3) throw malformed('extensions require a v3 certificate', at(location, 'tbsCertificate.extensions'));
    extensionsTlv = fields[index++];
  }
  if (index !== fields.length) throw malformed('unexpected data after the last TBSCertificate field', at(location, 'tbsCertificate'));

  const extensions = extensionsTlv === undefined ? [] : parseExtensions(extensionsTlv, location);
  const decoded = decodeExtensions(extensions, location);

  // RFC 5280 4.1.2.4: the issuer field MUST contain a non-empty distinguished name.
  if (issuerDN.rdns.length === 0) throw malformed('the issuer name is empty', at(location, 'tbsCertificate.issuer'));
  // RFC 5280 4.1.2.6: an empty subject needs a critical subjectAltName; a CA needs a subject.
  if (subjectDN.rdns.length === 0) {
    const san = extensions.find((extension) => extension.oid === EXTENSION_OID.subjectAltName);
    if (san === undefined || !san.critical) {
      throw malformed('the subject is empty but subjectAltName is absent or not critical', at(location, 'tbsCertificate.subject'));
    }
    if (decoded.basicConstraints?.ca === true) throw malformed('a CA certificate has an empty subject', at(location, 'tbsCertificate.subject'));
  }

  const result: TbsFields = {
    version,
    serialNumber,
    serialHex,
    issuer: issuerDN.attributes,
    subject: subjectDN.attributes,
    issuerName: issuerDN.text,
    subjectName: subjectDN.text,
    issuerDer: issuerDN.der,
    subjectDer: subjectDN.der,
    issuerDN,
    subjectDN,
    notBefore,
    notAfter,
    spki: spkiTlv.element,
    keyAlgorithm: keyAlgorithmOfSpki(spkiTlv.element),
    extensions,
    ...decoded,
    selfIssued: namesEqual(subjectDN, issuerDN),
    warnings,
  };
  return { fields: result, signature: signatureTlv.element };
}

// CertificateSerialNumber ::= INTEGER. RFC 5280 4.1.2.2 requires a positive value of at most
// 20 octets from issuers but asks readers to handle negative and zero serials gracefully.
function describeSerial(serial: Uint8Array, warnings: string[]): string {
  const negative = (serial[0]! & 0x80) !== 0;
  if (negative) {
    warnings.push('the serial number is negative (RFC 5280 4.1.2.2 requires a positive integer)');
    let borrow = 1;
    const magnitude = new Uint8Array(serial.length);
    for (let i = serial.length - 1; i >= 0; i--) {
      const value = (~serial[i]! & 0xff) + borrow;
      magnitude[i] = value & 0xff;
      borrow = value >> 8;
    }
    let start = 0;
    while (start < magnitude.length - 1 && magnitude[start] === 0) start++;
    return `-${toHex(magnitude.subarray(start))}`;
  }
  if (serial.every((byte) => byte === 0)) warnings.push('the serial number is zero (RFC 5280 4.1.2.2 requires a positive integer)');
  if (serial.length > 20) warnings.push(`the serial number is ${serial.length} octets; RFC 5280 4.1.2.2 allows at most 20`);
  return toHex(serial[0] === 0 && serial.length > 1 ? serial.subarray(1) : serial);
}

/**
 * Extensions ::= SEQUENCE SIZE (1..MAX) OF Extension
 * Extension ::= SEQUENCE { extnID OBJECT IDENTIFIER, critical BOOLEAN DEFAULT FALSE,
 *   extnValue OCTET STRING }   (RFC 5280 4.1.2.9)
 */
export function parseExtensions(extensionsTlv: Tlv, location: ErrorLocation): CertificateExtension[] {
  const where = at(location, 'tbsCertificate.extensions');
  const sequence = readSingleTlv(extensionsTlv.value, where);
  if (sequence.tag !== TAG.SEQUENCE) throw malformed('extensions is not a SEQUENCE', where);
  return parseExtensionList(sequence, where);
}

/** Parses an Extensions SEQUENCE (shared with the CSR extensionRequest attribute). */
export function parseExtensionList(sequence: Tlv, where: ErrorLocation): CertificateExtension[] {
  const items = readChildren(sequence.value, where);
  if (items.length === 0) throw malformed('extensions is an empty SEQUENCE; omit it instead', where);
  const seen = new Set<string>();
  return items.map((item) => {
    if (item.tag !== TAG.SEQUENCE) throw malformed('an Extension is not a SEQUENCE', where);
    const parts = readChildren(item.value, where);
    const oid = decodeOid(expectTag(parts[0], TAG.OID, 'extnID', where).value, where);
    const extensionWhere = { file: where.file, field: `${where.field ?? 'extensions'}[${oid}]` };
    let critical = false;
    let next = 1;
    if (parts[1]?.tag === TAG.BOOLEAN) {
      // DER omits a value equal to the DEFAULT (X.690 11.5), so an explicit FALSE is invalid.
      if (parts[1].value[0] !== 0xff) throw malformed('critical is encoded explicitly as FALSE; DER requires omitting it', extensionWhere);
      critical = true;
      next = 2;
    }
    const value = expectTag(parts[next], TAG.OCTET_STRING, 'extnValue', extensionWhere).value;
    if (parts.length !== next + 1) throw malformed('unexpected data after extnValue', extensionWhere);
    // RFC 5280 4.2: a certificate MUST NOT include more than one instance of an extension.
    if (seen.has(oid)) throw malformed(`extension ${oid} appears more than once`, extensionWhere);
    seen.add(oid);
    return { oid, critical, value };
  });
}

type DecodedExtensions = Pick<
  Certificate,
  | 'basicConstraints'
  | 'keyUsage'
  | 'extendedKeyUsage'
  | 'subjectKeyIdentifier'
  | 'authorityKeyIdentifier'
  | 'subjectAltNames'
  | 'subjectAltNameEntries'
  | 'nameConstraints'
  | 'certificatePolicies'
  | 'unknownCriticalExtensions'
>;

/** Decodes the extensions provkit understands; each must consume its extnValue exactly. */
export function decodeExtensions(extensions: readonly CertificateExtension[], location: ErrorLocation): DecodedExtensions {
  const decoded: DecodedExtensions = { subjectAltNames: [], subjectAltNameEntries: [], unknownCriticalExtensions: [] };
  for (const extension of extensions) {
    const where = at(location, `extensions[${extension.oid}]`);
    switch (extension.oid) {
      case EXTENSION_OID.basicConstraints:
        decoded.basicConstraints = decodeBasicConstraints(extension.value, where);
        break;
      case EXTENSION_OID.keyUsage:
        decoded.keyUsage = decodeKeyUsage(extension.value, where);
        break;
      case EXTENSION_OID.extKeyUsage:
        decoded.extendedKeyUsage = decodeOidSequence(extension.value, 'extKeyUsage', where);
        break;
      case EXTENSION_OID.subjectKeyIdentifier:
        // SubjectKeyIdentifier ::= KeyIdentifier ::= OCTET STRING
        decoded.subjectKeyIdentifier = expectTag(readSingleTlv(extension.value, where), TAG.OCTET_STRING, 'subjectKeyIdentifier', where).value;
        break;
      case EXTENSION_OID.authorityKeyIdentifier: {
        const keyIdentifier = decodeAuthorityKeyIdentifier(extension.value, where);
        if (keyIdentifier !== undefined) decoded.authorityKeyIdentifier = keyIdentifier;
        break;
      }
      case EXTENSION_OID.subjectAltName:
        decoded.subjectAltNameEntries = decodeGeneralNames(extension.value, where);
        decoded.subjectAltNames = decoded.subjectAltNameEntries.map(toAltName);
        break;
      case EXTENSION_OID.issuerAltName:
        decodeGeneralNames(extension.value, where);
        break;
      case EXTENSION_OID.nameConstraints:
        decoded.nameConstraints = decodeNameConstraints(extension.value, where);
        break;
      case EXTENSION_OID.certificatePolicies:
        decoded.certificatePolicies = decodeCertificatePolicies(extension.value, where);
        break;
      case EXTENSION_OID.policyConstraints:
        decodePolicyConstraints(extension.value, where);
        break;
      case EXTENSION_OID.authorityInfoAccess:
        decodeAuthorityInfoAccess(extension.value, where);
        break;
      case EXTENSION_OID.inhibitAnyPolicy:
        // InhibitAnyPolicy ::= SkipCerts ::= INTEGER (0..MAX)
        readSmallInteger(readSingleTlv(extension.value, where), 'inhibitAnyPolicy', where);
        break;
    }
    if (extension.critical && !PROCESSED_EXTENSIONS.has(extension.oid)) decoded.unknownCriticalExtensions.push(extension.oid);
  }
  return decoded;
}

/** BasicConstraints ::= SEQUENCE { cA BOOLEAN DEFAULT FALSE, pathLenConstraint INTEGER (0..MAX) OPTIONAL } (4.2.1.9) */
function decodeBasicConstraints(value: Uint8Array, where: ErrorLocation): { ca: boolean; pathLength?: number } {
  const sequence = readSingleTlv(value, where);
  if (sequence.tag !== TAG.SEQUENCE) throw malformed('basicConstraints is not a SEQUENCE', where);
  const parts = readChildren(sequence.value, where);
  let index = 0;
  let ca = false;
  // An explicit cA FALSE is not DER but common in issued certificates, so it is accepted.
  if (parts[0]?.tag === TAG.BOOLEAN) {
    ca = parts[0].value[0] === 0xff;
    index++;
  }
  const result: { ca: boolean; pathLength?: number } = { ca };
  if (parts[index]?.tag === TAG.INTEGER) {
    const pathLength = readSmallInteger(parts[index]!, 'pathLenConstraint', where);
    // Real hierarchies are a few levels deep; 255 is the limit other verifiers apply too.
    if (pathLength > 255) throw malformed(`pathLenConstraint ${pathLength} is larger than 255`, where);
    result.pathLength = pathLength;
    index++;
  }
  if (index !== parts.length) throw malformed('unexpected data in basicConstraints', where);
  return result;
}

/** KeyUsage ::= BIT STRING; at least one bit must be set (RFC 5280 4.2.1.3). */
function decodeKeyUsage(value: Uint8Array, where: ErrorLocation): KeyUsageName[] {
  const bits = readSingleTlv(value, where);
  if (bits.tag !== TAG.BIT_STRING) throw malformed('keyUsage is not a BIT STRING', where);
  const octets = bits.value.subarray(1);
  const names: KeyUsageName[] = [];
  KEY_USAGE_NAMES.forEach((name, bit) => {
    const octet = octets[bit >> 3];
    if (octet !== undefined && (octet & (0x80 >> (bit & 7))) !== 0) names.push(name);
  });
  if (names.length === 0) throw malformed('keyUsage has no bit set', where);
  return names;
}

function decodeOidSequence(value: Uint8Array, what: string, where: ErrorLocation): string[] {
  const sequence = readSingleTlv(value, where);
  if (sequence.tag !== TAG.SEQUENCE) throw malformed(`${what} is not a SEQUENCE`, where);
  const oids = readChildren(sequence.value, where).map((item) => decodeOid(expectTag(item, TAG.OID, what, where).value, where));
  if (oids.length === 0) throw malformed(`${what} is empty`, where);
  return oids;
}

/**
 * AuthorityKeyIdentifier ::= SEQUENCE { keyIdentifier [0] KeyIdentifier OPTIONAL,
 *   authorityCertIssuer [1] GeneralNames OPTIONAL,
 *   authorityCertSerialNumber [2] CertificateSerialNumber OPTIONAL }   (4.2.1.1)
 * The issuer and serial must appear together.
 */
function decodeAuthorityKeyIdentifier(value: Uint8Array, where: ErrorLocation): Uint8Array | undefined {
  const sequence = readSingleTlv(value, where);
  if (sequence.tag !== TAG.SEQUENCE) throw malformed('authorityKeyIdentifier is not a SEQUENCE', where);
  let keyIdentifier: Uint8Array | undefined;
  let hasIssuer = false;
  let hasSerial = false;
  let last = -1;
  for (const part of readChildren(sequence.value, where)) {
    if (part.tagClass !== 2 || part.tagNumber > 2 || part.tagNumber <= last) throw malformed('authorityKeyIdentifier has an unexpected field', where);
    last = part.tagNumber;
    if (part.tagNumber === 0) {
      if (part.constructed) throw malformed('authorityKeyIdentifier.keyIdentifier must be primitive', where);
      keyIdentifier = part.value;
    } else if (part.tagNumber === 1) {
      if (!part.constructed) throw malformed('authorityCertIssuer must be constructed', where);
      const names = readChildren(part.value, where).map((name) => decodeGeneralName(name, where));
      if (names.length === 0) throw malformed('authorityCertIssuer is empty', where);
      hasIssuer = true;
    } else {
      if (part.constructed || part.value.length === 0) throw malformed('authorityCertSerialNumber is not an INTEGER', where);
      hasSerial = true;
    }
  }
  if (hasIssuer !== hasSerial) throw malformed('authorityCertIssuer and authorityCertSerialNumber must both be present or both absent', where);
  return keyIdentifier;
}

/**
 * NameConstraints ::= SEQUENCE { permittedSubtrees [0] GeneralSubtrees OPTIONAL,
 *   excludedSubtrees [1] GeneralSubtrees OPTIONAL }
 * GeneralSubtree ::= SEQUENCE { base GeneralName, minimum [0] BaseDistance DEFAULT 0,
 *   maximum [1] BaseDistance OPTIONAL }   (4.2.1.10: minimum is 0 and maximum absent)
 */
function decodeNameConstraints(value: Uint8Array, where: ErrorLocation): NameConstraints {
  const sequence = readSingleTlv(value, where);
  if (sequence.tag !== TAG.SEQUENCE) throw malformed('nameConstraints is not a SEQUENCE', where);
  const result: NameConstraints = { permitted: [], excluded: [] };
  const parts = readChildren(sequence.value, where);
  if (parts.length === 0) throw malformed('nameConstraints is empty; at least one subtree list is required', where);
  let last = -1;
  for (const part of parts) {
    if (part.tag !== 0xa0 && part.tag !== 0xa1) throw malformed('nameConstraints has an unexpected field', where);
    if (part.tagNumber <= last) throw malformed('nameConstraints fields are out of order', where);
    last = part.tagNumber;
    const subtrees = readChildren(part.value, where);
    if (subtrees.length === 0) throw malformed('GeneralSubtrees is empty', where);
    for (const subtree of subtrees) {
      if (subtree.tag !== TAG.SEQUENCE) throw malformed('a GeneralSubtree is not a SEQUENCE', where);
      const fields = readChildren(subtree.value, where);
      if (fields.length !== 1) throw malformed('a GeneralSubtree has minimum or maximum, which RFC 5280 forbids', where);
      const base = decodeGeneralName(fields[0]!, where, true);
      validateSubtreeBase(base, where);
      (part.tagNumber === 0 ? result.permitted : result.excluded).push(base);
    }
  }
  return result;
}

function validateSubtreeBase(base: GeneralName, where: ErrorLocation): void {
  if (base.kind === 'dNSName' && base.value !== '' && !/^\.?([a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?)(\.[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?)*$/.test(base.value)) {
    throw malformed(`name constraint dNSName "${base.value}" is not a valid domain name`, where);
  }
  if (base.kind === 'iPAddress') {
    // The mask must be a contiguous run of one bits (a CIDR prefix).
    const mask = base.bytes.subarray(base.bytes.length / 2);
    let seenZero = false;
    for (const byte of mask) {
      for (let bit = 7; bit >= 0; bit--) {
        const set = (byte >> bit) & 1;
        if (set === 1 && seenZero) throw malformed('a name constraint iPAddress mask is not a CIDR prefix', where);
        if (set === 0) seenZero = true;
      }
    }
  }
}

/**
 * certificatePolicies ::= SEQUENCE SIZE (1..MAX) OF PolicyInformation
 * PolicyInformation ::= SEQUENCE { policyIdentifier CertPolicyId,
 *   policyQualifiers SEQUENCE SIZE (1..MAX) OF PolicyQualifierInfo OPTIONAL }
 * PolicyQualifierInfo ::= SEQUENCE { policyQualifierId OBJECT IDENTIFIER, qualifier ANY }   (4.2.1.4)
 */
function decodeCertificatePolicies(value: Uint8Array, where: ErrorLocation): string[] {
  const sequence = readSingleTlv(value, where);
  if (sequence.tag !== TAG.SEQUENCE) throw malformed('certificatePolicies is not a SEQUENCE', where);
  const policies = readChildren(sequence.value, where).map((information) => {
    if (information.tag !== TAG.SEQUENCE) throw malformed('a PolicyInformation is not a SEQUENCE', where);
    const parts = readChildren(information.value, where);
    const oid = decodeOid(expectTag(parts[0], TAG.OID, 'policyIdentifier', where).value, where);
    if (parts.length > 2) throw malformed('unexpected data in PolicyInformation', where);
    if (parts[1] !== undefined) {
      const qualifiers = readChildren(expectTag(parts[1], TAG.SEQUENCE, 'policyQualifiers', where).value, where);
      if (qualifiers.length === 0) throw malformed('policyQualifiers is an empty SEQUENCE', where);
      for (const qualifier of qualifiers) {
        const fields = readChildren(expectTag(qualifier, TAG.SEQUENCE, 'PolicyQualifierInfo', where).value, where);
        expectTag(fields[0], TAG.OID, 'policyQualifierId', where);
        if (fields.length !== 2) throw malformed('a PolicyQualifierInfo has no qualifier', where);
      }
    }
    return oid;
  });
  if (policies.length === 0) throw malformed('certificatePolicies is empty', where);
  return policies;
}

/**
 * AuthorityInfoAccessSyntax ::= SEQUENCE SIZE (1..MAX) OF AccessDescription
 * AccessDescription ::= SEQUENCE { accessMethod OBJECT IDENTIFIER, accessLocation GeneralName }   (4.2.2.1)
 * Only the structure is checked; provkit works offline and never fetches the locations.
 */
function decodeAuthorityInfoAccess(value: Uint8Array, where: ErrorLocation): void {
  const sequence = readSingleTlv(value, where);
  if (sequence.tag !== TAG.SEQUENCE) throw malformed('authorityInfoAccess is not a SEQUENCE', where);
  const descriptions = readChildren(sequence.value, where);
  if (descriptions.length === 0) throw malformed('authorityInfoAccess is empty', where);
  for (const description of descriptions) {
    const parts = readChildren(expectTag(description, TAG.SEQUENCE, 'AccessDescription', where).value, where);
    expectTag(parts[0], TAG.OID, 'accessMethod', where);
    if (parts.length !== 2) throw malformed('an AccessDescription must have accessMethod and accessLocation', where);
    decodeGeneralName(parts[1]!, where);
  }
}

/** PolicyConstraints ::= SEQUENCE { requireExplicitPolicy [0] SkipCerts OPTIONAL, inhibitPolicyMapping [1] SkipCerts OPTIONAL } (4.2.1.11) */
function decodePolicyConstraints(value: Uint8Array, where: ErrorLocation): void {
  const sequence = readSingleTlv(value, where);
  if (sequence.tag !== TAG.SEQUENCE) throw malformed('policyConstraints is not a SEQUENCE', where);
  const parts = readChildren(sequence.value, where);
  // RFC 5280 4.2.1.11: conforming CAs MUST NOT issue an empty policyConstraints.
  if (parts.length === 0) throw malformed('policyConstraints is an empty SEQUENCE', where);
  for (const part of parts) {
    if (part.tag !== 0x80 && part.tag !== 0x81) throw malformed('policyConstraints has an unexpected field', where);
  }
}

/**
 * Parses every certificate in `bytes`: one DER certificate, or any number of PEM
 * "CERTIFICATE" blocks. Throws ProvkitError as parseCertificate does.
 */
export function parseCertificates(bytes: Uint8Array, location: ErrorLocation): Certificate[] {
  return pemOrDer(bytes, ['CERTIFICATE', 'X509 CERTIFICATE', 'TRUSTED CERTIFICATE'], location).map((der, index, all) =>
    parseCertificate(der, all.length > 1 ? { ...location, field: `certificate[${index}]` } : location),
  );
}

/** Returns an extension of a certificate by OID. */
export function findExtension(certificate: Certificate, oid: string): CertificateExtension | undefined {
  return certificate.extensions.find((extension) => extension.oid === oid);
}

/** Options of issueCertificate. */
export interface IssueCertificateOptions {
  subject: NameAttribute[];
  subjectSpki: Uint8Array;
  /** Issuer certificate; absent means self-signed with `issuerKey` as the subject key. */
  issuer?: Certificate;
  issuerKey: CryptoKey;
  issuerAlgorithm: KeyAlgorithmName;
  notBefore: Date;
  notAfter: Date;
  /** Present makes a CA certificate: basicConstraints critical with cA, keyCertSign and cRLSign. */
  ca?: { pathLength?: number };
  keyUsage?: KeyUsageName[];
  extendedKeyUsage?: string[];
  subjectAltNames?: { type: 'dns' | 'uri' | 'email' | 'ip' | 'other'; value: string }[];
  /** Serial content octets; default 16 random bytes made positive and minimal. */
  serialNumber?: Uint8Array;
  /** Further extensions, appended as given (value is the DER inside extnValue). */
  extraExtensions?: CertificateExtension[];
}

/** Returns a positive, minimal serial number from 16 random bytes (RFC 5280 4.1.2.2). */
export function randomSerialNumber(): Uint8Array {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  // A zero top bit keeps the INTEGER positive without a sign octet, and a non-zero top
  // octet keeps it minimal: 127 random bits remain.
  bytes[0] = (bytes[0]! & 0x7f) | 0x01;
  return bytes;
}

function encodeExtension(oid: string, critical: boolean, value: Uint8Array): Uint8Array {
  return encodeTlv(TAG.SEQUENCE, encodeOid(oid), ...(critical ? [new Uint8Array([TAG.BOOLEAN, 1, 0xff])] : []), encodeTlv(TAG.OCTET_STRING, value));
}

/** Encodes a KeyUsage BIT STRING with the minimal number of octets and unused bits (X.690 11.2.2). */
export function encodeKeyUsage(usages: readonly KeyUsageName[]): Uint8Array {
  const bits = usages.map((usage) => KEY_USAGE_NAMES.indexOf(usage));
  const highest = Math.max(...bits);
  const octets = new Uint8Array((highest >> 3) + 1);
  for (const bit of bits) octets[bit >> 3]! |= 0x80 >> (bit & 7);
  const unused = 7 - (highest & 7);
  return encodeTlv(TAG.BIT_STRING, new Uint8Array([unused]), octets);
}

/**
 * Computes a key identifier: the SHA-1 of the subjectPublicKey BIT STRING contents (RFC 5280
 * 4.2.1.2 method 1), which OpenSSL and most CAs use.
 */
export async function keyIdentifier(spki: Uint8Array): Promise<Uint8Array> {
  const children = readChildren(readSingleTlv(spki).value);
  const keyBits = readOctetAlignedBitString(children[1]!, 'subjectPublicKey');
  return new Uint8Array(await crypto.subtle.digest('SHA-1', toArrayBufferView(keyBits)));
}

/**
 * Issues (signs) a v3 certificate with a random positive 16-byte serial, SKI and AKI, and the
 * given usages. Times use UTCTime through 2049 and GeneralizedTime from 2050. Throws
 * ProvkitError('invalid-argument') for inconsistent options or an issuer that is not a CA.
 */
export async function issueCertificate(options: IssueCertificateOptions): Promise<Certificate> {
  if (!(options.notBefore.getTime() < options.notAfter.getTime())) {
    throw new ProvkitError('invalid-argument', 'notBefore must be earlier than notAfter');
  }
  if (options.issuer !== undefined && options.issuer.basicConstraints?.ca !== true) {
    throw new ProvkitError('invalid-argument', `the issuer "${options.issuer.subjectName}" is not a CA certificate (basicConstraints cA is not set)`);
  }
  const serial = options.serialNumber ?? randomSerialNumber();
  if (serial.length === 0 || serial.length > 20 || (serial[0]! & 0x80) !== 0 || (serial.length > 1 && serial[0] === 0 && (serial[1]! & 0x80) === 0)) {
    throw new ProvkitError('invalid-argument', 'serialNumber must be a positive minimal INTEGER of at most 20 octets');
  }
  const subjectName = encodeName(options.subject);
  const issuerName = options.issuer === undefined ? subjectName : options.issuer.subjectDer;
  const subjectKeyId = await keyIdentifier(options.subjectSpki);
  const authorityKeyId = options.issuer === undefined ? subjectKeyId : (options.issuer.subjectKeyIdentifier ?? (await keyIdentifier(options.issuer.spki)));

  const extensions: Uint8Array[] = [];
  if (options.ca !== undefined) {
    const pathLength = options.ca.pathLength;
    const content = [new Uint8Array([TAG.BOOLEAN, 1, 0xff]), ...(pathLength === undefined ? [] : [encodeSmallInteger(pathLength)])];
    extensions.push(encodeExtension(EXTENSION_OID.basicConstraints, true, encodeTlv(TAG.SEQUENCE, ...content)));
  }
  const keyUsage = new Set<KeyUsageName>(options.keyUsage ?? []);
  if (options.ca !== undefined) {
    keyUsage.add('keyCertSign');
    keyUsage.add('cRLSign');
  } else if (keyUsage.has('keyCertSign')) {
    throw new ProvkitError('invalid-argument', 'keyCertSign requires a CA certificate (RFC 5280 4.2.1.3); pass the ca option');
  }
  if (keyUsage.size > 0) extensions.push(encodeExtension(EXTENSION_OID.keyUsage, true, encodeKeyUsage(KEY_USAGE_NAMES.filter((name) => keyUsage.has(name)))));
  if (options.extendedKeyUsage !== undefined && options.extendedKeyUsage.length > 0) {
    extensions.push(encodeExtension(EXTENSION_OID.extKeyUsage, false, encodeTlv(TAG.SEQUENCE, ...options.extendedKeyUsage.map(encodeOid))));
  }
  if (options.subjectAltNames !== undefined && options.subjectAltNames.length > 0) {
    // RFC 5280 4.2.1.6: critical when the subject is empty.
    extensions.push(encodeExtension(EXTENSION_OID.subjectAltName, options.subject.length === 0, encodeGeneralNames(options.subjectAltNames)));
  } else if (options.subject.length === 0) {
    throw new ProvkitError('invalid-argument', 'a certificate with an empty subject needs subjectAltNames');
  }
  extensions.push(encodeExtension(EXTENSION_OID.subjectKeyIdentifier, false, encodeTlv(TAG.OCTET_STRING, subjectKeyId)));
  extensions.push(encodeExtension(EXTENSION_OID.authorityKeyIdentifier, false, encodeTlv(TAG.SEQUENCE, encodeTlv(0x80, authorityKeyId))));
  for (const extra of options.extraExtensions ?? []) extensions.push(encodeExtension(extra.oid, extra.critical, extra.value));

  const signatureAlgorithm = signatureAlgorithmIdentifier(options.issuerAlgorithm);
  const tbs = encodeTlv(
    TAG.SEQUENCE,
    encodeTlv(0xa0, encodeSmallInteger(2)),
    encodeTlv(TAG.INTEGER, serial),
    signatureAlgorithm,
    issuerName,
    encodeTlv(TAG.SEQUENCE, encodeTime(options.notBefore), encodeTime(options.notAfter)),
    subjectName,
    options.subjectSpki,
    encodeTlv(0xa3, encodeTlv(TAG.SEQUENCE, ...extensions)),
  );
  const signature = await sign(options.issuerKey, options.issuerAlgorithm, tbs);
  const der = encodeTlv(TAG.SEQUENCE, tbs, signatureAlgorithm, encodeTlv(TAG.BIT_STRING, new Uint8Array([0]), signature));
  return parseCertificate(der, { field: 'issued certificate' });
}
