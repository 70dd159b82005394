/**
 * The Certified Profiles: `.mcpp` (to be provisioned: the key roles a component must
 * generate) and `.mcp` (final: the same profile for one device with the certificate issued
 * for each role). Both are SignedData by the issuer's profile signer over a JSON manifest;
 * the certificates they reference travel in the SignedData's certificate set.
 */
import { ProvkitError, type ErrorLocation } from '../errors.js';
import { bytesEqual } from '../crypto/tlv.js';
import {
  MAX_SIGNED_FILE_BYTES,
  createSignedData,
  parseSignedData,
  requireContentType,
  requireSignedFileStructure,
  type SignedDataContent,
} from './cms.js';
import {
  FORMAT_VERSION,
  encodeManifest,
  formatTimestamp,
  newUuid,
  parseManifest,
  validateCertifiedProfileManifest,
  validateProfileToProvisionManifest,
  type CertifiedProfileManifest,
  type KeyRoleSpec,
  type ProfileToProvisionManifest,
  type SubjectTemplateAttribute,
} from './manifest.js';
import { OID_CT_CERTIFIED_PROFILE, OID_CT_PROFILE_TO_PROVISION } from './oids.js';
import type { ProvisionRequest, ReadOptions, SignerIdentity } from './request.js';
import type { VerificationFailure } from './verification.js';
import type { Certificate, NameAttribute } from './x509.js';

/** The issuer's description of a component's profile, from which both profile files are written. */
export interface ProfileDefinition {
  /** Default: a random UUID. */
  profileId?: string;
  systemId: string;
  systemName?: string;
  componentHandle: string;
  componentName?: string;
  keyRoles: KeyRoleSpec[];
  /** Default now. */
  createdAt?: Date;
}

/** A .mcpp as read. */
export interface ProfileToProvision {
  bytes: Uint8Array;
  signedData: SignedDataContent;
  manifest: ProfileToProvisionManifest;
  /** The certificate named by provisioningCertificateSha256, when present. */
  provisioningCertificate: Certificate | undefined;
  warnings: string[];
}

/** The certificate issued for one key role of a .mcp. */
export interface IssuedCertificate {
  role: string;
  certificate: Certificate;
}

/** A .mcp as read. */
export interface CertifiedProfile {
  bytes: Uint8Array;
  signedData: SignedDataContent;
  manifest: CertifiedProfileManifest;
  /** The issued certificates in manifest order. */
  issued: IssuedCertificate[];
  provisioningCertificate: Certificate | undefined;
  warnings: string[];
}

function baseManifest(definition: ProfileDefinition): Omit<ProfileToProvisionManifest, 'type'> {
  const manifest: Omit<ProfileToProvisionManifest, 'type'> = {
    formatVersion: FORMAT_VERSION,
    profileId: definition.profileId ?? newUuid(),
    systemId: definition.systemId,
    componentHandle: definition.componentHandle,
    createdAt: formatTimestamp(definition.createdAt ?? new Date()),
    keyRoles: definition.keyRoles,
  };
  if (definition.systemName !== undefined) manifest.systemName = definition.systemName;
  if (definition.componentName !== undefined) manifest.componentName = definition.componentName;
  return manifest;
}

/**
 * Creates a signed .mcpp. When `provisioningCertificate` is given, its fingerprint goes into
 * the manifest, and the certificate with `provisioningChain` into the SignedData.
 * Throws ProvkitError('invalid-argument').
 */
export async function createProfileToProvision(options: {
  profile: ProfileDefinition;
  provisioningCertificate?: Certificate;
  /** CA certificates between the provisioning certificate and a trust anchor. */
  provisioningChain?: Certificate[];
  signer: SignerIdentity;
  signingTime?: Date;
}): Promise<{ bytes: Uint8Array; manifest: ProfileToProvisionManifest }> {
  const manifest: ProfileToProvisionManifest = { type: 'mcpp', ...baseManifest(options.profile) };
  const extra: Certificate[] = [];
  if (options.provisioningCertificate !== undefined) {
    manifest.provisioningCertificateSha256 = options.provisioningCertificate.fingerprint;
    extra.push(options.provisioningCertificate, ...(options.provisioningChain ?? []));
  }
  const bytes = await createSignedData({
    contentType: OID_CT_PROFILE_TO_PROVISION,
    content: encodeManifest(manifest),
    signerCertificate: options.signer.certificate,
    signerKey: options.signer.privateKey,
    signerAlgorithm: options.signer.algorithm,
    certificates: [...options.signer.chain, ...extra],
    ...(options.signingTime === undefined ? {} : { signingTime: options.signingTime }),
  });
  return { bytes, manifest: checkedSize(bytes, manifest) };
}

