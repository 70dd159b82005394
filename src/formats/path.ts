/**
 * Certification path building and validation (RFC 5280 section 6) from a leaf through
 * untrusted intermediates to one of the given trust anchors at a given time.
 *
 * Building: candidate issuers are the anchors and intermediates whose subject equals the
 * certificate's issuer, narrowed by authorityKeyIdentifier/subjectKeyIdentifier. Paths are
 * explored depth first without repeating a certificate, and the first path that passes every
 * check wins. When none passes, the failures of the path with the fewest failures are reported.
 *
 * Anchors are treated like CA certificates: their validity, basicConstraints, keyUsage and
 * critical extensions are checked too (RFC 5280 6.1 leaves this to the relying party; OpenSSL
 * does the same). Their self-signatures are not checked.
 */
import type { ErrorCode, ErrorLocation } from '../errors.js';
import type { VerifyOutcome } from '../crypto/signature.js';
import { verifySignature } from '../crypto/signature.js';
import { bytesEqual } from '../crypto/tlv.js';
import { toHex } from '../crypto/bytes.js';
import { sha256 } from '../crypto/sha256.js';
import { nameWithinSubtree, namesEqual, type DistinguishedName, type GeneralName } from './name.js';
import { verificationResult, type VerificationFailure, type VerificationResult } from './verification.js';
import { EKU_OID, EXTENSION_OID, findExtension, parseCertificate, type Certificate, type KeyUsageName, type NameConstraints } from './x509.js';

/** Inputs of validatePath. An input added here that changes the outcome must also enter pathCacheKey. */
export interface PathValidationOptions {
  anchors: Certificate[];
  /** Untrusted certificates that may complete the path (for example those embedded in a file). */
  intermediates: Certificate[];
  /** The time at which every certificate on the path must be valid. */
  time: Date;
  /** Key usage bits the leaf must have when it has a keyUsage extension. */
  requiredKeyUsage?: KeyUsageName[];
  /** Extended key usages the leaf must have when it has an extKeyUsage extension. */
  requiredExtendedKeyUsage?: string[];
  /** When true, a leaf without extKeyUsage fails a requiredExtendedKeyUsage check instead of passing. */
  requireExtendedKeyUsagePresent?: boolean;
  /** Maximum number of non-self-issued intermediates (default 8). */
  maxIntermediates?: number;
  /** Memoises path validations, signature checks and parses between files of a batch. */
  cache?: PathValidationCache;
}

/** Result of validatePath: every failed check of the best path found. */
export interface PathValidationResult extends VerificationResult {
  /** Leaf first, anchor last; empty when no path to an anchor exists. */
  chain: Certificate[];
}

/** Default limit on intermediates; provkit hierarchies have one or two. */
export const DEFAULT_MAX_INTERMEDIATES = 8;

// Bounds on the search so hostile input (many look-alike intermediates) stays cheap.
const MAX_COMPLETE_PATHS = 16;
const MAX_SEARCH_STEPS = 1000;

/** Number of complete path validation results a PathValidationCache keeps. */
const PATH_CACHE_LIMIT = 1024;

/**
 * Number of signature check outcomes a PathValidationCache keeps. A batch of requests from one
 * system shares a few issuer and subject pairs, so a long-lived cache stays small unless it sees
 * many distinct certificates, and then the least recently used outcomes are dropped.
 */
export const SIGNATURE_CACHE_LIMIT = 4096;

/**
 * Memoises the expensive parts of path validation across the files of a batch: whole
 * validations keyed by the fingerprints of every certificate involved, the options and where
 * the validation time falls against each validity period, signature checks keyed by issuer
 * and subject fingerprints, and certificate parses keyed by SHA-256. Results are only reused
 * for identical bytes, so sharing a cache cannot change an outcome.
 */
