/**
 * Sniffs what a file is from its bytes: one of the six provkit types, an X.509 certificate
 * or a PKCS #10 CSR, in DER or PEM. The name's extension is consulted only for the
 * Private Identity containers, and only when their bytes are not recognised.
 */
import { TAG, bytesEqual, readChildren, readSingleTlv, type Tlv } from '../crypto/tlv.js';
import { peekContentTypes } from './cms.js';
import { decodePem } from './der.js';
import { PRIVATE_IDENTITY_MAGIC } from './identity.js';
import {
  OID_CT_CERTIFIED_PROFILE,
  OID_CT_PROFILE_TO_PROVISION,
  OID_CT_PROVISION_REQUEST,
  OID_CT_PROXIED_PROVISION_REQUEST,
  OID_DATA,
  OID_SIGNED_DATA,
} from './oids.js';

/** File type returned by detectFileType. */
export type DetectedFileType = 'mcts' | 'mcpr' | 'mcpp' | 'mcp' | 'mcpip' | 'mcpi' | 'certificate' | 'csr' | 'unknown';


/**
 * Returns the type of `bytes`, reading the DER structure (or the PEM label and body) and,
 * for a SignedData, its eContentType. Never throws; unrecognised input is 'unknown'.
 */
export function detectFileType(bytes: Uint8Array, name?: string): DetectedFileType {
  const fromBytes = detectDer(bytes) ?? detectPem(bytes) ?? detectPrivateIdentity(bytes);
  if (fromBytes !== undefined) return fromBytes;
  const extension = name?.toLowerCase().match(/\.(mcpip|mcpi)$/)?.[1];
  return extension === 'mcpip' || extension === 'mcpi' ? extension : 'unknown';
}

function detectDer(bytes: Uint8Array): DetectedFileType | undefined {
  if (bytes.length === 0 || bytes[0] !== TAG.SEQUENCE) return undefined;
  const types = peekContentTypes(bytes);
  if (types !== undefined && types.contentType === OID_SIGNED_DATA) {
    switch (types.eContentType) {
      case OID_CT_PROVISION_REQUEST:
      case OID_CT_PROXIED_PROVISION_REQUEST:
        return 'mcpr';
      case OID_CT_PROFILE_TO_PROVISION:
        return 'mcpp';
      case OID_CT_CERTIFIED_PROFILE:
        return 'mcp';
      case OID_DATA:
        return types.signerCount === 0 && types.hasContent === false ? 'mcts' : 'unknown';
      default:
        return 'unknown';
    }
  }
  return detectCertificateOrCsr(bytes);
}

/*
 * Certificate ::= SEQUENCE { tbsCertificate SEQUENCE { [0] version?, serialNumber INTEGER,
 *   signature, issuer, validity, subject, subjectPublicKeyInfo, ... }, signatureAlgorithm, signature BIT STRING }
 * CertificationRequest ::= SEQUENCE { certificationRequestInfo SEQUENCE { version INTEGER,
 *   subject Name, subjectPKInfo, attributes [0] }, signatureAlgorithm, signature BIT STRING }
 */
function detectCertificateOrCsr(bytes: Uint8Array): DetectedFileType | undefined {
  let outer: Tlv[];
  let inner: Tlv[];
  try {
    outer = readChildren(readSingleTlv(bytes).value);
    if (outer.length !== 3 || outer[0]!.tag !== TAG.SEQUENCE || outer[1]!.tag !== TAG.SEQUENCE || outer[2]!.tag !== TAG.BIT_STRING) return undefined;
    inner = readChildren(outer[0]!.value);
  } catch {
    return undefined;
  }
  if (inner[0]?.tag === 0xa0) return 'certificate';
  if (inner.length === 4 && inner[0]?.tag === TAG.INTEGER && inner[1]?.tag === TAG.SEQUENCE && inner[3]?.tag === 0xa0) return 'csr';
  // A version 1 certificate has no [0] version and at least six fields.
  if (inner.length >= 6 && inner[0]?.tag === TAG.INTEGER) return 'certificate';
  return undefined;
}

function detectPem(bytes: Uint8Array): DetectedFileType | undefined {
  const head = String.fromCharCode(...bytes.subarray(0, 4096));
  if (!head.includes('-----BEGIN ')) return undefined;
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
  let blocks;
  try {
    blocks = decodePem(text);
  } catch {
    return 'unknown';
  }
  const first = blocks[0];
  if (first === undefined) return undefined;
  switch (first.label) {
    case 'CERTIFICATE':
    case 'TRUSTED CERTIFICATE':
      return 'certificate';
    case 'CERTIFICATE REQUEST':
    case 'NEW CERTIFICATE REQUEST':
      return 'csr';
    case 'PKCS7':
    case 'CMS':
      return detectDer(first.der) ?? 'unknown';
    default:
      return 'unknown';
  }
}

// The issuer's key store shares the container but is not one of the six file types.
function detectPrivateIdentity(bytes: Uint8Array): 'mcpip' | 'mcpi' | undefined {
  for (const kind of ['mcpip', 'mcpi'] as const) {
    const magic = PRIVATE_IDENTITY_MAGIC[kind];
    if (bytes.length >= magic.length && bytesEqual(bytes.subarray(0, magic.length), magic)) return kind;
  }
  return undefined;
}