/**
 * Creates a signed .mcp issued for one request: the profile, the device's hardware id, the
 * request id and the certificate issued for every key role (with the CA certificates above
 * it). Throws ProvkitError('invalid-argument') when a role has no certificate or a
 * certificate does not fit its role's algorithm.
 */
export async function createCertifiedProfile(options: {
  profile: ProfileDefinition;
  hardwareId: string;
  requestId: string;
  issued: IssuedCertificate[];
  /** CA certificates between the issued certificates and a trust anchor. */
  issuedChain: Certificate[];
  provisioningCertificate?: Certificate;
  provisioningChain?: Certificate[];
  signer: SignerIdentity;
  signingTime?: Date;
}): Promise<{ bytes: Uint8Array; manifest: CertifiedProfileManifest }> {
  const manifest: CertifiedProfileManifest = {
    type: 'mcp',
    ...baseManifest(options.profile),
    hardwareId: options.hardwareId,
    requestId: options.requestId,
    certificates: options.issued.map((entry) => ({ role: entry.role, certificateSha256: entry.certificate.fingerprint })),
  };
  const extra: Certificate[] = [];
  if (options.provisioningCertificate !== undefined) {
    manifest.provisioningCertificateSha256 = options.provisioningCertificate.fingerprint;
    extra.push(options.provisioningCertificate, ...(options.provisioningChain ?? []));
  }
  const content = encodeManifest(manifest);
  options.issued.forEach((entry, i) => {
    const spec = manifest.keyRoles.find((candidate) => candidate.role === entry.role)!;
    if (entry.certificate.keyAlgorithm !== spec.algorithm) {
      throw new ProvkitError(
        'invalid-argument',
        `the certificate for role "${entry.role}" holds a ${entry.certificate.keyAlgorithm ?? 'unsupported'} key; the role needs ${spec.algorithm}`,
        { field: `issued[${i}].certificate` },
      );
    }
  });
  const bytes = await createSignedData({
    contentType: OID_CT_CERTIFIED_PROFILE,
    content,
    signerCertificate: options.signer.certificate,
    signerKey: options.signer.privateKey,
    signerAlgorithm: options.signer.algorithm,
    certificates: [...options.signer.chain, ...options.issued.map((entry) => entry.certificate), ...options.issuedChain, ...extra],
    ...(options.signingTime === undefined ? {} : { signingTime: options.signingTime }),
  });
  return { bytes, manifest: checkedSize(bytes, manifest) };
}

function checkedSize<T>(bytes: Uint8Array, manifest: T): T {
  if (bytes.length > MAX_SIGNED_FILE_BYTES) {
    throw new ProvkitError('invalid-argument', `the profile would be ${bytes.length} bytes; the limit is ${MAX_SIGNED_FILE_BYTES}`);
  }
  return manifest;
}

function findByFingerprint(signedData: SignedDataContent, fingerprint: string, location: ErrorLocation, field: string, what: string): Certificate {
  const certificate = signedData.certificates.find((candidate) => candidate.fingerprint === fingerprint);
  if (certificate === undefined) {
    throw new ProvkitError('mismatch', `the ${what} with SHA-256 ${fingerprint} is not in the file's certificate set`, { ...location, field });
  }
  return certificate;
}

/**
 * Reads a .mcpp without checking signatures or trust (see verifyProfileToProvision).
 * Throws ProvkitError (malformed, wrong-type, bad-version, oversized, mismatch) naming the field.
 */
export function readProfileToProvision(bytes: Uint8Array, location: ErrorLocation = {}, options: ReadOptions = {}): ProfileToProvision {
  const signedData = parseSignedData(bytes, location, { maxBytes: MAX_SIGNED_FILE_BYTES, ...options });
  requireContentType(signedData, [OID_CT_PROFILE_TO_PROVISION], 'a Certified Profile to be Provisioned (.mcpp)');
  requireSignedFileStructure(signedData);
  if (signedData.content === undefined) {
    throw new ProvkitError('malformed', 'the profile has no manifest content', { ...location, field: 'encapContentInfo.eContent' });
  }
  const { manifest, warnings } = parseManifest(signedData.content, location, validateProfileToProvisionManifest);
  const provisioningCertificate =
    manifest.provisioningCertificateSha256 === undefined
      ? undefined
      : findByFingerprint(signedData, manifest.provisioningCertificateSha256, location, 'manifest.provisioningCertificateSha256', 'provisioning certificate');
  return { bytes, signedData, manifest, provisioningCertificate, warnings: [...signedData.warnings, ...prefixed(warnings, location)] };
}

/**
 * Reads a .mcp without checking signatures or trust (see verifyCertifiedProfile); every
 * referenced certificate must be in the SignedData. Throws ProvkitError naming the field.
 */
