import { ProvkitError, type ErrorCode } from '../errors.js';
import { generateKeyPair, importPrivateKey, type KeyAlgorithmName } from '../crypto/algorithms.js';
import { sign, signatureAlgorithmIdentifier, verifySignature } from '../crypto/signature.js';
import type { KeyDerivation } from '../crypto/wasm.js';
import { detectFileType } from '../formats/detect.js';
import { decryptPrivateIdentity, type IdentityKey, type PrivateIdentity } from '../formats/identity.js';
import type { KeyRoleSpec } from '../formats/manifest.js';
import { OID_KP_DEVICE_IDENTITY, OID_KP_PROVISIONING_IDENTITY } from '../formats/oids.js';
import { validatePath } from '../formats/path.js';
import type { CertifiedProfile, ProfileToProvision } from '../formats/profile.js';
import type { SignerIdentity } from '../formats/request.js';
import { readTrustStore, type TrustStore } from '../formats/truststore.js';
import { VerificationCache, verifyCertifiedProfile, verifyProfileToProvision } from '../formats/verify.js';
import { parseCertificate, type Certificate } from '../formats/x509.js';

/** The files a device starts from: a provisioning package, or its current identity for reprovisioning. */
export interface DeviceFiles {
  /** `.mcts`: the system's trust anchors. */
  trustStore: Uint8Array;
  /** `.mcpp` for first provisioning, the device's current `.mcp` for reprovisioning. */
  profile: Uint8Array;
  /** `.mcpip` (provisioning identity) for first provisioning, the current `.mcpi` for reprovisioning. */
  identity: Uint8Array;
  /** File names for messages. */
  names?: { trustStore?: string; profile?: string; identity?: string };
}

/** One problem found in a package, with its error code. */
export interface PackageProblem {
  code: ErrorCode;
  message: string;
}

/** Device state after a successful check: anchors, key roles and the identity that signs requests. */
export interface DeviceSession {
  purpose: 'initial' | 'reprovision';
  anchors: Certificate[];
  systemId: string;
  componentHandle: string;
  profileId: string;
  keyRoles: KeyRoleSpec[];
  /** The provisioning identity (initial) or the current device identity (reprovision). */
  signer: SignerIdentity;
  /** The hardware id of the current identity when reprovisioning. */
  currentHardwareId?: string;
}

/** Outcome of {@link checkProvisioningPackage}: every problem, and the session when there is none. */
export interface PackageCheckResult {
  ok: boolean;
  purpose: 'initial' | 'reprovision';
  problems: PackageProblem[];
  warnings: string[];
  session?: DeviceSession;
}

const supportCache = new Map<KeyAlgorithmName, Promise<boolean>>();

/**
 * Returns whether this runtime's WebCrypto can generate keys of `algorithm`. ECDSA and RSA are
 * part of every WebCrypto; Ed25519 is probed once by generating a key.
 */
export function supportsKeyAlgorithm(algorithm: KeyAlgorithmName): Promise<boolean> {
  if (algorithm !== 'ed25519') return Promise.resolve(true);
  let probe = supportCache.get(algorithm);
  if (probe === undefined) {
    probe = generateKeyPair(algorithm).then(() => true, () => false);
    supportCache.set(algorithm, probe);
  }
  return probe;
}

/**
 * Returns whether `privateKey` belongs to the public key in `spki`, by signing a random
 * challenge and verifying it: PKCS#8 need not carry the public key, so comparing keys directly
 * is not possible for every algorithm.
 */
export async function privateKeyMatches(privateKey: CryptoKey, algorithm: KeyAlgorithmName, spki: Uint8Array): Promise<boolean> {
  const challenge = crypto.getRandomValues(new Uint8Array(32));
  const signature = await sign(privateKey, algorithm, challenge);
  return (await verifySignature(spki, signatureAlgorithmIdentifier(algorithm), challenge, signature)) === 'valid';
}

