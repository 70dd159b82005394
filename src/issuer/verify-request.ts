import { ProvkitError, type ErrorCode } from '../errors.js';
import { bytesEqual } from '../crypto/tlv.js';
import { CertificateCache, verifySignedData } from '../formats/cms.js';
import { verifyCertificationRequest } from '../formats/csr.js';
import { OID_KP_DEVICE_IDENTITY, OID_KP_PROVISIONING_IDENTITY, OID_KP_PROXY } from '../formats/oids.js';
import { PathValidationCache } from '../formats/path.js';
import { expandSubjectTemplate } from '../formats/profile.js';
import { readProvisionRequest, type ProvisionRequest } from '../formats/request.js';
import type { VerificationFailure } from '../formats/verification.js';
import { parseCertificate, type Certificate } from '../formats/x509.js';
import { mapConcurrent } from '../provisioning/concurrency.js';
import { subjectsEqual } from '../provisioning/subject.js';
import type { IssuedCertificateRecord, PackageRecord, SystemRecord } from './store.js';

/** System data the issuer checks requests against: settings, exported packages, issued certificates. */
export interface VerificationContext {
  system: SystemRecord;
  /** Provisioning packages exported for the system. */
  packages: PackageRecord[];
  /** Certificates issued to devices of the system, for reprovisioning requests. */
  certificates: IssuedCertificateRecord[];
}

/** Outcome of checking one request: the parsed request and every failed check, most decisive first. */
export interface RequestVerification {
  request: ProvisionRequest;
  failures: VerificationFailure[];
  warnings: string[];
  /** The certificate that signed the request (provisioning or device identity). */
  signer: Certificate | undefined;
  /** The certificate that signed the outer SignedData of a proxied request, when its signature verified. */
  proxySigner?: Certificate;
}

/**
 * Checks Provision Requests for the lab issuer. Parsed certificates, validated certification
 * paths and each system's anchors are cached across calls. A batch of requests usually embeds
 * the same provisioning chain, so that chain is parsed and validated once.
 */
export class RequestVerifier {
  readonly certificateCache = new CertificateCache();
  readonly pathCache = new PathValidationCache();
  readonly #anchors = new Map<string, Certificate[]>();

  /** Parses a request without checking it; throws ProvkitError (malformed, wrong-type, ...) naming the file. */
  read(bytes: Uint8Array, file: string): ProvisionRequest {
    return readProvisionRequest(bytes, { file }, { certificateCache: this.certificateCache });
  }