export function readCertifiedProfile(bytes: Uint8Array, location: ErrorLocation = {}, options: ReadOptions = {}): CertifiedProfile {
  const signedData = parseSignedData(bytes, location, { maxBytes: MAX_SIGNED_FILE_BYTES, ...options });
  requireContentType(signedData, [OID_CT_CERTIFIED_PROFILE], 'a Certified Profile (.mcp)');
  requireSignedFileStructure(signedData);
  if (signedData.content === undefined) {
    throw new ProvkitError('malformed', 'the profile has no manifest content', { ...location, field: 'encapContentInfo.eContent' });
  }
  const { manifest, warnings } = parseManifest(signedData.content, location, validateCertifiedProfileManifest);
  const issued = manifest.certificates.map((reference, i) => ({
    role: reference.role,
    certificate: findByFingerprint(signedData, reference.certificateSha256, location, `manifest.certificates[${i}].certificateSha256`, `certificate of role "${reference.role}"`),
  }));
  const provisioningCertificate =
    manifest.provisioningCertificateSha256 === undefined
      ? undefined
      : findByFingerprint(signedData, manifest.provisioningCertificateSha256, location, 'manifest.provisioningCertificateSha256', 'provisioning certificate');
  return { bytes, signedData, manifest, issued, provisioningCertificate, warnings: [...signedData.warnings, ...prefixed(warnings, location)] };
}

function prefixed(warnings: string[], location: ErrorLocation): string[] {
  return warnings.map((warning) => `${location.file ?? 'profile'}: ${warning}`);
}

// ---------------------------------------------------------------------------------------
// Subject templates

/** OIDs of the subject attribute short names a template may use (RFC 4519, X.520). */
export const SUBJECT_ATTRIBUTE_OIDS: Readonly<Record<string, string>> = {
  CN: '2.5.4.3',
  O: '2.5.4.10',
  OU: '2.5.4.11',
  C: '2.5.4.6',
  L: '2.5.4.7',
  ST: '2.5.4.8',
  serialNumber: '2.5.4.5',
};

/** Values substituted for the placeholders of a subject template. */
export interface SubjectTemplateValues {
  hardwareId: string;
  componentHandle: string;
  role: string;
  systemId: string;
  requestId: string;
}

/**
 * Expands a subject template into the subject's attributes, one RDN each, in order.
 * Throws ProvkitError('invalid-argument') when an expanded C is not two letters.
 */
export function expandSubjectTemplate(template: SubjectTemplateAttribute[], values: SubjectTemplateValues): NameAttribute[] {
  return template.map((attribute, i) => {
    const value = attribute.value.replace(/\{(hardwareId|componentHandle|role|systemId|requestId)\}/g, (_, name: keyof SubjectTemplateValues) => values[name]);
    const oid = SUBJECT_ATTRIBUTE_OIDS[attribute.type] ?? attribute.type;
    if (attribute.type === 'C' && !/^[A-Z]{2}$/.test(value)) {
      throw new ProvkitError('invalid-argument', `country "${value}" is not a two-letter ISO 3166 code`, { field: `subjectTemplate[${i}].value` });
    }
    // RFC 5280 appendix A: serialNumber is a PrintableString, whose alphabet lacks "_" (which a
    // hardware id may contain) and every non-ASCII character.
    if (attribute.type === 'serialNumber' && !/^[A-Za-z0-9 '()+,\-./:=?]+$/.test(value)) {
      throw new ProvkitError('invalid-argument', `serialNumber "${value}" has characters outside PrintableString (A-Z a-z 0-9 space ' ( ) + , - . / : = ?)`, {
        field: `subjectTemplate[${i}].value`,
      });
    }
    const result: NameAttribute = { type: oid, value };
    if (SUBJECT_ATTRIBUTE_OIDS[attribute.type] !== undefined) result.shortName = attribute.type;
    return result;
  });
}

// ---------------------------------------------------------------------------------------
// Cross-file checks

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((value) => b.includes(value));
}

/**
 * Checks that a request fits the .mcpp it names: same system, component and
 * profile id, and exactly one CSR per key role with the role's algorithm. Returns mismatches.
 */
