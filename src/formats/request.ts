/**
 * The Provision Request (.mcpr): a device's CSRs in a JSON manifest, signed by its
 * provisioning identity (or current device identity), and the proxy wrapping that puts a
 * device's request unchanged inside an outer SignedData signed by the proxy.
 */
import { ProvkitError, type ErrorLocation } from '../errors.js';
import type { KeyAlgorithmName } from '../crypto/algorithms.js';
import {
  MAX_SIGNED_FILE_BYTES,
  createSignedData,
  parseSignedData,
  requireContentType,
  requireSignedFileStructure,
  type CertificateCache,
  type SignedDataContent,
} from './cms.js';
import { parseCertificationRequest, type CertificationRequest } from './csr.js';
import {
  FORMAT_VERSION,
  encodeManifest,
  formatTimestamp,
  newUuid,
  parseManifest,
  validateProvisionRequestManifest,
  type CsrEntry,
  type ProvisionRequestManifest,
} from './manifest.js';
import { OID_CT_PROVISION_REQUEST, OID_CT_PROXIED_PROVISION_REQUEST } from './oids.js';
import type { Certificate } from './x509.js';

/** The identity that signs a file: its certificate, private key, algorithm and the CA certificates above it. */
export interface SignerIdentity {
  certificate: Certificate;
  privateKey: CryptoKey;
  algorithm: KeyAlgorithmName;
  /** Intermediate CA certificates between the signer and a trust anchor (the anchor may be included). */
  chain: Certificate[];
}

/** Options of createProvisionRequest. */
export interface CreateProvisionRequestOptions {
  /** Default: a random UUID. */
  requestId?: string;
  systemId: string;
  componentHandle: string;
  hardwareId: string;
  /** profileId of the .mcpp the keys were generated for. */
  profileId: string;
  /** Default `initial`. */
  purpose?: 'initial' | 'reprovision';
  /** Default now. */
  createdAt?: Date;
  csrs: CsrEntry[];
  signer: SignerIdentity;
  /** signingTime; default createdAt. */
  signingTime?: Date;
}

/** A Provision Request as read, with its CSRs parsed in manifest order. */
export interface ProvisionRequest {
  /** The device's .mcpr (the inner file when it arrived proxied). */
  bytes: Uint8Array;
  signedData: SignedDataContent;
  manifest: ProvisionRequestManifest;
  csrs: CertificationRequest[];
  warnings: string[];
  /** The proxy's outer SignedData, when the request arrived proxied. */
  proxy?: SignedDataContent;
}

/** Options shared by the readers. */
export interface ReadOptions {
  certificateCache?: CertificateCache;
}

/**
 * Creates a signed .mcpr. Throws ProvkitError('invalid-argument') naming the field when a
 * value breaks the schema, or ('mismatch') when a CSR's key is not of its entry's algorithm.
 */
export async function createProvisionRequest(options: CreateProvisionRequestOptions): Promise<{ bytes: Uint8Array; manifest: ProvisionRequestManifest }> {
  const createdAt = options.createdAt ?? new Date();
  const manifest: ProvisionRequestManifest = {
    type: 'mcpr',
    formatVersion: FORMAT_VERSION,
    requestId: options.requestId ?? newUuid(),
    systemId: options.systemId,
    componentHandle: options.componentHandle,
    hardwareId: options.hardwareId,
    profileId: options.profileId,
    purpose: options.purpose ?? 'initial',
    createdAt: formatTimestamp(createdAt),
    csrs: options.csrs,
  };
  const content = encodeManifest(manifest);
  parseCsrs(manifest, {}, 'invalid-argument');
  const bytes = await createSignedData({
    contentType: OID_CT_PROVISION_REQUEST,
    content,
    signerCertificate: options.signer.certificate,
    signerKey: options.signer.privateKey,
    signerAlgorithm: options.signer.algorithm,
    certificates: options.signer.chain,
    signingTime: options.signingTime ?? createdAt,
  });
  return { bytes, manifest };
}

/**
 * Parses the CSRs of a manifest and checks each key against its entry's algorithm.
 * Throws ProvkitError naming `manifest.csrs[i].csr`.
 */
function parseCsrs(manifest: ProvisionRequestManifest, location: ErrorLocation, badValueCode: 'malformed' | 'invalid-argument'): CertificationRequest[] {
  return manifest.csrs.map((entry, i) => {
    const field = `manifest.csrs[${i}].csr`;
    let csr: CertificationRequest;
    try {
      csr = parseCertificationRequest(entry.csr, { ...location, field });
    } catch (error) {
      if (!(error instanceof ProvkitError)) throw error;
      // Keep the CSR parser's detail (its field inside the CSR) but report the manifest field.
      const prefix = location.file === undefined ? '' : `${location.file}: `;
      const detail = error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message;
      const code = badValueCode === 'invalid-argument' ? 'invalid-argument' : error.code;
      throw new ProvkitError(code, `the CSR for role "${entry.role}" is invalid: ${detail}`, { ...location, field }, { cause: error });
    }
    if (csr.keyAlgorithm === undefined) {
      throw new ProvkitError('unsupported', `the CSR for role "${entry.role}" contains a key of an algorithm provkit does not support`, { ...location, field });
    }
    if (csr.keyAlgorithm !== entry.algorithm) {
      throw new ProvkitError('mismatch', `the CSR for role "${entry.role}" contains a ${csr.keyAlgorithm} key, but the entry's algorithm is ${entry.algorithm}`, {
        ...location,
        field: `manifest.csrs[${i}].algorithm`,
      });
    }
    return csr;
  });
}

