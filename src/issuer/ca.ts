import { ProvkitError } from '../errors.js';
import { exportPkcs8, exportSpki, generateKeyPair, importPrivateKey, type KeyAlgorithmName } from '../crypto/algorithms.js';
import { issueCertificate, parseCertificate, type Certificate, type NameAttribute } from '../formats/x509.js';
import type { Argon2idParameters, KeyDerivation } from '../crypto/wasm.js';
import { decryptPrivateIdentity, encryptPrivateIdentity } from '../formats/identity.js';
import { OID_KP_PROFILE_SIGNING, OID_KP_PROVISIONING_IDENTITY, OID_KP_PROXY } from '../formats/oids.js';
import type { CaRecord, SystemRecord } from './store.js';

const DAY_MS = 86_400_000;

/** Roles of the CA keys inside the system's encrypted key container. */
export const CA_KEY_ROLES = ['root', 'issuing-ca', 'profile-signer', 'provisioning-ca'] as const;
/** One of {@link CA_KEY_ROLES}. */
export type CaKeyRole = (typeof CA_KEY_ROLES)[number];

/** A CA certificate with its private key, after the system's keys were decrypted. */
export interface CaSigner {
  certificate: Certificate;
  privateKey: CryptoKey;
  algorithm: KeyAlgorithmName;
}

/** The decrypted CA hierarchy of a system, held in memory while an operator works. */
export interface UnlockedCa {
  systemId: string;
  root: CaSigner;
  issuingCa: CaSigner;
  profileSigner: CaSigner;
  provisioningCa: CaSigner;
}

/** How to encrypt the CA keys: the key-derivation function and, for tests only, cheaper parameters. */
export interface KeyProtection {
  kdf: KeyDerivation;
  /** Argon2id parameters; omit to use the container's defaults. */
  kdfParameters?: Argon2idParameters;
}

function nameOf(commonName: string, systemName: string): NameAttribute[] {
  return [
    { type: '2.5.4.10', shortName: 'O', value: systemName },
    { type: '2.5.4.3', shortName: 'CN', value: commonName },
  ];
}

/**
 * Creates a system's CA hierarchy. The self-signed root has path length 1. Under it, an
 * issuing CA for device certificates and a provisioning CA for provisioning identities have
 * path length 0, and the profile signer is an end entity with the profile signing usage.
 * Returns the certificates and the four private keys encrypted under `passphrase`.
 */
export async function createCaHierarchy(options: {
  systemId: string;
  systemName: string;
  algorithm: KeyAlgorithmName;
  validityDays: number;
  passphrase: string;
  protection: KeyProtection;
  now: Date;
  signal?: AbortSignal;
}): Promise<{ record: CaRecord; unlocked: UnlockedCa }> {
  const { algorithm, systemName, now } = options;
  const notBefore = new Date(Math.floor(now.getTime() / 1000) * 1000 - 60_000);
  const notAfter = new Date(notBefore.getTime() + options.validityDays * DAY_MS);

  const rootKeys = await generateKeyPair(algorithm);
  const rootName = nameOf(`${systemName} Root CA`, systemName);
  const root = await issueCertificate({
    subject: rootName,
    subjectSpki: await exportSpki(rootKeys.publicKey),
    issuerKey: rootKeys.privateKey,
    issuerAlgorithm: algorithm,
    notBefore,
    notAfter,
    ca: { pathLength: 1 },
  });
  const rootSigner: CaSigner = { certificate: root, privateKey: rootKeys.privateKey, algorithm };

  const subordinate = async (commonName: string, extra: { ca?: { pathLength?: number }; extendedKeyUsage?: string[] }): Promise<CaSigner> => {
    const keys = await generateKeyPair(algorithm);
    const certificate = await issueCertificate({
      subject: nameOf(commonName, systemName),
      subjectSpki: await exportSpki(keys.publicKey),
      issuer: root,
      issuerKey: rootKeys.privateKey,
      issuerAlgorithm: algorithm,
      notBefore,
      notAfter,
      ...(extra.ca !== undefined ? { ca: extra.ca } : { keyUsage: ['digitalSignature'], extendedKeyUsage: extra.extendedKeyUsage ?? [] }),
    });
    return { certificate, privateKey: keys.privateKey, algorithm };
  };
  const issuingCa = await subordinate(`${systemName} Issuing CA`, { ca: { pathLength: 0 } });
  const provisioningCa = await subordinate(`${systemName} Provisioning CA`, { ca: { pathLength: 0 } });
  const profileSigner = await subordinate(`${systemName} Profile Signer`, { extendedKeyUsage: [OID_KP_PROFILE_SIGNING] });

  const unlocked: UnlockedCa = { systemId: options.systemId, root: rootSigner, issuingCa, profileSigner, provisioningCa };
  const signers: Record<CaKeyRole, CaSigner> = { root: rootSigner, 'issuing-ca': issuingCa, 'profile-signer': profileSigner, 'provisioning-ca': provisioningCa };
  const keys = [];
  for (const role of CA_KEY_ROLES) {
    const signer = signers[role];
    keys.push({ role, algorithm, pkcs8: await exportPkcs8(signer.privateKey), certificate: signer.certificate.der });
  }
  const encryptedKeys = await encryptPrivateIdentity(
    { kind: 'issuer-keys', systemId: options.systemId, componentHandle: 'issuer-ca', keys },
    options.passphrase,
    withParameters({ kdf: options.protection.kdf, signal: options.signal }, options.protection.kdfParameters),
  );
  return {
    record: { root: root.der, issuingCa: issuingCa.certificate.der, profileSigner: profileSigner.certificate.der, provisioningCa: provisioningCa.certificate.der, encryptedKeys },
    unlocked,
  };
}