export class PathValidationCache {
  private readonly signatures = new Map<string, Promise<VerifyOutcome>>();
  private readonly certificates = new Map<string, Certificate>();
  private readonly paths = new Map<string, Promise<PathValidationResult>>();
  /**
   * Counts of signature checks run and served from the cache (a reused path validation counts
   * the signatures of its chain as served), of parses run and reused, and of path validations
   * run and reused.
   */
  readonly stats = { signatureChecks: 0, signatureHits: 0, parses: 0, parseHits: 0, pathValidations: 0, pathHits: 0 };

  /**
   * Returns a copy of the path validation result stored under `key`, running `validate` on the
   * first request for that key. Concurrent requests share one run. The least recently used of
   * PATH_CACHE_LIMIT results is dropped first.
   */
  async validatePathOnce(key: string, validate: () => Promise<PathValidationResult>): Promise<PathValidationResult> {
    let pending = this.paths.get(key);
    if (pending !== undefined) {
      this.stats.pathHits++;
      // Map iteration follows insertion order, so re-inserting marks the entry as recently used.
      this.paths.delete(key);
      this.paths.set(key, pending);
      const reused = await pending;
      this.stats.signatureHits += Math.max(0, reused.chain.length - 1);
      return copyPathResult(reused);
    }
    this.stats.pathValidations++;
    pending = validate();
    if (this.paths.size >= PATH_CACHE_LIMIT) this.paths.delete(this.paths.keys().next().value!);
    this.paths.set(key, pending);
    // validatePath does not throw for bad certificates; anything that does throw is not kept.
    pending.catch(() => this.paths.delete(key));
    return copyPathResult(await pending);
  }

  /**
   * Verifies `subject`'s signature with `issuer`'s key, once per pair while the pair is among
   * the SIGNATURE_CACHE_LIMIT most recently used; the outcome is a VerifyOutcome, never an exception.
   */
  verifyIssuedBy(subject: Certificate, issuer: Certificate): Promise<VerifyOutcome> {
    const key = `${issuer.fingerprint}:${subject.fingerprint}`;
    const cached = this.signatures.get(key);
    if (cached !== undefined) {
      this.stats.signatureHits++;
      // Re-inserting moves the entry to the end of the insertion order, the most recently used end.
      this.signatures.delete(key);
      this.signatures.set(key, cached);
      return cached;
    }
    this.stats.signatureChecks++;
    const outcome = verifySignature(issuer.spki, subject.signatureAlgorithm, subject.tbs, subject.signatureValue);
    if (this.signatures.size >= SIGNATURE_CACHE_LIMIT) this.signatures.delete(this.signatures.keys().next().value!);
    this.signatures.set(key, outcome);
    return outcome;
  }

  /** Number of signature check outcomes held, at most SIGNATURE_CACHE_LIMIT. */
  get signatureCount(): number {
    return this.signatures.size;
  }

  /** Parses a DER certificate once per distinct encoding; later calls return the same object. Throws as parseCertificate does. */
  parseCertificate(der: Uint8Array, location: ErrorLocation): Certificate {
    const key = toHex(sha256(der));
    const existing = this.certificates.get(key);
    if (existing !== undefined) {
      this.stats.parseHits++;
      return existing;
    }
    this.stats.parses++;
    const parsed = parseCertificate(der, location);
    this.certificates.set(key, parsed);
    return parsed;
  }
}

function failure(code: ErrorCode, message: string, certificate?: Certificate): VerificationFailure {
  const result: VerificationFailure = { code, message };
  if (certificate !== undefined) result.certificate = describe(certificate);
  return result;
}

function describe(certificate: Certificate): string {
  if (certificate.subjectName !== '') return certificate.subjectName;
  return certificate.subjectAltNames[0]?.value ?? `(empty subject, serial ${certificate.serialHex})`;
}