/**
 * Checks a provisioning package (or, for reprovisioning, a current `.mcp` and `.mcpi`) and
 * reports every problem with its code. The TrustStore must be readable and the profile's
 * signature must chain to it. The identity must decrypt, belong to the profile's system and
 * component, and hold a key that matches its certificate. That certificate must chain to the
 * TrustStore with the right usage, with nothing on the path expired, and every algorithm of
 * the profile must be supported here. Never throws for bad input.
 */
export async function checkProvisioningPackage(
  files: DeviceFiles,
  options: { passphrase: string; kdf: KeyDerivation; time?: Date; signal?: AbortSignal },
): Promise<PackageCheckResult> {
  const time = options.time ?? new Date();
  const names = { trustStore: files.names?.trustStore ?? 'truststore.mcts', profile: files.names?.profile ?? 'profile', identity: files.names?.identity ?? 'identity' };
  const problems: PackageProblem[] = [];
  const warnings: string[] = [];
  const problem = (code: ErrorCode, message: string): void => {
    problems.push({ code, message });
  };
  const fromError = (error: unknown): void => {
    if (!(error instanceof ProvkitError)) throw error;
    problem(error.code, error.message);
  };

  const profileType = detectFileType(files.profile, names.profile);
  const purpose = profileType === 'mcp' ? 'reprovision' : 'initial';

  let trustStore: TrustStore | undefined;
  try {
    trustStore = readTrustStore(files.trustStore, { file: names.trustStore });
    warnings.push(...trustStore.warnings);
  } catch (error) {
    fromError(error);
  }

  let profile: ProfileToProvision | CertifiedProfile | undefined;
  if (profileType !== 'mcpp' && profileType !== 'mcp') {
    problem('wrong-type', `${names.profile}: expected a Certified Profile to be Provisioned (.mcpp), or a Certified Profile (.mcp) for reprovisioning`);
  } else if (trustStore !== undefined) {
    const verifyOptions = { anchors: trustStore.certificates, time, file: names.profile, cache: new VerificationCache() };
    const verification = profileType === 'mcpp' ? await verifyProfileToProvision(files.profile, verifyOptions) : await verifyCertifiedProfile(files.profile, verifyOptions);
    for (const failure of verification.failures) problem(failure.code, failure.message);
    warnings.push(...verification.warnings);
    profile = verification.profile;
  }

  let identity: PrivateIdentity | undefined;
  try {
    identity = await decryptPrivateIdentity(files.identity, options.passphrase, { kdf: options.kdf, file: names.identity, ...(options.signal !== undefined ? { signal: options.signal } : {}) });
  } catch (error) {
    fromError(error);
  }
  const expectedKind = purpose === 'initial' ? 'mcpip' : 'mcpi';
  if (identity !== undefined && identity.kind !== expectedKind) {
    problem('wrong-type', `${names.identity}: is a .${identity.kind}; ${purpose === 'initial' ? 'first provisioning needs the package .mcpip' : 'reprovisioning needs the current .mcpi'}`);
    identity = undefined;
  }

  if (profile !== undefined) {
    for (const [index, role] of profile.manifest.keyRoles.entries()) {
      if (!(await supportsKeyAlgorithm(role.algorithm))) {
        problem('unsupported', `${names.profile}: manifest.keyRoles[${index}].algorithm: ${role.algorithm} (role "${role.role}") cannot be generated by this runtime's WebCrypto`);
      }
    }
  }

  let signer: SignerIdentity | undefined;
  if (identity !== undefined) {
    if (profile !== undefined) {
      if (identity.systemId !== profile.manifest.systemId) {
        problem('mismatch', `${names.identity}: belongs to system ${identity.systemId}, the profile to ${profile.manifest.systemId}`);
      }
      if (identity.componentHandle !== profile.manifest.componentHandle) {
        problem('mismatch', `${names.identity}: belongs to component "${identity.componentHandle}", the profile to "${profile.manifest.componentHandle}"`);
      }
    }
    signer = await checkSignerKey(identity, purpose, names.identity, problem);
    if (signer !== undefined && profile !== undefined && purpose === 'initial') {
      const expected = profile.manifest.provisioningCertificateSha256;
      if (expected !== undefined && expected !== signer.certificate.fingerprint) {
        problem('mismatch', `${names.identity}: the provisioning certificate is not the one the profile names (SHA-256 ${expected}); use the .mcpip exported with this .mcpp`);
      }
    }
    if (signer !== undefined && trustStore !== undefined) {
      const path = await validatePath(signer.certificate, {
        anchors: trustStore.certificates,
        intermediates: signer.chain,
        time,
        requiredKeyUsage: ['digitalSignature'],
        requiredExtendedKeyUsage: [purpose === 'initial' ? OID_KP_PROVISIONING_IDENTITY : OID_KP_DEVICE_IDENTITY],
      });
      for (const failure of path.failures) problem(failure.code, `${names.identity}: ${purpose === 'initial' ? 'provisioning' : 'device identity'} certificate: ${failure.message}`);
    }
    if (purpose === 'reprovision' && identity.hardwareId === undefined) {
      problem('malformed', `${names.identity}: the current identity records no hardware id`);
    }
    if (purpose === 'reprovision' && profile !== undefined && 'hardwareId' in profile.manifest && profile.manifest.hardwareId !== identity.hardwareId) {
      problem('mismatch', `${names.identity}: is for hardware id "${identity.hardwareId ?? ''}", the profile for "${profile.manifest.hardwareId}"`);
    }
  }

  const result: PackageCheckResult = { ok: problems.length === 0, purpose, problems, warnings };
  if (result.ok && profile !== undefined && signer !== undefined && trustStore !== undefined && identity !== undefined) {
    result.session = {
      purpose,
      anchors: trustStore.certificates,
      systemId: profile.manifest.systemId,
      componentHandle: profile.manifest.componentHandle,
      profileId: profile.manifest.profileId,
      keyRoles: profile.manifest.keyRoles,
      signer,
      ...(identity.hardwareId !== undefined && purpose === 'reprovision' ? { currentHardwareId: identity.hardwareId } : {}),
    };
  }
  return result;
}

