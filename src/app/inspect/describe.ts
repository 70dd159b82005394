import { ProvkitError } from '../../errors.js';
import { toHex } from '../../crypto/bytes.js';
import { detectFileType, type DetectedFileType } from '../../formats/detect.js';
import { describeOid } from '../../formats/oids.js';
import { readTrustStore } from '../../formats/truststore.js';
import { parseCertificates, type Certificate } from '../../formats/x509.js';
import { parseCertificationRequest, verifyCertificationRequest } from '../../formats/csr.js';
import { pemOrDer } from '../../formats/der.js';
import { describeType, verifyFile, VerificationCache } from '../../formats/verify.js';
import { validatePath } from '../../formats/path.js';
import { readPrivateIdentityHeader } from '../../formats/identity.js';
import type { NamedFile } from '../files/named-file.js';

/** Names of the extended key usages outside provkit's arc that provkit profiles use (RFC 5280 section 4.2.1.12). */
const EKU_NAMES: Readonly<Record<string, string>> = {
  '1.3.6.1.5.5.7.3.1': 'TLS server authentication [1.3.6.1.5.5.7.3.1]',
  '1.3.6.1.5.5.7.3.2': 'TLS client authentication [1.3.6.1.5.5.7.3.2]',
};

function describeUsage(oid: string): string {
  return EKU_NAMES[oid] ?? describeOid(oid);
}

/** One labelled value of a decoded file. */
export interface Fact {
  label: string;
  value: string;
  /** Shown in a monospace font (fingerprints, OIDs, serials). */
  mono?: boolean;
}

/** A certificate as the Inspector shows it. */
export interface CertificateView {
  /** Position of the certificate in the file: "Signer", "Anchor 1", "Issued for role tls". */
  title: string;
  facts: Fact[];
  extensions: Fact[];
  warnings: string[];
}

/** Outcome of verifying the file against the chosen TrustStore. */
export interface VerificationView {
  ok: boolean;
  failures: { code: string; message: string }[];
  warnings: string[];
  /** Subjects of the certification path, leaf first. */
  chain: string[];
  /** Origin of the anchors, for example "TrustStore of Plant A / pump". */
  anchorSource: string;
}

/** Everything the Inspector shows about one file. */
export interface Inspection {
  file: string;
  size: number;
  type: DetectedFileType;
  typeName: string;
  facts: Fact[];
  certificates: CertificateView[];
  /** Verification result, or undefined when the type carries nothing to verify or no anchors were given. */
  verification?: VerificationView;
  /** Reason the file could not be decoded, with its stable code. */
  error?: { code: string; message: string };
  /** A note on what the verification needs (a TrustStore to compare with). */
  note?: string;
}

/** Trust anchors the Inspector verifies against. */
export interface Anchors {
  certificates: Certificate[];
  source: string;
}

/**
 * Decodes any provkit file, certificate or CSR, and verifies it against `anchors` when given.
 * Never throws for bad input: a file that cannot be read is returned with `error` set.
 */
export async function inspectFile(file: NamedFile, anchors?: Anchors, now = new Date()): Promise<Inspection> {
  // Bytes too damaged to recognise are read as the type their extension names, so the reader
  // reports what is wrong with them (truncated, trailing data) instead of "unknown type".
  const detected = detectFileType(file.bytes, file.name);
  const extension = file.name.toLowerCase().match(/\.(mcts|mcpr|mcpp|mcp|mcpip|mcpi)$/)?.[1] as DetectedFileType | undefined;
  const type = detected === 'unknown' && extension !== undefined ? extension : detected;
  const inspection: Inspection = { file: file.name, size: file.bytes.length, type, typeName: describeType(type), facts: [], certificates: [] };
  try {
    await decode(file, type, inspection, anchors, now);
  } catch (error) {
    if (!(error instanceof ProvkitError)) throw error;
    inspection.error = { code: error.code, message: error.message };
  }
  return inspection;
}

