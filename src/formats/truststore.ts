/**
 * The TrustStore (.mcts): the trust anchors of one system as a degenerate certs-only CMS
 * SignedData (RFC 5652 section 5.2), readable with `openssl pkcs7 -inform DER -print_certs`.
 */
import { ProvkitError, type ErrorLocation } from '../errors.js';
import { bytesEqual } from '../crypto/tlv.js';
import {
  MAX_SIGNED_FILE_BYTES,
  MAX_TRUST_STORE_CERTIFICATES,
  createCertsOnlySignedData,
  parseSignedData,
  type CertificateCache,
} from './cms.js';
import { OID_DATA, describeOid } from './oids.js';
import type { Certificate } from './x509.js';

/** A TrustStore as read: its anchors in file order and anything accepted with a warning. */
export interface TrustStore {
  certificates: Certificate[];
  warnings: string[];
}

/**
 * Encodes anchors as a TrustStore. Throws ProvkitError('invalid-argument') for an empty list
 * or more than 256 certificates; duplicates are written once.
 */
export function writeTrustStore(certificates: Certificate[]): Uint8Array {
  if (certificates.length === 0) {
    throw new ProvkitError('invalid-argument', 'a TrustStore needs at least one anchor certificate', { field: 'certificates' });
  }
  if (certificates.length > MAX_TRUST_STORE_CERTIFICATES) {
    throw new ProvkitError('invalid-argument', `a TrustStore contains at most ${MAX_TRUST_STORE_CERTIFICATES} certificates, not ${certificates.length}`, {
      field: 'certificates',
    });
  }
  return createCertsOnlySignedData(certificates);
}

/**
 * Reads a TrustStore strictly: version 1, no digest algorithms, no signers, id-data without
 * content, no CRLs, 1 to 256 distinct X.509 certificates. Throws ProvkitError with codes
 * malformed, wrong-type, bad-version or oversized, naming the file and field.
 */
export function readTrustStore(bytes: Uint8Array, location: ErrorLocation = {}, options: { certificateCache?: CertificateCache } = {}): TrustStore {
  const parsed = parseSignedData(bytes, location, {
    maxBytes: MAX_SIGNED_FILE_BYTES,
    maxCertificates: MAX_TRUST_STORE_CERTIFICATES,
    ...options,
  });
  const at = (field: string): ErrorLocation => ({ ...location, field });
  if (parsed.signers.length > 0 || parsed.contentType !== OID_DATA || parsed.content !== undefined) {
    throw new ProvkitError(
      'wrong-type',
      `this is a signed file with content ${describeOid(parsed.contentType)}, not a TrustStore; a TrustStore is a certs-only SignedData`,
      at('SignedData.encapContentInfo'),
    );
  }
  if (parsed.version !== 1) {
    throw new ProvkitError('bad-version', `a TrustStore has SignedData version 1, not ${parsed.version}`, at('SignedData.version'));
  }
  if (parsed.digestAlgorithms.length > 0) {
    throw new ProvkitError('malformed', 'a TrustStore lists no digest algorithms', at('SignedData.digestAlgorithms'));
  }
  if (parsed.certificates.length === 0) {
    throw new ProvkitError('malformed', 'the TrustStore contains no certificates; export it again from the issuer', at('SignedData.certificates'));
  }
  const warnings = [...parsed.warnings];
  parsed.certificates.forEach((certificate, i) => {
    if (parsed.certificates.findIndex((other) => bytesEqual(other.der, certificate.der)) !== i) {
      throw new ProvkitError('malformed', `certificate "${certificate.subjectName}" appears twice`, at(`SignedData.certificates[${i}]`));
    }
    if (certificate.basicConstraints?.ca !== true) {
      warnings.push(`${location.file ?? 'TrustStore'}: anchor "${certificate.subjectName}" is not a CA certificate; it can only anchor itself`);
    }
    for (const warning of certificate.warnings) warnings.push(`${location.file ?? 'TrustStore'}: anchor "${certificate.subjectName}": ${warning}`);
  });
  return { certificates: parsed.certificates, warnings };
}
