/**
 * Verification of every signed provkit file. The CMS signature is checked over the exact
 * received bytes, then the signer's path to the TrustStore's anchors at the signing time and
 * now, with the extended key usage the file type requires (docs/formats.md). Then come the
 * checks specific to each type. Verifiers never throw for bad input: a file they cannot read
 * becomes a result with one failure carrying the reader's code.
 */
import { ProvkitError, type ErrorLocation } from '../errors.js';
import { CertificateCache, verifySignedData, type SignedFileVerification } from './cms.js';
import { verifyCertificationRequest } from './csr.js';
import { detectFileType, type DetectedFileType } from './detect.js';
import {
  OID_ANY_EXTENDED_KEY_USAGE,
  OID_KP_DEVICE_IDENTITY,
  OID_KP_PROFILE_SIGNING,
  OID_KP_PROVISIONING_IDENTITY,
  OID_KP_PROXY,
} from './oids.js';
import { PathValidationCache, validatePath } from './path.js';
import {
  checkIssuedCertificate,
  checkProfileAnswersRequest,
  readCertifiedProfile,
  readProfileToProvision,
  type CertifiedProfile,
  type ProfileToProvision,
} from './profile.js';
import { innerRequestLocation, readProvisionRequest, type ProvisionRequest } from './request.js';
import type { VerificationFailure } from './verification.js';
import type { Certificate } from './x509.js';

/**
 * State shared by the verifications of a batch: memoised path validations and certificates
 * parsed once per distinct DER. Reuse one instance for files that share signers.
 */
export class VerificationCache {
  readonly paths = new PathValidationCache();
  readonly certificates = new CertificateCache();
}

/** Options of the verifiers. */
export interface VerifyOptions {
  /** The trust anchors: the certificates of the system's TrustStore. */
  anchors: Certificate[];
  /** The verification time ("now"); default the current time. */
  time?: Date;
  /** File name for messages. */
  file?: string;
  /** Shared state of a batch; a bare PathValidationCache memoises path validation only. */
  cache?: VerificationCache | PathValidationCache;
}

/** Result of verifying a .mcpr: the device signer's result, the proxy's when proxied, and the request. */
export interface ProvisionRequestVerification extends SignedFileVerification {
  request: ProvisionRequest | undefined;
  /** The proxy's outer signature and path, when the request arrived proxied. */
  proxy: SignedFileVerification | undefined;
}

/** Result of verifying a .mcpp. */
export interface ProfileToProvisionVerification extends SignedFileVerification {
  profile: ProfileToProvision | undefined;
}

/** Result of verifying a .mcp. */
export interface CertifiedProfileVerification extends SignedFileVerification {
  profile: CertifiedProfile | undefined;
}

/** Extended key usage the signer of each signed type must carry. */
export const REQUIRED_SIGNER_USAGE = {
  mcprInitial: OID_KP_PROVISIONING_IDENTITY,
  mcprReprovision: OID_KP_DEVICE_IDENTITY,
  proxy: OID_KP_PROXY,
  mcpp: OID_KP_PROFILE_SIGNING,
  mcp: OID_KP_PROFILE_SIGNING,
} as const;

function unreadable(error: unknown): SignedFileVerification {
  // Only input problems become results; anything else is a defect and propagates.
  if (!(error instanceof ProvkitError)) throw error;
  return { ok: false, failures: [{ code: error.code, message: error.message }], warnings: [], signer: undefined, chain: [], signingTime: undefined };
}

function location(options: VerifyOptions): ErrorLocation {
  return options.file === undefined ? {} : { file: options.file };
}

function pathCache(options: VerifyOptions): { cache?: PathValidationCache } {
  if (options.cache === undefined) return {};
  return { cache: options.cache instanceof VerificationCache ? options.cache.paths : options.cache };
}

function signedDataOptions(options: VerifyOptions, requiredExtendedKeyUsage: string) {
  return {
    anchors: options.anchors,
    time: options.time ?? new Date(),
    requiredExtendedKeyUsage: [requiredExtendedKeyUsage],
    ...pathCache(options),
  };
}

function readOptions(options: VerifyOptions): { certificateCache?: CertificateCache } {
  return options.cache instanceof VerificationCache ? { certificateCache: options.cache.certificates } : {};
}

/**
 * Verifies a .mcpr, plain or proxied: the proxy's signature and path (usage proxy), the
 * device's signature and path (provisioning identity for `initial`, device identity for
 * `reprovision`) and each CSR's proof of possession. ok only when all pass.
 */