async function decode(file: NamedFile, type: DetectedFileType, inspection: Inspection, anchors: Anchors | undefined, now: Date): Promise<void> {
  const location = { file: file.name };
  switch (type) {
    case 'mcts': {
      const store = readTrustStore(file.bytes, location);
      inspection.facts.push({ label: 'Anchors', value: String(store.certificates.length) });
      store.certificates.forEach((certificate, i) => inspection.certificates.push(certificateView(`Anchor ${i + 1}`, certificate)));
      inspection.note = 'A TrustStore carries no signature. Inspect other files of this system to verify them against its anchors.';
      return;
    }
    case 'mcpr':
    case 'mcpp':
    case 'mcp':
      await decodeSigned(file, type, inspection, anchors, now);
      return;
    case 'mcpip':
    case 'mcpi': {
      const header = readPrivateIdentityHeader(file.bytes, location);
      inspection.facts.push(
        { label: 'Kind', value: header.kind === 'mcpip' ? 'Private Identity to be Provisioned' : 'Private Identity' },
        { label: 'Format version', value: String(header.version) },
        { label: 'System', value: header.systemId },
        { label: 'Component', value: header.componentHandle },
        { label: 'Hardware id', value: header.hardwareId ?? '—' },
        { label: 'Created', value: header.createdAt.toISOString() },
        { label: 'Key derivation', value: `Argon2id, ${header.kdf.memoryKiB} KiB, ${header.kdf.passes} passes, ${header.kdf.lanes} lane(s)` },
        { label: 'Cipher', value: header.cipher.algorithm },
      );
      header.keys.forEach((key) => {
        inspection.facts.push({ label: `Key ${key.role}`, value: `${key.algorithm}, SPKI SHA-256 ${key.spkiSha256}`, mono: true });
        if (key.certificateSha256 !== undefined) inspection.facts.push({ label: `Certificate ${key.role}`, value: `SHA-256 ${key.certificateSha256}`, mono: true });
      });
      inspection.note = 'The keys are encrypted; only the clear header is shown. Nothing here needs the passphrase.';
      return;
    }
    case 'certificate': {
      const certificates = parseCertificates(file.bytes, location);
      certificates.forEach((certificate, i) => inspection.certificates.push(certificateView(certificates.length === 1 ? 'Certificate' : `Certificate ${i + 1}`, certificate)));
      const leaf = certificates[0];
      if (leaf !== undefined && anchors !== undefined) {
        const result = await validatePath(leaf, { anchors: anchors.certificates, intermediates: certificates.slice(1), time: now });
        inspection.verification = {
          ok: result.ok,
          failures: result.failures.map(({ code, message }) => ({ code, message })),
          warnings: result.warnings,
          chain: result.chain.map((c) => c.subjectName),
          anchorSource: anchors.source,
        };
      }
      return;
    }
    case 'csr': {
      const [der] = pemOrDer(file.bytes, 'CERTIFICATE REQUEST', location);
      const csr = parseCertificationRequest(der!, location);
      const outcome = await verifyCertificationRequest(csr);
      inspection.facts.push(
        { label: 'Subject', value: csr.subjectName },
        { label: 'Key algorithm', value: csr.keyAlgorithm ?? 'unsupported' },
        { label: 'Self-signature', value: outcome === 'valid' ? 'valid (proof of possession)' : outcome },
      );
      for (const san of csr.subjectAltNames) inspection.facts.push({ label: `SAN ${san.type}`, value: san.value });
      inspection.verification = {
        ok: outcome === 'valid',
        failures: outcome === 'valid' ? [] : [{ code: outcome === 'invalid' ? 'signature-invalid' : 'unsupported', message: `the CSR self-signature is ${outcome}` }],
        warnings: csr.warnings,
        chain: [],
        anchorSource: 'the CSR itself (self-signed)',
      };
      return;
    }
    default:
      throw new ProvkitError(
        'wrong-type',
        'not a provkit file, X.509 certificate or CSR: expected .mcts, .mcpr, .mcpp, .mcp, .mcpip, .mcpi, or a certificate or CSR in PEM or DER',
        location,
      );
  }
}