/**
 * Reads a .mcpr, plain or proxied, without checking signatures or trust (see
 * verifyProvisionRequest). Throws ProvkitError (malformed, wrong-type, bad-version,
 * oversized, unsupported, mismatch) naming the file and the field.
 */
export function readProvisionRequest(bytes: Uint8Array, location: ErrorLocation = {}, options: ReadOptions = {}): ProvisionRequest {
  const outer = parseSignedData(bytes, location, { maxBytes: MAX_SIGNED_FILE_BYTES, ...options });
  requireContentType(outer, [OID_CT_PROVISION_REQUEST, OID_CT_PROXIED_PROVISION_REQUEST], 'a Provision Request (.mcpr)');
  requireSignedFileStructure(outer);
  if (outer.contentType === OID_CT_PROVISION_REQUEST) return readInnerRequest(outer, bytes, location);

  const innerBytes = proxiedContent(outer);
  const innerLocation = innerRequestLocation(location);
  const inner = parseSignedData(innerBytes, innerLocation, { maxBytes: MAX_SIGNED_FILE_BYTES, ...options });
  if (inner.contentType === OID_CT_PROXIED_PROVISION_REQUEST) {
    throw new ProvkitError('malformed', 'a proxied request wraps another proxied request; a proxy wraps only a device request', {
      ...innerLocation,
      field: 'encapContentInfo.eContentType',
    });
  }
  requireContentType(inner, [OID_CT_PROVISION_REQUEST], 'a Provision Request (.mcpr) inside the proxy wrapping');
  requireSignedFileStructure(inner);
  const request = readInnerRequest(inner, innerBytes, innerLocation);
  request.proxy = outer;
  request.warnings.unshift(...outer.warnings);
  return request;
}

/** Returns the location used in messages about the device request inside a proxy wrapping. */
export function innerRequestLocation(location: ErrorLocation): ErrorLocation {
  return { ...location, file: `${location.file ?? 'request'} (inner request)` };
}

function proxiedContent(outer: SignedDataContent): Uint8Array {
  if (outer.content === undefined || outer.content.length === 0) {
    throw new ProvkitError('malformed', 'the proxied request has no content; it must carry the device .mcpr', {
      ...outer.location,
      field: 'encapContentInfo.eContent',
    });
  }
  return outer.content;
}

function readInnerRequest(signedData: SignedDataContent, bytes: Uint8Array, location: ErrorLocation): ProvisionRequest {
  if (signedData.content === undefined) {
    throw new ProvkitError('malformed', 'the request has no manifest content', { ...location, field: 'encapContentInfo.eContent' });
  }
  const { manifest, warnings } = parseManifest(signedData.content, location, validateProvisionRequestManifest);
  const csrs = parseCsrs(manifest, location, 'malformed');
  return { bytes, signedData, manifest, csrs, warnings: [...signedData.warnings, ...warnings.map((warning) => `${location.file ?? 'request'}: ${warning}`)] };
}

/**
 * Wraps a device's .mcpr, byte for byte, in a proxied request signed by the proxy.
 * Throws ProvkitError when `request` is not a plain .mcpr (a proxy does not wrap a proxy).
 */
export async function wrapProvisionRequest(request: Uint8Array, proxy: SignerIdentity, options: { signingTime?: Date; file?: string } = {}): Promise<Uint8Array> {
  const location: ErrorLocation = options.file === undefined ? {} : { file: options.file };
  const parsed = parseSignedData(request, location);
  if (parsed.contentType === OID_CT_PROXIED_PROVISION_REQUEST) {
    throw new ProvkitError('invalid-argument', 'the request is already proxied; a proxy wraps only a device request', {
      ...location,
      field: 'encapContentInfo.eContentType',
    });
  }
  requireContentType(parsed, [OID_CT_PROVISION_REQUEST], 'a device Provision Request (.mcpr)');
  const wrapped = await createSignedData({
    contentType: OID_CT_PROXIED_PROVISION_REQUEST,
    content: request,
    signerCertificate: proxy.certificate,
    signerKey: proxy.privateKey,
    signerAlgorithm: proxy.algorithm,
    certificates: proxy.chain,
    ...(options.signingTime === undefined ? {} : { signingTime: options.signingTime }),
  });
  if (wrapped.length > MAX_SIGNED_FILE_BYTES) {
    throw new ProvkitError('invalid-argument', `the proxied request would be ${wrapped.length} bytes; the limit is ${MAX_SIGNED_FILE_BYTES}`, location);
  }
  return wrapped;
}

/**
 * Returns the proxy's outer SignedData and the device's .mcpr inside it, without checking
 * signatures. Throws ProvkitError('wrong-type') when `bytes` is not a proxied request.
 */
export function unwrapProvisionRequest(bytes: Uint8Array, location: ErrorLocation = {}, options: ReadOptions = {}): { outer: SignedDataContent; inner: Uint8Array } {
  const outer = parseSignedData(bytes, location, { maxBytes: MAX_SIGNED_FILE_BYTES, ...options });
  requireContentType(outer, [OID_CT_PROXIED_PROVISION_REQUEST], 'a proxied Provision Request (.mcpr)');
  requireSignedFileStructure(outer);
  return { outer, inner: proxiedContent(outer) };
}