  /**
   * Runs every check of a request against its system at time `now` and returns all failures.
   * The checks: signature and path of the signer (and of a proxy that the system issued), the
   * signer's binding to the component or device, the component, profile, roles and algorithms,
   * each CSR's self-signature and subject, the hardware id allow-list, the creation time window, and
   * request id replay (`seen`).
   */
  async verify(request: ProvisionRequest, context: VerificationContext, now: Date, seen: (requestId: string) => boolean): Promise<RequestVerification> {
    const { system } = context;
    const manifest = request.manifest;
    const file = request.signedData.location.file ?? 'request';
    const failures: VerificationFailure[] = [];
    const warnings = [...request.warnings];
    const add = (code: ErrorCode, field: string, message: string): void => {
      failures.push({ code, message: `${file}: ${field}: ${message}` });
    };

    if (seen(manifest.requestId)) {
      add('replay', 'manifest.requestId', `request id ${manifest.requestId} was already submitted; the device must create a new request`);
    }

    const anchors = this.anchorsOf(system);
    const requiredUsage = manifest.purpose === 'initial' ? OID_KP_PROVISIONING_IDENTITY : OID_KP_DEVICE_IDENTITY;
    // The signature checks are independent, so they run concurrently; WebCrypto verifies off
    // the calling thread.
    const [signature, proxy, csrOutcomes] = await Promise.all([
      verifySignedData(request.signedData, { anchors, time: now, requiredExtendedKeyUsage: [requiredUsage], cache: this.pathCache }),
      request.proxy === undefined ? undefined : verifySignedData(request.proxy, { anchors, time: now, requiredExtendedKeyUsage: [OID_KP_PROXY], cache: this.pathCache }),
      Promise.all(request.csrs.map((csr) => verifyCertificationRequest(csr))),
    ]);
    failures.push(...signature.failures);
    warnings.push(...signature.warnings);
    let proxySigner: Certificate | undefined;
    if (proxy !== undefined) {
      failures.push(...proxy.failures);
      warnings.push(...proxy.warnings);
      proxySigner = proxy.signer;
      // A valid path with the proxy usage is not enough: the proxy must be one the lab issued
      // for this system and still lists, so that removing its record stops its requests.
      if (proxySigner !== undefined && proxy.failures.length === 0 && !(system.proxies ?? []).some((candidate) => bytesEqual(candidate.certificate, proxySigner!.der))) {
        failures.push({ code: 'untrusted', message: `${request.proxy!.location.file ?? file}: proxy certificate: the proxy "${proxySigner.subjectName}" is not a proxy issued for system ${system.name}; issue one with "provkit lab proxy"` });
      }
    }
    const signer = signature.signer;

    const component = system.components.find((candidate) => candidate.handle === manifest.componentHandle);
    if (component === undefined) {
      add('not-allowed', 'manifest.componentHandle', `system ${system.name} has no component "${manifest.componentHandle}"`);
    }

    if (signer !== undefined && manifest.purpose === 'initial') {
      const issuedPackage = context.packages.find((candidate) => bytesEqual(candidate.certificate, signer.der));
      if (issuedPackage === undefined) {
        add('untrusted', 'signer certificate', `the provisioning identity "${signer.subjectName}" was not issued by a package of system ${system.name}`);
      } else if (issuedPackage.componentHandle !== manifest.componentHandle) {
        add('not-allowed', 'manifest.componentHandle', `the request names component "${manifest.componentHandle}" but is signed with the provisioning identity of component "${issuedPackage.componentHandle}"`);
      }
    } else if (signer !== undefined) {
      const issued = context.certificates.find((candidate) => bytesEqual(candidate.certificate, signer.der));
      if (issued === undefined) {
        add('untrusted', 'signer certificate', `the device identity "${signer.subjectName}" was not issued by system ${system.name}`);
      } else if (issued.hardwareId !== manifest.hardwareId) {
        add('mismatch', 'manifest.hardwareId', `the request is for hardware id "${manifest.hardwareId}" but is signed by the identity of "${issued.hardwareId}"; reprovisioning keeps the hardware id`);
      }
    }

    const knownProfiles = context.packages.filter((candidate) => candidate.componentHandle === manifest.componentHandle).map((candidate) => candidate.profileId);
    if (component !== undefined && !knownProfiles.includes(manifest.profileId)) {
      add('mismatch', 'manifest.profileId', `profile ${manifest.profileId} is not a profile the issuer exported for component "${manifest.componentHandle}"`);
    }

    if (component !== undefined) {
      manifest.csrs.forEach((entry, index) => {
        const spec = component.roles.find((role) => role.role === entry.role);
        if (spec === undefined) add('mismatch', `manifest.csrs[${index}].role`, `role "${entry.role}" is not a key role of component "${component.handle}"`);
        else if (spec.algorithm !== entry.algorithm) add('mismatch', `manifest.csrs[${index}].algorithm`, `role "${entry.role}" needs ${spec.algorithm}, not ${entry.algorithm}`);
      });
      for (const spec of component.roles) {
        if (!manifest.csrs.some((entry) => entry.role === spec.role)) add('mismatch', 'manifest.csrs', `no CSR for key role "${spec.role}"`);
      }
    }

    for (const [index, csr] of request.csrs.entries()) {
      const entry = manifest.csrs[index]!;
      const outcome = csrOutcomes[index];
      if (outcome === 'invalid') {
        add('signature-invalid', `manifest.csrs[${index}].csr`, `the CSR for role "${entry.role}" has a signature that does not verify with its own public key; the CSR was altered or its key does not match`);
      } else if (outcome === 'unsupported') {
        add('unsupported', `manifest.csrs[${index}].csr`, `the CSR for role "${entry.role}" uses a signature algorithm provkit does not support`);
      }
      const spec = component?.roles.find((role) => role.role === entry.role);
      if (spec !== undefined) {
        const expected = expandSubjectTemplate(spec.subjectTemplate, {
          hardwareId: manifest.hardwareId,
          componentHandle: manifest.componentHandle,
          role: entry.role,
          systemId: manifest.systemId,
          requestId: manifest.requestId,
        });
        if (!subjectsEqual(expected, csr.subject)) {
          add('mismatch', `manifest.csrs[${index}].csr`, `the CSR subject "${csr.subjectName}" is not the role's subject template for hardware id "${manifest.hardwareId}"`);
        }
      }
      const duplicate = request.csrs.findIndex((other) => bytesEqual(other.spki, csr.spki));
      if (duplicate !== index) {
        add('mismatch', `manifest.csrs[${index}].csr`, `role "${entry.role}" reuses the key of role "${manifest.csrs[duplicate]!.role}"; every role needs its own key`);
      }
      if (signer !== undefined && bytesEqual(signer.spki, csr.spki)) {
        add('mismatch', `manifest.csrs[${index}].csr`, `role "${entry.role}" reuses the key that signed the request`);
      }
    }

    if (system.hardwareIdAllowList !== undefined && !system.hardwareIdAllowList.includes(manifest.hardwareId)) {
      add('not-allowed', 'manifest.hardwareId', `hardware id "${manifest.hardwareId}" is not on the allow-list of system ${system.name}`);
    }

    const createdAt = Date.parse(manifest.createdAt);
    const windowMs = system.requestWindowSeconds * 1000;
    if (createdAt < now.getTime() - windowMs) {
      add('expired', 'manifest.createdAt', `the request was created at ${manifest.createdAt}, more than ${system.requestWindowSeconds} s before ${now.toISOString()}; the device must create a new request`);
    } else if (createdAt > now.getTime() + windowMs) {
      add('not-yet-valid', 'manifest.createdAt', `the request claims creation at ${manifest.createdAt}, more than ${system.requestWindowSeconds} s after ${now.toISOString()}; check the device clock`);
    }

    return { request, failures, warnings, signer, ...(proxySigner !== undefined ? { proxySigner } : {}) };
  }