/** Candidate issuers of `certificate`, anchors first, then currently valid intermediates. */
function candidateIssuers(certificate: Certificate, anchors: Certificate[], intermediates: Certificate[], time: Date): { issuer: Certificate; anchor: boolean }[] {
  const matches = (candidate: Certificate): boolean => {
    if (!namesEqual(candidate.subjectDN, certificate.issuerDN)) return false;
    // RFC 5280 4.2.1.1: the AKI key identifier names the issuer's SKI; differing ones cannot chain.
    const aki = certificate.authorityKeyIdentifier;
    const ski = candidate.subjectKeyIdentifier;
    return aki === undefined || ski === undefined || bytesEqual(aki, ski);
  };
  const anchorFingerprints = new Set(anchors.map((anchor) => anchor.fingerprint));
  const validNow = (candidate: Certificate): number => (candidate.notBefore <= time && time <= candidate.notAfter ? 0 : 1);
  const fromIntermediates = intermediates
    .filter((candidate) => !anchorFingerprints.has(candidate.fingerprint) && matches(candidate))
    .sort((a, b) => validNow(a) - validNow(b));
  return [...anchors.filter(matches).map((issuer) => ({ issuer, anchor: true })), ...fromIntermediates.map((issuer) => ({ issuer, anchor: false }))];
}

/** Enumerates complete paths (leaf first, anchor last) depth first, without repeating a certificate. */
function buildPaths(leaf: Certificate, options: PathValidationOptions): Certificate[][] {
  const paths: Certificate[][] = [];
  if (options.anchors.some((anchor) => anchor.fingerprint === leaf.fingerprint)) return [[leaf]];
  const maxIntermediates = options.maxIntermediates ?? DEFAULT_MAX_INTERMEDIATES;
  let steps = 0;

  const extend = (path: Certificate[], intermediatesUsed: number): void => {
    if (paths.length >= MAX_COMPLETE_PATHS || steps++ > MAX_SEARCH_STEPS) return;
    const current = path[path.length - 1]!;
    for (const { issuer, anchor } of candidateIssuers(current, options.anchors, options.intermediates, options.time)) {
      if (path.some((certificate) => certificate.fingerprint === issuer.fingerprint)) continue;
      if (anchor) {
        paths.push([...path, issuer]);
        continue;
      }
      const used = intermediatesUsed + (issuer.selfIssued ? 0 : 1);
      if (used > maxIntermediates) continue;
      extend([...path, issuer], used);
    }
  };
  extend([leaf], 0);
  return paths;
}

/**
 * Builds and validates a path from `leaf` to one of `options.anchors`. Never throws for bad
 * certificates: the result lists every failed check with its code ('untrusted',
 * 'signature-invalid', 'unsupported', 'expired', 'not-yet-valid', 'wrong-usage',
 * 'unknown-critical-extension', 'name-not-permitted', 'malformed').
 */
export async function validatePath(leaf: Certificate, options: PathValidationOptions): Promise<PathValidationResult> {
  const cache = options.cache;
  if (cache === undefined) return buildAndValidatePath(leaf, options, new PathValidationCache());
  return cache.validatePathOnce(pathCacheKey(leaf, options), () => buildAndValidatePath(leaf, options, cache));
}

/**
 * Returns the key of a path validation in PathValidationCache: the fingerprints of the leaf,
 * the intermediates and the anchors in the order given (the order decides which path is tried
 * first), the options that change the outcome, and for each of those certificates where
 * `options.time` falls against its validity period. The time enters validation only through
 * the comparisons encoded here, so every time with the same encoding gets the same result.
 */
function pathCacheKey(leaf: Certificate, options: PathValidationOptions): string {
  const time = options.time.getTime();
  const position = (certificate: Certificate): number => {
    const notBefore = certificate.notBefore.getTime();
    const notAfter = certificate.notAfter.getTime();
    // The three comparisons checkValidity and candidateIssuers make; an invalid time fails all three.
    return (time < notBefore ? 1 : 0) | (time > notAfter ? 2 : 0) | (notBefore <= time && time <= notAfter ? 4 : 0);
  };
  const part = (certificates: Certificate[]): string => certificates.map((certificate) => `${certificate.fingerprint}${position(certificate)}`).join(',');
  const settings = JSON.stringify([
    options.requiredKeyUsage ?? [],
    options.requiredExtendedKeyUsage ?? [],
    options.requireExtendedKeyUsagePresent === true,
    options.maxIntermediates ?? DEFAULT_MAX_INTERMEDIATES,
  ]);
  return `${settings}|${part([leaf])}|${part(options.intermediates)}|${part(options.anchors)}`;
}