export function checkRequestAgainstProfile(request: ProvisionRequest, profile: ProfileToProvision | CertifiedProfile): VerificationFailure[] {
  const failures: VerificationFailure[] = [];
  const file = request.signedData.location.file ?? 'request';
  const add = (field: string, message: string): void => {
    failures.push({ code: 'mismatch', message: `${file}: ${field}: ${message}` });
  };
  const r = request.manifest;
  const p = profile.manifest;
  if (r.systemId !== p.systemId) add('manifest.systemId', `system ${r.systemId} differs from the profile's ${p.systemId}`);
  if (r.componentHandle !== p.componentHandle) add('manifest.componentHandle', `component "${r.componentHandle}" differs from the profile's "${p.componentHandle}"`);
  if (r.profileId !== p.profileId) add('manifest.profileId', `profile ${r.profileId} differs from the profile's ${p.profileId}`);
  r.csrs.forEach((entry, i) => {
    const spec = p.keyRoles.find((candidate) => candidate.role === entry.role);
    if (spec === undefined) add(`manifest.csrs[${i}].role`, `role "${entry.role}" is not a key role of the profile`);
    else if (spec.algorithm !== entry.algorithm) add(`manifest.csrs[${i}].algorithm`, `role "${entry.role}" must use ${spec.algorithm}, not ${entry.algorithm}`);
  });
  for (const spec of p.keyRoles) {
    if (!r.csrs.some((entry) => entry.role === spec.role)) add('manifest.csrs', `no CSR for key role "${spec.role}"`);
  }
  return failures;
}

/**
 * Checks that a .mcp was issued for `request`: same request id, hardware id, system, component and
 * profile, and each issued certificate contains the public key of the CSR of its role.
 * Returns mismatches.
 */
export function checkProfileAnswersRequest(profile: CertifiedProfile, request: ProvisionRequest): VerificationFailure[] {
  const failures: VerificationFailure[] = [];
  const file = profile.signedData.location.file ?? 'profile';
  const add = (field: string, message: string): void => {
    failures.push({ code: 'mismatch', message: `${file}: ${field}: ${message}` });
  };
  const p = profile.manifest;
  const r = request.manifest;
  if (p.requestId !== r.requestId) add('manifest.requestId', `answers request ${p.requestId}, not ${r.requestId}`);
  if (p.hardwareId !== r.hardwareId) add('manifest.hardwareId', `is for hardware id "${p.hardwareId}", the request for "${r.hardwareId}"`);
  if (p.systemId !== r.systemId) add('manifest.systemId', `system ${p.systemId} differs from the request's ${r.systemId}`);
  if (p.componentHandle !== r.componentHandle) add('manifest.componentHandle', `component "${p.componentHandle}" differs from the request's "${r.componentHandle}"`);
  if (p.profileId !== r.profileId) add('manifest.profileId', `profile ${p.profileId} differs from the request's ${r.profileId}`);
  profile.issued.forEach((entry, i) => {
    const index = r.csrs.findIndex((csr) => csr.role === entry.role);
    const csr = request.csrs[index];
    if (csr === undefined) add(`manifest.certificates[${i}].role`, `the request has no CSR for role "${entry.role}"`);
    else if (!bytesEqual(csr.spki, entry.certificate.spki)) {
      add(`manifest.certificates[${i}]`, `the certificate of role "${entry.role}" does not hold the public key of the request's CSR`);
    }
  });
  return failures;
}

/**
 * Checks an issued certificate against its key role: key algorithm, key usage and extended
 * key usage equal to the role's, subject equal to the expanded template. Returns mismatches.
 */
export function checkIssuedCertificate(
  certificate: Certificate,
  spec: KeyRoleSpec,
  values: SubjectTemplateValues,
  where: string,
): VerificationFailure[] {
  const failures: VerificationFailure[] = [];
  const add = (message: string): void => {
    failures.push({ code: 'mismatch', message: `${where}: ${message}`, certificate: certificate.subjectName });
  };
  if (certificate.keyAlgorithm !== spec.algorithm) add(`holds a ${certificate.keyAlgorithm ?? 'unsupported'} key; role "${spec.role}" needs ${spec.algorithm}`);
  if (!sameSet(certificate.keyUsage ?? [], spec.keyUsage)) {
    add(`key usage ${(certificate.keyUsage ?? []).join(', ') || 'none'} differs from the role's ${spec.keyUsage.join(', ')}`);
  }
  if (!sameSet(certificate.extendedKeyUsage ?? [], spec.extendedKeyUsage)) {
    add(`extended key usage ${(certificate.extendedKeyUsage ?? []).join(', ') || 'none'} differs from the role's ${spec.extendedKeyUsage.join(', ') || 'none'}`);
  }
  let expected: NameAttribute[] | undefined;
  try {
    expected = expandSubjectTemplate(spec.subjectTemplate, values);
  } catch {
    expected = undefined;
  }
  const subject = certificate.subject;
  const sameSubject =
    expected !== undefined &&
    expected.length === subject.length &&
    expected.every((attribute, i) => subject[i]!.type === attribute.type && subject[i]!.value === attribute.value);
  if (!sameSubject) add(`subject "${certificate.subjectName}" is not the role's subject template expanded for this device`);
  return failures;
}