async function decodeSigned(file: NamedFile, type: 'mcpr' | 'mcpp' | 'mcp', inspection: Inspection, anchors: Anchors | undefined, now: Date): Promise<void> {
  const result = await verifyFile(file.bytes, { anchors: anchors?.certificates ?? [], file: file.name, time: now, cache: new VerificationCache(), expectedType: type });
  const unreadable = result.signer === undefined && result.failures.length > 0 && !('request' in result && result.request) && !('profile' in result && result.profile);
  if (unreadable) {
    const first = result.failures[0]!;
    throw new ProvkitError(first.code, stripFile(first.message, file.name), { file: file.name });
  }
  if (result.type === 'mcpr' && result.request !== undefined) {
    const m = result.request.manifest;
    inspection.facts.push(
      { label: 'Request id', value: m.requestId, mono: true },
      { label: 'Purpose', value: m.purpose },
      { label: 'System', value: m.systemId },
      { label: 'Component', value: m.componentHandle },
      { label: 'Hardware id', value: m.hardwareId },
      { label: 'Profile id', value: m.profileId, mono: true },
      { label: 'Created', value: m.createdAt },
      { label: 'Proxied', value: result.proxy === undefined ? 'no' : 'yes' },
    );
    m.csrs.forEach((entry, i) => {
      const csr = result.request!.csrs[i]!;
      inspection.facts.push({ label: `CSR ${entry.role}`, value: `${entry.algorithm}, subject ${csr.subjectName}` });
    });
  } else if ((result.type === 'mcpp' || result.type === 'mcp') && result.profile !== undefined) {
    const m = result.profile.manifest;
    inspection.facts.push(
      { label: 'Profile id', value: m.profileId, mono: true },
      { label: 'System', value: m.systemName === undefined ? m.systemId : `${m.systemName} (${m.systemId})` },
      { label: 'Component', value: m.componentName === undefined ? m.componentHandle : `${m.componentName} (${m.componentHandle})` },
      { label: 'Created', value: m.createdAt },
    );
    if (m.type === 'mcp') inspection.facts.push({ label: 'Hardware id', value: m.hardwareId }, { label: 'Request id', value: m.requestId, mono: true });
    for (const role of m.keyRoles) {
      inspection.facts.push({ label: `Role ${role.role}`, value: `${role.algorithm}, ${role.validityDays} days, key usage ${role.keyUsage.join(', ') || '—'}, EKU ${role.extendedKeyUsage.map(describeUsage).join(', ') || '—'}` });
    }
    if (result.type === 'mcp' && result.profile !== undefined && 'issued' in result.profile) {
      for (const issued of result.profile.issued) inspection.certificates.push(certificateView(`Issued for role ${issued.role}`, issued.certificate));
    }
    if (result.profile.provisioningCertificate !== undefined) {
      inspection.certificates.push(certificateView('Provisioning certificate', result.profile.provisioningCertificate));
    }
  }
  if (result.signingTime !== undefined) inspection.facts.push({ label: 'Signing time', value: result.signingTime.toISOString() });
  if (result.signer !== undefined) inspection.certificates.unshift(certificateView('Signer', result.signer));

  if (anchors === undefined) {
    inspection.note = 'Choose a TrustStore (a stored package, or drop its .mcts here first) to verify the signature chain.';
    return;
  }
  inspection.verification = {
    ok: result.ok,
    failures: result.failures.map(({ code, message }) => ({ code, message })),
    warnings: result.warnings,
    chain: result.chain.map((c) => c.subjectName),
    anchorSource: anchors.source,
  };
}

function stripFile(message: string, file: string): string {
  return message.startsWith(`${file}: `) ? message.slice(file.length + 2) : message;
}

/** Returns the facts and extensions of a certificate as the Inspector lists them. */
export function certificateView(title: string, certificate: Certificate): CertificateView {
  const facts: Fact[] = [
    { label: 'Subject', value: certificate.subjectName },
    { label: 'Issuer', value: certificate.issuerName },
    { label: 'Serial', value: certificate.serialHex, mono: true },
    { label: 'Valid from', value: certificate.notBefore.toISOString() },
    { label: 'Valid until', value: certificate.notAfter.toISOString() },
    { label: 'Key algorithm', value: certificate.keyAlgorithm ?? 'unsupported' },
    { label: 'SHA-256 fingerprint', value: certificate.fingerprint, mono: true },
  ];
  const extensions: Fact[] = [];
  if (certificate.basicConstraints !== undefined) {
    const { ca, pathLength } = certificate.basicConstraints;
    extensions.push({ label: 'Basic constraints', value: ca ? `CA${pathLength === undefined ? '' : `, path length ${pathLength}`}` : 'not a CA' });
  }
  if (certificate.keyUsage !== undefined) extensions.push({ label: 'Key usage', value: certificate.keyUsage.join(', ') });
  if (certificate.extendedKeyUsage !== undefined) extensions.push({ label: 'Extended key usage', value: certificate.extendedKeyUsage.map(describeUsage).join(', ') });
  if (certificate.subjectKeyIdentifier !== undefined) extensions.push({ label: 'Subject key identifier', value: toHex(certificate.subjectKeyIdentifier), mono: true });
  if (certificate.authorityKeyIdentifier !== undefined) extensions.push({ label: 'Authority key identifier', value: toHex(certificate.authorityKeyIdentifier), mono: true });
  for (const san of certificate.subjectAltNames) extensions.push({ label: `Subject alt name (${san.type})`, value: san.value });
  for (const oid of certificate.unknownCriticalExtensions) extensions.push({ label: 'Unknown critical extension', value: oid, mono: true });
  return { title, facts, extensions, warnings: certificate.warnings };
}