/**
 * Decrypts a system's CA keys. Throws ProvkitError('decrypt-failed') for a wrong passphrase,
 * and ProvkitError('mismatch') when a decrypted key does not belong to the stored certificate.
 */
export async function unlockCa(system: SystemRecord, passphrase: string, kdf: KeyDerivation, signal?: AbortSignal): Promise<UnlockedCa> {
  const file = `system ${system.name} CA keys`;
  const identity = await decryptPrivateIdentity(system.ca.encryptedKeys, passphrase, { kdf, file, ...(signal !== undefined ? { signal } : {}) });
  const certificates: Record<CaKeyRole, Uint8Array> = {
    root: system.ca.root,
    'issuing-ca': system.ca.issuingCa,
    'profile-signer': system.ca.profileSigner,
    'provisioning-ca': system.ca.provisioningCa,
  };
  const signers = {} as Record<CaKeyRole, CaSigner>;
  for (const role of CA_KEY_ROLES) {
    const key = identity.keys.find((entry) => entry.role === role);
    if (key === undefined) throw new ProvkitError('malformed', `the CA key container has no ${role} key`, { file });
    const certificate = parseCertificate(certificates[role], { file, field: role });
    const { privateKey, algorithm } = await importPrivateKey(key.pkcs8, { file, field: role }, key.algorithm);
    signers[role] = { certificate, privateKey, algorithm };
  }
  return { systemId: system.id, root: signers.root, issuingCa: signers['issuing-ca'], profileSigner: signers['profile-signer'], provisioningCa: signers['provisioning-ca'] };
}

/**
 * Issues a provisioning identity certificate for a component: end entity under the
 * provisioning CA, digitalSignature, extended key usage provisioning identity, with the
 * component handle as OU so the issuer can tell which component a request comes from.
 */
export async function issueProvisioningCertificate(options: {
  ca: UnlockedCa;
  systemName: string;
  componentHandle: string;
  subjectSpki: Uint8Array;
  validityDays: number;
  now: Date;
}): Promise<Certificate> {
  const { ca, now } = options;
  const notBefore = new Date(Math.floor(now.getTime() / 1000) * 1000 - 60_000);
  const notAfter = clampTo(new Date(notBefore.getTime() + options.validityDays * DAY_MS), ca.provisioningCa.certificate.notAfter);
  return issueCertificate({
    subject: [
      { type: '2.5.4.10', shortName: 'O', value: options.systemName },
      { type: '2.5.4.11', shortName: 'OU', value: options.componentHandle },
      { type: '2.5.4.3', shortName: 'CN', value: `${options.componentHandle} provisioning identity` },
    ],
    subjectSpki: options.subjectSpki,
    issuer: ca.provisioningCa.certificate,
    issuerKey: ca.provisioningCa.privateKey,
    issuerAlgorithm: ca.provisioningCa.algorithm,
    notBefore,
    notAfter,
    keyUsage: ['digitalSignature'],
    extendedKeyUsage: [OID_KP_PROVISIONING_IDENTITY],
  });
}

/**
 * Issues a proxy certificate (docs/formats.md, BASE.10.4): end entity under the issuing CA,
 * because a proxy is a provisioned device rather than a device still to be provisioned.
 * digitalSignature, extended key usage proxy only, subject O=system, OU=proxy, CN=name.
 */
export async function issueProxyCertificate(options: {
  ca: UnlockedCa;
  systemName: string;
  name: string;
  subjectSpki: Uint8Array;
  validityDays: number;
  now: Date;
}): Promise<Certificate> {
  const { ca, now } = options;
  const notBefore = new Date(Math.floor(now.getTime() / 1000) * 1000 - 60_000);
  return issueCertificate({
    subject: [
      { type: '2.5.4.10', shortName: 'O', value: options.systemName },
      { type: '2.5.4.11', shortName: 'OU', value: 'proxy' },
      { type: '2.5.4.3', shortName: 'CN', value: options.name },
    ],
    subjectSpki: options.subjectSpki,
    issuer: ca.issuingCa.certificate,
    issuerKey: ca.issuingCa.privateKey,
    issuerAlgorithm: ca.issuingCa.algorithm,
    notBefore,
    notAfter: clampTo(new Date(notBefore.getTime() + options.validityDays * DAY_MS), ca.issuingCa.certificate.notAfter),
    keyUsage: ['digitalSignature'],
    extendedKeyUsage: [OID_KP_PROXY],
  });
}

/** Returns `date`, or `limit` when `date` is later: a certificate never outlives its issuer. */
export function clampTo(date: Date, limit: Date): Date {
  return date.getTime() > limit.getTime() ? limit : date;
}

/** Adds `parameters` to the encryption options when set. */
export function withParameters<T extends object>(options: T, parameters: Argon2idParameters | undefined): T & { parameters?: Argon2idParameters } {
  return parameters === undefined ? options : { ...options, parameters };
}

/** Generates a provisioning key pair and returns it with its DER SubjectPublicKeyInfo. */
export async function generateProvisioningKey(algorithm: KeyAlgorithmName): Promise<{ keys: CryptoKeyPair; spki: Uint8Array }> {
  const keys = await generateKeyPair(algorithm);
  return { keys, spki: await exportSpki(keys.publicKey) };
}
