import path from 'node:path';
import { ProvkitError } from '../../errors.js';
import { toHex } from '../../crypto/bytes.js';
import { parseCertificationRequest, type CertificationRequest } from '../../formats/csr.js';
import { pemOrDer } from '../../formats/der.js';
import { detectFileType } from '../../formats/detect.js';
import { readPrivateIdentityHeader } from '../../formats/identity.js';
import { readCertifiedProfile, readProfileToProvision } from '../../formats/profile.js';
import { readProvisionRequest } from '../../formats/request.js';
import { readTrustStore } from '../../formats/truststore.js';
import { describeType, verifyFile, VerificationCache } from '../../formats/verify.js';
import { validatePath } from '../../formats/path.js';
import { parseCertificate, type Certificate } from '../../formats/x509.js';
import { CommandFailure, flag, requiredString, stringList, timeOption, type CommandSpec } from '../command.js';
import { exitCodeFor } from '../exit-codes.js';
import { readInput } from '../io.js';

/** Summarises a certificate as a JSON value. */
function certificateSummary(certificate: Certificate): Record<string, unknown> {
  return {
    subject: certificate.subjectName,
    issuer: certificate.issuerName,
    serial: certificate.serialHex,
    notBefore: certificate.notBefore.toISOString(),
    notAfter: certificate.notAfter.toISOString(),
    keyAlgorithm: certificate.keyAlgorithm ?? 'unsupported',
    ...(certificate.basicConstraints !== undefined ? { basicConstraints: certificate.basicConstraints } : {}),
    ...(certificate.keyUsage !== undefined ? { keyUsage: certificate.keyUsage } : {}),
    ...(certificate.extendedKeyUsage !== undefined ? { extendedKeyUsage: certificate.extendedKeyUsage } : {}),
    subjectAltNames: certificate.subjectAltNames,
    ...(certificate.subjectKeyIdentifier !== undefined ? { subjectKeyIdentifier: toHex(certificate.subjectKeyIdentifier) } : {}),
    ...(certificate.authorityKeyIdentifier !== undefined ? { authorityKeyIdentifier: toHex(certificate.authorityKeyIdentifier) } : {}),
    sha256: certificate.fingerprint,
    ...(certificate.warnings.length > 0 ? { warnings: certificate.warnings } : {}),
  };
}

function csrSummary(csr: CertificationRequest): Record<string, unknown> {
  return {
    subject: csr.subjectName,
    keyAlgorithm: csr.keyAlgorithm ?? 'unsupported',
    subjectAltNames: csr.subjectAltNames,
    ...(csr.requestedExtensions.keyUsage !== undefined ? { requestedKeyUsage: csr.requestedExtensions.keyUsage } : {}),
    ...(csr.requestedExtensions.extendedKeyUsage !== undefined ? { requestedExtendedKeyUsage: csr.requestedExtensions.extendedKeyUsage } : {}),
    ...(csr.warnings.length > 0 ? { warnings: csr.warnings } : {}),
  };
}