// Each caller gets its own arrays and failure objects, so nothing it changes reaches the cache.
function copyPathResult(result: PathValidationResult): PathValidationResult {
  return { ok: result.ok, failures: result.failures.map((item) => ({ ...item })), warnings: [...result.warnings], chain: [...result.chain] };
}

async function buildAndValidatePath(leaf: Certificate, options: PathValidationOptions, cache: PathValidationCache): Promise<PathValidationResult> {
  const paths = buildPaths(leaf, options);
  if (paths.length === 0) {
    const result = verificationResult(
      [
        failure(
          'untrusted',
          `no path from "${describe(leaf)}" to a trust anchor: the issuer "${leaf.issuerName}" is neither a trust anchor nor reachable through the given intermediates; add the issuing CA chain or the right TrustStore`,
          leaf,
        ),
      ],
      leaf.warnings.map((warning) => `${describe(leaf)}: ${warning}`),
    );
    return { ...result, chain: [] };
  }

  let best: PathValidationResult | undefined;
  for (const path of paths) {
    const result = await validateChain(path, options, cache);
    if (result.ok) return result;
    if (best === undefined || result.failures.length < best.failures.length) best = result;
  }
  return best!;
}

/** Runs every RFC 5280 6.1 check on one complete path, leaf first. */
async function validateChain(chain: Certificate[], options: PathValidationOptions, cache: PathValidationCache): Promise<PathValidationResult> {
  const failures: VerificationFailure[] = [];
  const warnings: string[] = [];
  const leaf = chain[0]!;
  const anchorIndex = chain.length - 1;
  const time = options.time;

  // Signatures: each certificate below the anchor by its issuer's key (6.1.3 (a)(1)).
  const outcomes = await Promise.all(chain.slice(0, anchorIndex).map((certificate, index) => cache.verifyIssuedBy(certificate, chain[index + 1]!)));
  outcomes.forEach((outcome, index) => {
    const certificate = chain[index]!;
    if (outcome === 'invalid') {
      failures.push(failure('signature-invalid', `the signature of "${describe(certificate)}" does not verify with the key of "${describe(chain[index + 1]!)}"`, certificate));
    } else if (outcome === 'unsupported') {
      failures.push(failure('unsupported', `the signature of "${describe(certificate)}" uses an algorithm or key provkit does not support`, certificate));
    }
  });

  chain.forEach((certificate, index) => {
    for (const warning of certificate.warnings) warnings.push(`${describe(certificate)}: ${warning}`);
    checkValidity(certificate, time, failures);
    checkProfile(certificate, index === 0, failures);
    for (const oid of certificate.unknownCriticalExtensions) {
      failures.push(failure('unknown-critical-extension', `"${describe(certificate)}" has critical extension ${oid}, which provkit does not process`, certificate));
    }
    if (index > 0) checkIssuerRole(certificate, failures);
  });

  checkPathLength(chain, failures);
  checkNameConstraints(chain, failures);
  checkLeafUsage(leaf, options, failures);

  return { ...verificationResult(dedupe(failures), warnings), chain };
}