export async function verifyProvisionRequest(bytes: Uint8Array, options: VerifyOptions): Promise<ProvisionRequestVerification> {
  let request: ProvisionRequest;
  try {
    request = readProvisionRequest(bytes, location(options), readOptions(options));
  } catch (error) {
    return { ...unreadable(error), request: undefined, proxy: undefined };
  }

  const usage = request.manifest.purpose === 'initial' ? REQUIRED_SIGNER_USAGE.mcprInitial : REQUIRED_SIGNER_USAGE.mcprReprovision;
  const file = request.proxy === undefined ? location(options).file : innerRequestLocation(location(options)).file;
  // The signature checks are independent; WebCrypto can run them in parallel.
  const [proxy, device, csrOutcomes] = await Promise.all([
    request.proxy === undefined ? undefined : verifySignedData(request.proxy, signedDataOptions(options, REQUIRED_SIGNER_USAGE.proxy)),
    verifySignedData(request.signedData, signedDataOptions(options, usage)),
    Promise.all(request.csrs.map((csr) => verifyCertificationRequest(csr))),
  ]);

  const csrFailures: VerificationFailure[] = [];
  csrOutcomes.forEach((outcome, i) => {
    const where = `${file === undefined ? '' : `${file}: `}manifest.csrs[${i}].csr`;
    const role = request.manifest.csrs[i]!.role;
    if (outcome === 'invalid') csrFailures.push({ code: 'signature-invalid', message: `${where}: the CSR for role "${role}" has an invalid signature (no proof of possession)` });
    if (outcome === 'unsupported') csrFailures.push({ code: 'unsupported', message: `${where}: the CSR for role "${role}" uses a signature algorithm provkit does not support` });
  });

  const failures = [...(proxy?.failures ?? []), ...device.failures, ...csrFailures];
  return {
    ok: failures.length === 0,
    failures,
    warnings: [...request.warnings, ...(proxy?.warnings ?? []).filter((warning) => !request.warnings.includes(warning)), ...device.warnings.filter((warning) => !request.warnings.includes(warning))],
    signer: device.signer,
    chain: device.chain,
    signingTime: device.signingTime,
    request,
    proxy,
  };
}

/**
 * Verifies a batch of .mcpr files with one shared cache, `concurrency` files at a time, and
 * returns the results in input order. Never throws for bad input.
 */
export async function verifyProvisionRequests(
  files: { bytes: Uint8Array; file?: string }[],
  options: Omit<VerifyOptions, 'file'>,
  concurrency = 4,
): Promise<ProvisionRequestVerification[]> {
  const cache = options.cache ?? new VerificationCache();
  const results: ProvisionRequestVerification[] = new Array(files.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < files.length) {
      const index = next++;
      const entry = files[index]!;
      results[index] = await verifyProvisionRequest(entry.bytes, { ...options, cache, ...(entry.file === undefined ? {} : { file: entry.file }) });
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, files.length)) }, worker));
  return results;
}

/**
 * Verifies a .mcpp: the profile signer's signature and path (usage profile signing) and,
 * when the profile names a provisioning certificate, that certificate's path now.
 */
export async function verifyProfileToProvision(bytes: Uint8Array, options: VerifyOptions): Promise<ProfileToProvisionVerification> {
  let profile: ProfileToProvision;
  try {
    profile = readProfileToProvision(bytes, location(options), readOptions(options));
  } catch (error) {
    return { ...unreadable(error), profile: undefined };
  }
  const result = await verifySignedData(profile.signedData, signedDataOptions(options, REQUIRED_SIGNER_USAGE.mcpp));
  const failures = [...result.failures];
  if (profile.provisioningCertificate !== undefined) {
    failures.push(
      ...(await checkCertificatePath(profile.provisioningCertificate, profile.signedData.certificates, options, {
        where: `${options.file ?? 'profile'}: manifest.provisioningCertificateSha256`,
        requiredExtendedKeyUsage: [OID_KP_PROVISIONING_IDENTITY],
        requiredKeyUsage: ['digitalSignature'],
        // The device signs its .mcpr with this certificate, and that signer must list the usage.
        explicitUsage: true,
      })),
    );
  }
  return { ...result, ok: failures.length === 0, failures, warnings: [...new Set([...profile.warnings, ...result.warnings])], profile };
}

/**
 * Verifies a .mcp: the profile signer's signature and path (usage profile signing), then each
 * issued certificate against its key role and its path to the anchors now. When `request` is
 * given, it also checks that the profile was issued for that request.
 */
export async function verifyCertifiedProfile(bytes: Uint8Array, options: VerifyOptions & { request?: ProvisionRequest }): Promise<CertifiedProfileVerification> {
  let profile: CertifiedProfile;
  try {
    profile = readCertifiedProfile(bytes, location(options), readOptions(options));
  } catch (error) {
    return { ...unreadable(error), profile: undefined };
  }
  const result = await verifySignedData(profile.signedData, signedDataOptions(options, REQUIRED_SIGNER_USAGE.mcp));
  const failures = [...result.failures];
  const manifest = profile.manifest;
  for (const [i, issued] of profile.issued.entries()) {
    const spec = manifest.keyRoles.find((candidate) => candidate.role === issued.role)!;
    const where = `${options.file ?? 'profile'}: manifest.certificates[${i}]`;
    failures.push(
      ...checkIssuedCertificate(
        issued.certificate,
        spec,
        { hardwareId: manifest.hardwareId, componentHandle: manifest.componentHandle, role: spec.role, systemId: manifest.systemId, requestId: manifest.requestId },
        where,
      ),
    );
    failures.push(
      ...(await checkCertificatePath(issued.certificate, profile.signedData.certificates, options, {
        where,
        requiredExtendedKeyUsage: spec.extendedKeyUsage,
        requiredKeyUsage: spec.keyUsage,
      })),
    );
  }
  if (options.request !== undefined) failures.push(...checkProfileAnswersRequest(profile, options.request));
  return { ...result, ok: failures.length === 0, failures, warnings: [...new Set([...profile.warnings, ...result.warnings])], profile };
}