/** Describes any provkit file, certificate or CSR as a JSON value; throws ProvkitError for unreadable input. */
export function describeFile(bytes: Uint8Array, file: string): Record<string, unknown> {
  const type = detectFileType(bytes, file);
  const location = { file };
  switch (type) {
    case 'mcts': {
      const store = readTrustStore(bytes, location);
      return { type, anchors: store.certificates.map(certificateSummary), warnings: store.warnings };
    }
    case 'mcpr': {
      const request = readProvisionRequest(bytes, location);
      const { csrs, ...manifest } = request.manifest;
      return {
        type,
        manifest: { ...manifest, csrs: csrs.map((entry, index) => ({ role: entry.role, algorithm: entry.algorithm, csr: csrSummary(request.csrs[index]!) })) },
        signer: request.signedData.signers[0]?.signerCertificate !== undefined ? certificateSummary(request.signedData.signers[0].signerCertificate) : undefined,
        signingTime: request.signedData.signingTime?.toISOString(),
        certificates: request.signedData.certificates.map((certificate) => certificate.subjectName),
        ...(request.proxy !== undefined ? { proxy: { signer: request.proxy.signers[0]?.signerCertificate?.subjectName, signingTime: request.proxy.signingTime?.toISOString() } } : {}),
        warnings: request.warnings,
      };
    }
    case 'mcpp': {
      const profile = readProfileToProvision(bytes, location);
      return {
        type,
        manifest: profile.manifest,
        signer: profile.signedData.signers[0]?.signerCertificate?.subjectName,
        signingTime: profile.signedData.signingTime?.toISOString(),
        provisioningCertificate: profile.provisioningCertificate !== undefined ? certificateSummary(profile.provisioningCertificate) : undefined,
        warnings: profile.warnings,
      };
    }
    case 'mcp': {
      const profile = readCertifiedProfile(bytes, location);
      return {
        type,
        manifest: profile.manifest,
        signer: profile.signedData.signers[0]?.signerCertificate?.subjectName,
        signingTime: profile.signedData.signingTime?.toISOString(),
        issued: profile.issued.map((entry) => ({ role: entry.role, certificate: certificateSummary(entry.certificate) })),
        warnings: profile.warnings,
      };
    }
    case 'mcpip':
    case 'mcpi': {
      const header = readPrivateIdentityHeader(bytes, location);
      return {
        type,
        kind: header.kind,
        version: header.version,
        systemId: header.systemId,
        componentHandle: header.componentHandle,
        ...(header.hardwareId !== undefined ? { hardwareId: header.hardwareId } : {}),
        keys: header.keys,
        kdf: { algorithm: header.kdf.algorithm, memoryKiB: header.kdf.memoryKiB, passes: header.kdf.passes, lanes: header.kdf.lanes },
        cipher: header.cipher.algorithm,
        createdAt: header.createdAt.toISOString(),
        note: 'the private keys are encrypted; only the unencrypted header is shown',
      };
    }
    case 'certificate': {
      const certificates = pemOrDer(bytes, 'CERTIFICATE', location).map((der, index) => parseCertificate(der, { file, field: `certificate[${index}]` }));
      return { type, certificates: certificates.map(certificateSummary) };
    }
    case 'csr': {
      const csrs = pemOrDer(bytes, ['CERTIFICATE REQUEST', 'NEW CERTIFICATE REQUEST'], location).map((der, index) => parseCertificationRequest(der, { file, field: `csr[${index}]` }));
      return { type, requests: csrs.map(csrSummary) };
    }
    case 'unknown':
      throw new ProvkitError('wrong-type', 'not a provkit file, X.509 certificate or PKCS #10 request; check that the file is complete', location);
  }
}

/** Renders a description as indented `key: value` lines. */
function renderText(value: unknown, indent = ''): string[] {
  if (value === undefined) return [];
  if (Array.isArray(value)) {
    if (value.every((item) => typeof item !== 'object' || item === null)) return [`${indent}${value.join(', ')}`];
    return value.flatMap((item, index) => [`${indent}[${index}]`, ...renderText(item, `${indent}  `)]);
  }
  if (value !== null && typeof value === 'object') {
    const lines: string[] = [];
    for (const [key, item] of Object.entries(value)) {
      if (item === undefined) continue;
      if (item !== null && typeof item === 'object' && !(Array.isArray(item) && item.every((entry) => typeof entry !== 'object'))) {
        lines.push(`${indent}${key}:`, ...renderText(item, `${indent}  `));
      } else {
        lines.push(`${indent}${key}: ${Array.isArray(item) ? item.join(', ') : String(item)}`);
      }
    }
    return lines;
  }
  return [`${indent}${String(value)}`];
}

const inspect: CommandSpec = {
  name: 'inspect',
  summary: 'Show the content of a provkit file (.mcts, .mcpr, .mcpp, .mcp, .mcpip, .mcpi) or an X.509 certificate or PKCS #10 CSR in PEM or DER, without verifying it. Private Identity files show their unencrypted header only.',
  positionals: 'FILE',
  positionalCount: { min: 1, max: 1 },
  options: { json: { type: 'boolean', description: 'Print JSON instead of text.' } },
  async run(args, context) {
    const file = args.positionals[0]!;
    const description = describeFile(await readInput(file, 'file'), path.basename(file));
    if (flag(args, 'json')) context.print(JSON.stringify(description, null, 2));
    else context.print([`${path.basename(file)}: ${describeType(description['type'] as never)}`, ...renderText({ ...description, type: undefined }, '  ')].join('\n'));
  },
};