function dedupe(failures: VerificationFailure[]): VerificationFailure[] {
  const seen = new Set<string>();
  return failures.filter((item) => {
    const key = `${item.code}|${item.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

// 6.1.3 (a)(2): the validation time lies within notBefore..notAfter, both inclusive.
function checkValidity(certificate: Certificate, time: Date, failures: VerificationFailure[]): void {
  if (time < certificate.notBefore) {
    failures.push(failure('not-yet-valid', `"${describe(certificate)}" is not valid before ${certificate.notBefore.toISOString()}`, certificate));
  }
  if (time > certificate.notAfter) {
    failures.push(failure('expired', `"${describe(certificate)}" expired at ${certificate.notAfter.toISOString()}`, certificate));
  }
}

/** RFC 5280 section 4 rules for conforming certificates that the parser leaves to the validator. */
function checkProfile(certificate: Certificate, isLeaf: boolean, failures: VerificationFailure[]): void {
  const violation = (message: string): void => {
    failures.push(failure('malformed', `"${describe(certificate)}" ${message}`, certificate));
  };
  const aki = findExtension(certificate, EXTENSION_OID.authorityKeyIdentifier);
  const ski = findExtension(certificate, EXTENSION_OID.subjectKeyIdentifier);
  const isCa = certificate.basicConstraints?.ca === true;
  // 4.2.1.1 and 4.2.1.2: both MUST be non-critical.
  if (aki?.critical === true) violation('marks authorityKeyIdentifier critical (RFC 5280 4.2.1.1)');
  if (ski?.critical === true) violation('marks subjectKeyIdentifier critical (RFC 5280 4.2.1.2)');
  if (certificate.version === 3) {
    // 4.2.1.1: every certificate but a self-signed one carries the AKI key identifier.
    const selfSigned = certificate.selfIssued && (certificate.authorityKeyIdentifier === undefined || bytesEqual(certificate.authorityKeyIdentifier, certificate.subjectKeyIdentifier ?? new Uint8Array()));
    if (certificate.authorityKeyIdentifier === undefined && !selfSigned) violation('has no authorityKeyIdentifier key identifier (RFC 5280 4.2.1.1)');
    // 4.2.1.2: every CA certificate carries an SKI.
    if (isCa && certificate.subjectKeyIdentifier === undefined) violation('is a CA certificate without subjectKeyIdentifier (RFC 5280 4.2.1.2)');
  }
  // 4.2.1.3: keyCertSign requires cA.
  if (certificate.keyUsage?.includes('keyCertSign') === true && !isCa) violation('asserts keyCertSign without basicConstraints cA (RFC 5280 4.2.1.3)');
  // 4.2.1.10: name constraints only in CA certificates, and always critical.
  const nameConstraints = findExtension(certificate, EXTENSION_OID.nameConstraints);
  if (nameConstraints !== undefined) {
    if (!isCa) violation('has nameConstraints but is not a CA certificate (RFC 5280 4.2.1.10)');
    if (!nameConstraints.critical) violation('has non-critical nameConstraints (RFC 5280 4.2.1.10)');
  }
  if (isLeaf && certificate.keyAlgorithm === undefined) {
    failures.push(failure('unsupported', `"${describe(certificate)}" has a public key algorithm or size provkit does not support`, certificate));
  }
}

// 6.1.4 (k) and (n): an issuer on the path is a v3 CA certificate with keyCertSign when
// keyUsage is present. RFC 5280 4.2.1.9 requires basicConstraints to be critical there.
function checkIssuerRole(certificate: Certificate, failures: VerificationFailure[]): void {
  const constraints = certificate.basicConstraints;
  // A v1 trust anchor has no extensions at all; RFC 5280 6.1.4 (k) applies only to v3.
  if (certificate.version === 3 || constraints !== undefined) {
    if (constraints?.ca !== true) {
      failures.push(failure('wrong-usage', `"${describe(certificate)}" issues certificates but is not a CA (basicConstraints cA is not set)`, certificate));
    } else if (findExtension(certificate, EXTENSION_OID.basicConstraints)?.critical !== true) {
      failures.push(failure('malformed', `"${describe(certificate)}" is a CA certificate whose basicConstraints is not critical (RFC 5280 4.2.1.9)`, certificate));
    }
  } else if (certificate.version < 3) {
    failures.push(failure('wrong-usage', `"${describe(certificate)}" is a v${certificate.version} certificate and cannot act as a CA`, certificate));
  }
  if (certificate.keyUsage !== undefined && !certificate.keyUsage.includes('keyCertSign')) {
    failures.push(failure('wrong-usage', `"${describe(certificate)}" issues certificates but its keyUsage lacks keyCertSign`, certificate));
  }
}

// 6.1.4 (l) and (m): self-issued intermediates do not count against pathLenConstraint.
function checkPathLength(chain: Certificate[], failures: VerificationFailure[]): void {
  let remaining = Number.POSITIVE_INFINITY;
  for (let index = chain.length - 1; index >= 1; index--) {
    const certificate = chain[index]!;
    const isAnchor = index === chain.length - 1;
    if (!isAnchor && !certificate.selfIssued) {
      if (remaining <= 0) {
        failures.push(failure('wrong-usage', `"${describe(certificate)}" exceeds the pathLenConstraint of a CA above it`, certificate));
      }
      remaining -= 1;
    }
    const pathLength = certificate.basicConstraints?.pathLength;
    if (pathLength !== undefined && pathLength < remaining) remaining = pathLength;
  }
}

/** Names of one certificate, grouped by GeneralName kind, for name-constraint checks. */
function namesOf(certificate: Certificate): GeneralName[] {
  const names: GeneralName[] = [...certificate.subjectAltNameEntries];
  if (certificate.subjectDN.rdns.length > 0) names.push({ kind: 'directoryName', name: certificate.subjectDN });
  // 4.2.1.10: emailAddress attributes in the subject are checked as rfc822Name constraints.
  for (const attribute of certificate.subject) {
    if (attribute.type === '1.2.840.113549.1.9.1') names.push({ kind: 'rfc822Name', value: attribute.value });
  }
  return names;
}

// 6.1.3 (b) and (c), 6.1.4 (g): constraints accumulate from the anchor down; a self-issued
// intermediate is not checked against them, the leaf always is.
function checkNameConstraints(chain: Certificate[], failures: VerificationFailure[]): void {
  const active: { constraints: NameConstraints; from: Certificate }[] = [];
  for (let index = chain.length - 1; index >= 0; index--) {
    const certificate = chain[index]!;
    const isAnchor = index === chain.length - 1;
    if (!isAnchor && active.length > 0 && !(certificate.selfIssued && index > 0)) {
      for (const name of namesOf(certificate)) {
        for (const { constraints, from } of active) {
          const problem = nameConstraintProblem(name, constraints);
          if (problem !== undefined) {
            failures.push(failure('name-not-permitted', `"${describe(certificate)}": ${problem}, by the name constraints of "${describe(from)}"`, certificate));
          }
        }
      }
    }
    if (certificate.nameConstraints !== undefined && index > 0) active.push({ constraints: certificate.nameConstraints, from: certificate });
  }
}

function nameConstraintProblem(name: GeneralName, constraints: NameConstraints): string | undefined {
  const label = formatGeneralName(name);
  if (name.kind === 'dNSName' && !isValidDnsName(name.value)) {
    const constrained = [...constraints.permitted, ...constraints.excluded].some((base) => base.kind === 'dNSName');
    if (constrained) return `${label} is not a valid DNS name and cannot be checked`;
  }
  for (const base of constraints.excluded) {
    if (base.kind === name.kind && nameMatches(name, base) === true) return `${label} is excluded`;
  }
  const permitted = constraints.permitted.filter((base) => base.kind === name.kind);
  if (permitted.length > 0 && !permitted.some((base) => nameMatches(name, base) === true)) return `${label} is not within the permitted subtrees`;
  return undefined;
}

function formatGeneralName(name: GeneralName): string {
  switch (name.kind) {
    case 'dNSName':
    case 'rfc822Name':
    case 'uniformResourceIdentifier':
      return `${name.kind} "${name.value}"`;
    case 'iPAddress':
      return `iPAddress ${Array.from(name.bytes).join('.')}`;
    case 'directoryName':
      return `directoryName "${name.name.text}"`;
    default:
      return name.kind;
  }
}

// Preferred name syntax (RFC 1034 3.5) with an optional leading "*." wildcard label.
function isValidDnsName(value: string): boolean {
  const label = '[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?';
  return new RegExp(`^(\\*\\.)?${label}(\\.${label})*$`).test(value) && value.length <= 253;
}

function dnsWithin(host: string, constraint: string): boolean {
  const name = host.toLowerCase();
  const base = constraint.toLowerCase();
  if (base === '') return true;
  if (base.startsWith('.')) return name.endsWith(base);
  return name === base || name.endsWith(`.${base}`);
}

/** Returns whether `name` lies within `base` (same kind); undefined for kinds provkit does not compare. */
function nameMatches(name: GeneralName, base: GeneralName): boolean | undefined {
  if (name.kind === 'dNSName' && base.kind === 'dNSName') {
    return dnsWithin(name.value.replace(/^\*\./, ''), base.value) || dnsWithin(name.value, base.value);
  }
  if (name.kind === 'rfc822Name' && base.kind === 'rfc822Name') {
    const at = name.value.lastIndexOf('@');
    const host = at < 0 ? name.value : name.value.slice(at + 1);
    if (base.value.includes('@')) return name.value.toLowerCase() === base.value.toLowerCase();
    if (base.value.startsWith('.')) return host.toLowerCase().endsWith(base.value.toLowerCase());
    return host.toLowerCase() === base.value.toLowerCase();
  }
  if (name.kind === 'uniformResourceIdentifier' && base.kind === 'uniformResourceIdentifier') {
    const host = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/(?:[^@/]*@)?(\[[^\]]*\]|[^:/?#]*)/.exec(name.value)?.[1];
    if (host === undefined || host === '') return false;
    return base.value.startsWith('.') ? host.toLowerCase().endsWith(base.value.toLowerCase()) : host.toLowerCase() === base.value.toLowerCase();
  }
  if (name.kind === 'iPAddress' && base.kind === 'iPAddress') {
    const length = name.bytes.length;
    if (base.bytes.length !== 2 * length) return false;
    for (let i = 0; i < length; i++) {
      const mask = base.bytes[length + i]!;
      if ((name.bytes[i]! & mask) !== (base.bytes[i]! & mask)) return false;
    }
    return true;
  }
  if (name.kind === 'directoryName' && base.kind === 'directoryName') {
    return nameWithinSubtree(name.name as DistinguishedName, base.name);
  }
  return undefined;
}

// 4.2.1.3 and 4.2.1.12: usages restrict the leaf only when the extension is present.
function checkLeafUsage(leaf: Certificate, options: PathValidationOptions, failures: VerificationFailure[]): void {
  const requiredKeyUsage = options.requiredKeyUsage ?? [];
  if (leaf.keyUsage !== undefined) {
    const missing = requiredKeyUsage.filter((usage) => !leaf.keyUsage!.includes(usage));
    if (missing.length > 0) {
      failures.push(failure('wrong-usage', `"${describe(leaf)}" keyUsage lacks ${missing.join(', ')}`, leaf));
    }
  }
  const requiredEku = options.requiredExtendedKeyUsage ?? [];
  if (requiredEku.length === 0) return;
  if (leaf.extendedKeyUsage === undefined) {
    if (options.requireExtendedKeyUsagePresent === true) {
      failures.push(failure('wrong-usage', `"${describe(leaf)}" has no extKeyUsage; ${requiredEku.join(', ')} is required`, leaf));
    }
    return;
  }
  if (leaf.extendedKeyUsage.includes(EKU_OID.anyExtendedKeyUsage)) return;
  const missing = requiredEku.filter((oid) => !leaf.extendedKeyUsage!.includes(oid));
  if (missing.length > 0) failures.push(failure('wrong-usage', `"${describe(leaf)}" extKeyUsage lacks ${missing.join(', ')}`, leaf));
}