async function checkCertificatePath(
  certificate: Certificate,
  fileCertificates: Certificate[],
  options: VerifyOptions,
  check: {
    where: string;
    requiredExtendedKeyUsage: string[];
    requiredKeyUsage: NonNullable<Certificate['keyUsage']>;
    /** The certificate must list every required usage itself: no extKeyUsage or anyExtendedKeyUsage alone fails, as for a signer. */
    explicitUsage?: boolean;
  },
): Promise<VerificationFailure[]> {
  const result = await validatePath(certificate, {
    anchors: options.anchors,
    intermediates: fileCertificates.filter((candidate) => candidate !== certificate),
    time: options.time ?? new Date(),
    requiredKeyUsage: check.requiredKeyUsage,
    requiredExtendedKeyUsage: check.requiredExtendedKeyUsage,
    requireExtendedKeyUsagePresent: check.explicitUsage === true,
    ...pathCache(options),
  });
  const failures = result.failures.map((failure) => {
    const mapped: VerificationFailure = { code: failure.code, message: `${check.where}: ${failure.message}` };
    if (failure.certificate !== undefined) mapped.certificate = failure.certificate;
    return mapped;
  });
  const listed = certificate.extendedKeyUsage ?? [];
  const implicit = check.requiredExtendedKeyUsage.filter((oid) => !listed.includes(oid));
  if (check.explicitUsage === true && listed.includes(OID_ANY_EXTENDED_KEY_USAGE) && implicit.length > 0) {
    failures.push({
      code: 'wrong-usage',
      message: `${check.where}: "${certificate.subjectName}" has only anyExtendedKeyUsage; it must list ${implicit.join(', ')}`,
      certificate: certificate.subjectName,
    });
  }
  return failures;
}

/** Result of verifyFile: the detected type, the verification and what the verifier of that type returns. */
export interface FileVerification extends SignedFileVerification {
  type: DetectedFileType;
  request?: ProvisionRequest | undefined;
  proxy?: SignedFileVerification | undefined;
  profile?: ProfileToProvision | CertifiedProfile | undefined;
}

/**
 * Detects the type of a signed provkit file and verifies it. With `expectedType`, a file of
 * another type fails with wrong-type. Files that carry no signature (TrustStore, identity
 * containers, certificates, CSRs) fail with wrong-type: there is nothing to verify.
 */
export async function verifyFile(bytes: Uint8Array, options: VerifyOptions & { expectedType?: 'mcpr' | 'mcpp' | 'mcp' }): Promise<FileVerification> {
  const detected = detectFileType(bytes, options.file);
  const type = options.expectedType ?? detected;
  if (options.expectedType !== undefined && detected !== options.expectedType && detected !== 'unknown') {
    return {
      type: detected,
      ...unreadable(new ProvkitError('wrong-type', `this file is a ${describeType(detected)}; expected a ${describeType(options.expectedType)}`, location(options))),
    };
  }
  switch (type) {
    case 'mcpr':
      return { type, ...(await verifyProvisionRequest(bytes, options)) };
    case 'mcpp':
      return { type, ...(await verifyProfileToProvision(bytes, options)) };
    case 'mcp':
      return { type, ...(await verifyCertifiedProfile(bytes, options)) };
    default:
      return { type, ...unreadable(new ProvkitError('wrong-type', unverifiableTypeMessage(type), location(options))) };
  }
}

function unverifiableTypeMessage(type: DetectedFileType): string {
  const accepted = 'only a Provision Request (.mcpr), a Certified Profile to be Provisioned (.mcpp) or a Certified Profile (.mcp) can be verified';
  if (type === 'unknown') return `the file is not a provkit file, an X.509 certificate or a PKCS #10 request; ${accepted}`;
  return `the file is a ${describeType(type)}; ${accepted}`;
}

const TYPE_NAMES: Record<DetectedFileType, string> = {
  mcts: 'TrustStore (.mcts)',
  mcpr: 'Provision Request (.mcpr)',
  mcpp: 'Certified Profile to be Provisioned (.mcpp)',
  mcp: 'Certified Profile (.mcp)',
  mcpip: 'Private Identity to be Provisioned (.mcpip)',
  mcpi: 'Private Identity (.mcpi)',
  certificate: 'X.509 certificate',
  csr: 'PKCS #10 certification request',
  unknown: 'file of unknown type',
};

/** Returns the readable name of a detected file type, for messages. */
export function describeType(type: DetectedFileType): string {
  return TYPE_NAMES[type];
}