/**
 * Finds the key that signs requests (the provisioning key, or for reprovisioning the key whose
 * certificate carries the device identity usage), imports it and checks it against its certificate.
 */
async function checkSignerKey(
  identity: PrivateIdentity,
  purpose: 'initial' | 'reprovision',
  file: string,
  problem: (code: ErrorCode, message: string) => void,
): Promise<SignerIdentity | undefined> {
  let key: IdentityKey | undefined;
  let certificate: Certificate | undefined;
  for (const candidate of identity.keys) {
    if (candidate.certificate === undefined) continue;
    const parsed = parseCertificate(candidate.certificate, { file, field: `keys[${candidate.role}].certificate` });
    const usable = purpose === 'initial' ? candidate.role === 'provisioning' || identity.keys.length === 1 : parsed.extendedKeyUsage?.includes(OID_KP_DEVICE_IDENTITY) === true;
    if (usable) {
      key = candidate;
      certificate = parsed;
      break;
    }
  }
  if (key === undefined || certificate === undefined) {
    problem(
      'not-found',
      purpose === 'initial'
        ? `${file}: contains no provisioning key with a certificate`
        : `${file}: contains no key whose certificate has the device identity usage, so it cannot sign a reprovisioning request`,
    );
    return undefined;
  }
  let privateKey: CryptoKey;
  let algorithm: KeyAlgorithmName;
  try {
    ({ privateKey, algorithm } = await importPrivateKey(key.pkcs8, { file, field: `keys[${key.role}]` }, key.algorithm));
  } catch (error) {
    if (!(error instanceof ProvkitError)) throw error;
    problem(error.code, error.message);
    return undefined;
  }
  if (!(await privateKeyMatches(privateKey, algorithm, certificate.spki))) {
    problem('mismatch', `${file}: the ${key.role} key does not match the public key of its certificate "${certificate.subjectName}"`);
    return undefined;
  }
  const chain = (key.chain ?? []).map((der, index) => parseCertificate(der, { file, field: `keys[${key.role}].chain[${index}]` }));
  return { certificate, privateKey, algorithm, chain };
}
