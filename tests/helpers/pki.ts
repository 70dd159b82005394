/**
 * A small test PKI built with provkit's own certificate issuance. It has a root CA, a profile
 * signer, a provisioning CA with a provisioning identity, a device CA with a device identity,
 * and a proxy. Each end entity carries the provkit extended key usage of its role.
 */
import { generateKeyPair, exportSpki, type KeyAlgorithmName } from '../../src/crypto/algorithms.js';
import { createCertificationRequest } from '../../src/formats/csr.js';
import { newUuid, type CsrEntry, type KeyRoleSpec } from '../../src/formats/manifest.js';
import {
  OID_KP_DEVICE_IDENTITY,
  OID_KP_PROFILE_SIGNING,
  OID_KP_PROVISIONING_IDENTITY,
  OID_KP_PROXY,
} from '../../src/formats/oids.js';
import type { SignerIdentity } from '../../src/formats/request.js';
import { issueCertificate, type Certificate, type KeyUsageName } from '../../src/formats/x509.js';

/** A certificate with its key pair and the CA certificates above it (anchor excluded). */
export interface TestIdentity extends SignerIdentity {
  publicKey: CryptoKey;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** Options of issueTestIdentity. */
export interface IssueOptions {
  commonName: string;
  algorithm?: KeyAlgorithmName;
  /** Absent: self-signed. */
  issuer?: TestIdentity;
  ca?: { pathLength?: number };
  keyUsage?: KeyUsageName[];
  extendedKeyUsage?: string[];
  notBefore?: Date;
  notAfter?: Date;
}

/** Generates a key and issues its certificate; throws what issueCertificate throws. */
export async function issueTestIdentity(options: IssueOptions): Promise<TestIdentity> {
  const algorithm = options.algorithm ?? 'ecdsa-p256';
  const keys = await generateKeyPair(algorithm);
  const now = Date.now();
  const certificate = await issueCertificate({
    subject: [
      { type: '2.5.4.10', shortName: 'O', value: 'provkit tests' },
      { type: '2.5.4.3', shortName: 'CN', value: options.commonName },
    ],
    subjectSpki: await exportSpki(keys.publicKey),
    ...(options.issuer === undefined ? {} : { issuer: options.issuer.certificate }),
    issuerKey: options.issuer?.privateKey ?? keys.privateKey,
    issuerAlgorithm: options.issuer?.algorithm ?? algorithm,
    notBefore: options.notBefore ?? new Date(now - DAY_MS),
    notAfter: options.notAfter ?? new Date(now + 365 * DAY_MS),
    ...(options.ca === undefined ? {} : { ca: options.ca }),
    ...keyUsageOption(options),
    ...(options.extendedKeyUsage === undefined ? {} : { extendedKeyUsage: options.extendedKeyUsage }),
  });
  // The chain contains the CA certificates between this identity and the root, not the root.
  const issuer = options.issuer;
  const chain = issuer === undefined || isSelfIssued(issuer.certificate) ? [] : [issuer.certificate, ...issuer.chain];
  return { certificate, privateKey: keys.privateKey, publicKey: keys.publicKey, algorithm, chain };
}

// End entities sign by default; CA certificates get keyCertSign and cRLSign from issueCertificate.
function keyUsageOption(options: IssueOptions): { keyUsage?: KeyUsageName[] } {
  if (options.keyUsage !== undefined) return { keyUsage: options.keyUsage };
  return options.ca === undefined ? { keyUsage: ['digitalSignature'] } : {};
}

function isSelfIssued(certificate: Certificate): boolean {
  return certificate.issuerName === certificate.subjectName;
}

/** The hierarchy most tests use. */
export interface TestPki {
  root: TestIdentity;
  profileSigner: TestIdentity;
  provisioningCa: TestIdentity;
  provisioning: TestIdentity;
  deviceCa: TestIdentity;
  device: TestIdentity;
  proxy: TestIdentity;
  /** The TrustStore's anchors: the root. */
  anchors: Certificate[];
}

/**
 * Builds root -> profile signer, root -> provisioning CA -> provisioning identity,
 * root -> device CA -> device identity, root -> proxy, all with `algorithm` (default
 * ecdsa-p256) unless `signerAlgorithm` overrides the end entities.
 */
export async function createTestPki(options: { algorithm?: KeyAlgorithmName; signerAlgorithm?: KeyAlgorithmName } = {}): Promise<TestPki> {
  const algorithm = options.algorithm ?? 'ecdsa-p256';
  const leafAlgorithm = options.signerAlgorithm ?? algorithm;
  const root = await issueTestIdentity({ commonName: 'Test Root CA', algorithm, ca: {} });
  const profileSigner = await issueTestIdentity({
    commonName: 'Test Profile Signer',
    algorithm: leafAlgorithm,
    issuer: root,
    extendedKeyUsage: [OID_KP_PROFILE_SIGNING],
  });
  const provisioningCa = await issueTestIdentity({ commonName: 'Test Provisioning CA', algorithm, issuer: root, ca: { pathLength: 0 } });
  const provisioning = await issueTestIdentity({
    commonName: 'Test Provisioning Identity',
    algorithm: leafAlgorithm,
    issuer: provisioningCa,
    extendedKeyUsage: [OID_KP_PROVISIONING_IDENTITY],
  });
  const deviceCa = await issueTestIdentity({ commonName: 'Test Device CA', algorithm, issuer: root, ca: { pathLength: 0 } });
  const device = await issueTestIdentity({
    commonName: 'Test Device Identity',
    algorithm: leafAlgorithm,
    issuer: deviceCa,
    extendedKeyUsage: [OID_KP_DEVICE_IDENTITY],
  });
  const proxy = await issueTestIdentity({ commonName: 'Test Proxy', algorithm: leafAlgorithm, issuer: root, extendedKeyUsage: [OID_KP_PROXY] });
  return { root, profileSigner, provisioningCa, provisioning, deviceCa, device, proxy, anchors: [root.certificate] };
}

/** Returns a key role for tests: a signing key with clientAuth. */
export function testKeyRole(role: string, algorithm: KeyAlgorithmName = 'ecdsa-p256'): KeyRoleSpec {
  return {
    role,
    algorithm,
    keyUsage: ['digitalSignature'],
    extendedKeyUsage: ['1.3.6.1.5.5.7.3.2'],
    subjectTemplate: [
      { type: 'O', value: 'provkit tests' },
      { type: 'OU', value: '{componentHandle}' },
      { type: 'CN', value: '{hardwareId} {role}' },
    ],
    validityDays: 365,
  };
}

/** Generates one key per role and a CSR for each; returns the entries and the key pairs. */
export async function createTestCsrs(roles: { role: string; algorithm: KeyAlgorithmName }[]): Promise<{ entries: CsrEntry[]; keys: CryptoKeyPair[] }> {
  const entries: CsrEntry[] = [];
  const keys: CryptoKeyPair[] = [];
  for (const { role, algorithm } of roles) {
    const pair = await generateKeyPair(algorithm);
    const csr = await createCertificationRequest({
      subject: [{ type: '2.5.4.3', shortName: 'CN', value: `device ${role}` }],
      privateKey: pair.privateKey,
      publicKey: pair.publicKey,
      algorithm,
    });
    entries.push({ role, algorithm, csr: csr.der });
    keys.push(pair);
  }
  return { entries, keys };
}

/** Fresh ids for a system, a profile and a request. */
export function testIds(): { systemId: string; profileId: string; requestId: string } {
  return { systemId: newUuid(), profileId: newUuid(), requestId: newUuid() };
}