  /**
   * Reads and checks a batch of requests of one system, `concurrency` (default 8) at a time,
   * with the caches shared; results are in input order. A request that cannot be read gives its
   * error instead of a verification. Throws ProvkitError('cancelled') when `signal` aborts.
   */
  async verifyBatch(
    files: ReadonlyArray<{ bytes: Uint8Array; file: string }>,
    context: VerificationContext,
    now: Date,
    options: { seen?: (requestId: string) => boolean; concurrency?: number; signal?: AbortSignal; onProgress?: (done: number, total: number) => void } = {},
  ): Promise<Array<RequestVerification | { file: string; error: ProvkitError }>> {
    const seen = options.seen ?? (() => false);
    return mapConcurrent(
      files,
      options.concurrency ?? 8,
      async (entry) => {
        let request: ProvisionRequest;
        try {
          request = this.read(entry.bytes, entry.file);
        } catch (error) {
          if (error instanceof ProvkitError) return { file: entry.file, error };
          throw error;
        }
        return this.verify(request, context, now, seen);
      },
      { what: 'request verification', ...(options.signal !== undefined ? { signal: options.signal } : {}), ...(options.onProgress !== undefined ? { onProgress: options.onProgress } : {}) },
    );
  }

  private anchorsOf(system: SystemRecord): Certificate[] {
    let anchors = this.#anchors.get(system.id);
    if (anchors === undefined) {
      anchors = [parseCertificate(system.ca.root, { file: `system ${system.name}`, field: 'ca.root' })];
      this.#anchors.set(system.id, anchors);
    }
    return anchors;
  }
}