const verify: CommandSpec = {
  name: 'verify',
  summary: 'Verify a signed provkit file (.mcpr, .mcpp, .mcp) or an X.509 certificate against a TrustStore: signature over the received bytes, path to an anchor at the signing time and at the validation time (--at, default now), key usage, extended key usage and validity.',
  positionals: 'FILE',
  positionalCount: { min: 1, max: 1 },
  options: {
    truststore: { type: 'string', value: 'FILE', required: true, description: 'TrustStore (.mcts) whose certificates are the trust anchors.' },
    intermediates: { type: 'string', value: 'FILE', multiple: true, description: 'Untrusted intermediate CA certificates (PEM or DER) for verifying a certificate.' },
    request: { type: 'string', value: 'FILE', description: 'For a .mcp: also check that it was issued for this .mcpr.' },
    at: { type: 'string', value: 'TIME', description: 'Verification time (RFC 3339, or @SECONDS since 1970; default now).' },
    json: { type: 'boolean', description: 'Print the result as JSON.' },
  },
  details: 'Exit status 0 when every check passes, 4 when a check fails, 3 when a file cannot be parsed or is not a signed file, 7 when a file does not exist.',
  async run(args, context) {
    const file = args.positionals[0]!;
    const name = path.basename(file);
    const bytes = await readInput(file, 'file');
    const trustStorePath = requiredString(args, 'truststore', 'verify');
    const anchors = readTrustStore(await readInput(trustStorePath, 'TrustStore'), { file: path.basename(trustStorePath) }).certificates;
    const time = timeOption(args, 'at') ?? context.now();
    const type = detectFileType(bytes, name);
    if (!['mcpr', 'mcpp', 'mcp', 'certificate'].includes(type)) {
      const what = type === 'unknown' ? 'is not a provkit file, an X.509 certificate or a PKCS #10 request' : `is a ${describeType(type)}`;
      throw new ProvkitError('wrong-type', `${name} ${what}; provkit verify accepts a .mcpr, .mcpp or .mcp file, or an X.509 certificate in PEM or DER`);
    }

    let ok: boolean;
    let failures: Array<{ code: string; message: string }>;
    let warnings: string[];
    let summary: Record<string, unknown>;
    if (type === 'certificate') {
      const certificates = pemOrDer(bytes, 'CERTIFICATE', { file: name }).map((der, index) => parseCertificate(der, { file: name, field: `certificate[${index}]` }));
      const intermediates = [...certificates.slice(1)];
      for (const extra of stringList(args, 'intermediates')) {
        const extraBytes = await readInput(extra, 'intermediates');
        intermediates.push(...pemOrDer(extraBytes, 'CERTIFICATE', { file: path.basename(extra) }).map((der, index) => parseCertificate(der, { file: path.basename(extra), field: `certificate[${index}]` })));
      }
      const result = await validatePath(certificates[0]!, { anchors, intermediates, time });
      ({ ok, failures, warnings } = result);
      summary = { type, subject: certificates[0]!.subjectName, chain: result.chain.map((certificate) => certificate.subjectName) };
    } else {
      const requestFile = args.values['request'];
      const request = typeof requestFile === 'string' ? readProvisionRequest(await readInput(requestFile, 'request'), { file: path.basename(requestFile) }) : undefined;
      const result = await verifyFile(bytes, { anchors, time, file: name, cache: new VerificationCache(), ...(request !== undefined ? { request } : {}) } as Parameters<typeof verifyFile>[1]);
      ({ ok, failures, warnings } = result);
      summary = { type: result.type, signer: result.signer?.subjectName, signingTime: result.signingTime?.toISOString(), chain: result.chain.map((certificate) => certificate.subjectName) };
    }
    if (flag(args, 'json')) {
      context.print(JSON.stringify({ ok, ...summary, time: time.toISOString(), failures, warnings }, null, 2));
    } else {
      context.print(`${name}: ${ok ? 'verified' : 'NOT verified'} (${describeType(summary['type'] as never)}) at ${time.toISOString()}`);
      if (summary['signer'] !== undefined) context.print(`  signer: ${String(summary['signer'])}`);
      if (Array.isArray(summary['chain']) && summary['chain'].length > 0) context.print(`  chain: ${(summary['chain'] as string[]).join(' <- ')}`);
      for (const failure of failures) context.print(`  ${failure.code}: ${failure.message}`);
      for (const warning of warnings) context.print(`  warning: ${warning}`);
    }
    if (!ok) {
      const first = failures[0]!;
      throw new CommandFailure(`${name} failed verification: ${first.message} [${first.code}]`, exitCodeFor(first.code as never));
    }
  },
};

/** The inspection commands. */
export const INSPECT_COMMANDS: CommandSpec[] = [inspect, verify];
