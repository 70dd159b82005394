/**
 * The JSON manifests of the signed provkit files (docs/formats.md): their types, a strict
 * UTF-8 JSON reader that rejects duplicate member names, validators that report the field
 * path of every violation, and writers that emit members in the specified order.
 */
import { ProvkitError, type ErrorCode, type ErrorLocation } from '../errors.js';
import { isKeyAlgorithmName, type KeyAlgorithmName } from '../crypto/algorithms.js';
import { fromBase64, toBase64 } from '../crypto/bytes.js';

/** Largest manifest (eContent of a Provision Request or Certified Profile), in bytes. */
export const MAX_MANIFEST_BYTES = 262_144;
/** Largest DER CSR in a manifest, in bytes (the same limit as one certificate). */
export const MAX_CSR_BYTES = 16_384;
/** Largest number of CSRs in a request and of key roles in a profile. */
export const MAX_ROLES = 16;
/** The manifest format version this build writes. */
export const FORMAT_VERSION = '1.0';
/** The manifest major version this build reads. */
export const FORMAT_MAJOR_VERSION = 1;
/** Maximum validity a key role may request, in days (30 years). */
export const MAX_VALIDITY_DAYS = 10_950;
/** Placeholders a subject template may contain. */
export const SUBJECT_TEMPLATE_PLACEHOLDERS = ['hardwareId', 'componentHandle', 'role', 'systemId', 'requestId'] as const;
/** Attribute short names a subject template may use besides dotted OIDs. */
export const SUBJECT_ATTRIBUTE_NAMES = ['CN', 'O', 'OU', 'C', 'L', 'ST', 'serialNumber'] as const;
/** Key usages a profile may request for an end-entity key. */
export const PROFILE_KEY_USAGES = [
  'digitalSignature',
  'nonRepudiation',
  'keyEncipherment',
  'dataEncipherment',
  'keyAgreement',
  'encipherOnly',
  'decipherOnly',
] as const;

/** A key usage a profile may request (keyCertSign and cRLSign are excluded: profiles certify end entities). */
export type ProfileKeyUsage = (typeof PROFILE_KEY_USAGES)[number];

/** Patterns of the common field syntax. */
export const PATTERNS = {
  uuid: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
  componentHandle: /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/,
  hardwareId: /^[A-Za-z0-9._:-]{1,36}$/,
  role: /^[a-z][a-z0-9-]{0,31}$/,
  timestamp: /^([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]{1,3})?Z$/,
  sha256: /^[0-9a-f]{64}$/,
  oid: /^[0-2](\.(0|[1-9][0-9]*))+$/,
  base64: /^[A-Za-z0-9+/]+={0,2}$/,
  formatVersion: /^(0|[1-9][0-9]{0,3})\.(0|[1-9][0-9]{0,3})$/,
} as const;

// ---------------------------------------------------------------------------------------
// Types

/** One CSR of a Provision Request: the key role, its algorithm and the DER PKCS #10. */
export interface CsrEntry {
  role: string;
  algorithm: KeyAlgorithmName;
  /** DER CertificationRequest (base64 in the JSON). */
  csr: Uint8Array;
}

/** The manifest of a Provision Request (.mcpr, content type BASE.1). */
export interface ProvisionRequestManifest {
  type: 'mcpr';
  formatVersion: string;
  requestId: string;
  systemId: string;
  componentHandle: string;
  hardwareId: string;
  /** profileId of the .mcpp the keys were generated for. */
  profileId: string;
  /** `initial`: signed by the provisioning identity; `reprovision`: signed by the current device identity. */
  purpose: 'initial' | 'reprovision';
  /** RFC 3339 UTC timestamp. */
  createdAt: string;
  csrs: CsrEntry[];
}

/** One attribute of a subject template; `value` may contain placeholders such as `{hardwareId}`. */
export interface SubjectTemplateAttribute {
  /** CN, O, OU, C, L, ST, serialNumber or a dotted OID. */
  type: string;
  value: string;
}

/** Key role of a profile: the key the device generates, and the usages, subject and validity the issuer certifies it with. */
export interface KeyRoleSpec {
  role: string;
  algorithm: KeyAlgorithmName;
  keyUsage: ProfileKeyUsage[];
  /** Dotted OIDs. */
  extendedKeyUsage: string[];
  /** Subject RDNs in order, one attribute each. */
  subjectTemplate: SubjectTemplateAttribute[];
  validityDays: number;
}

/** The members the two profile manifests share. */
export interface ProfileManifestBase {
  formatVersion: string;
  profileId: string;
  systemId: string;
  systemName?: string;
  componentHandle: string;
  componentName?: string;
  createdAt: string;
  /** SHA-256 of the provisioning identity's certificate, which travels in the SignedData. */
  provisioningCertificateSha256?: string;
  keyRoles: KeyRoleSpec[];
}

/** The manifest of a Certified Profile to be Provisioned (.mcpp, content type BASE.3). */
export interface ProfileToProvisionManifest extends ProfileManifestBase {
  type: 'mcpp';
}

/** The issued certificate of one role, referenced by the SHA-256 of its DER. */
export interface IssuedCertificateReference {
  role: string;
  certificateSha256: string;
}

/** The manifest of a Certified Profile (.mcp, content type BASE.4). */
export interface CertifiedProfileManifest extends ProfileManifestBase {
  type: 'mcp';
  hardwareId: string;
  /** requestId of the .mcpr this profile was issued for. */
  requestId: string;
  certificates: IssuedCertificateReference[];
}

/** Any provkit manifest. */
export type Manifest = ProvisionRequestManifest | ProfileToProvisionManifest | CertifiedProfileManifest;

/** One schema violation: the field path (for example `manifest.csrs[1].role`), the code and the reason. */
export interface ManifestIssue {
  field: string;
  code: ErrorCode;
  message: string;
}

/** Result of validating a manifest: the typed value when there are no issues, and warnings. */
export interface ManifestValidation<T> {
  manifest: T | undefined;
  issues: ManifestIssue[];
  warnings: string[];
}

// ---------------------------------------------------------------------------------------
// Strict JSON

type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;
interface JsonObject {
  [member: string]: JsonValue;
}

const MAX_JSON_DEPTH = 32;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
// C0 controls, DEL and C1 controls: no place in a display name or a certificate subject, and a
// NUL cuts the value short for a reader that uses C strings.
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * Decodes UTF-8 JSON strictly: no byte-order mark, fatal on invalid UTF-8, RFC 8259 grammar,
 * no duplicate member names at any depth. Objects are returned with a null prototype, so a
 * member named `__proto__` is ordinary data. Throws ProvkitError('malformed').
 */
export function parseStrictJson(bytes: Uint8Array, location: ErrorLocation): unknown {
  if (bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
    throw new ProvkitError('malformed', 'the manifest starts with a UTF-8 byte-order mark; write it without one', location);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw new ProvkitError('malformed', 'the manifest is not valid UTF-8', location);
  }
  return new JsonReader(text, location).parseDocument();
}

class JsonReader {
  private position = 0;

  constructor(
    private readonly text: string,
    private readonly location: ErrorLocation,
  ) {}

  parseDocument(): JsonValue {
    const value = this.parseValue(0, 'manifest');
    this.skipWhitespace();
    if (this.position !== this.text.length) this.error('unexpected data after the JSON value', 'manifest');
    return value;
  }

  private error(message: string, path: string): never {
    throw new ProvkitError('malformed', `invalid JSON at character ${this.position}: ${message}`, { ...this.location, field: path });
  }

  private skipWhitespace(): void {
    while (this.position < this.text.length) {
      const c = this.text.charCodeAt(this.position);
      if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) break;
      this.position++;
    }
  }

  private parseValue(depth: number, path: string): JsonValue {
    if (depth > MAX_JSON_DEPTH) this.error(`nesting deeper than ${MAX_JSON_DEPTH} levels`, path);
    this.skipWhitespace();
    const c = this.text[this.position];
    if (c === '{') return this.parseObject(depth, path);
    if (c === '[') return this.parseArray(depth, path);
    if (c === '"') return this.parseString(path);
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return this.parseNumber(path);
    for (const [literal, value] of [['true', true], ['false', false], ['null', null]] as const) {
      if (this.text.startsWith(literal, this.position)) {
        this.position += literal.length;
        return value;
      }
    }
    return this.error(c === undefined ? 'unexpected end of input' : `unexpected character ${JSON.stringify(c)}`, path);
  }

  private parseObject(depth: number, path: string): JsonObject {
    this.position++;
    const object = Object.create(null) as JsonObject;
    this.skipWhitespace();
    if (this.text[this.position] === '}') {
      this.position++;
      return object;
    }
    for (;;) {
      this.skipWhitespace();
      if (this.text[this.position] !== '"') this.error('expected a member name', path);
      const name = this.parseString(path);
      const memberPath = `${path}.${name}`;
      if (Object.prototype.hasOwnProperty.call(object, name)) this.error(`member "${name}" appears twice`, memberPath);
      this.skipWhitespace();
      if (this.text[this.position] !== ':') this.error('expected ":"', memberPath);
      this.position++;
      object[name] = this.parseValue(depth + 1, memberPath);
      this.skipWhitespace();
      const next = this.text[this.position++];
      if (next === '}') return object;
      if (next !== ',') this.error('expected "," or "}"', path);
    }
  }

  private parseArray(depth: number, path: string): JsonValue[] {
    this.position++;
    const array: JsonValue[] = [];
    this.skipWhitespace();
    if (this.text[this.position] === ']') {
      this.position++;
      return array;
    }
    for (;;) {
      array.push(this.parseValue(depth + 1, `${path}[${array.length}]`));
      this.skipWhitespace();
      const next = this.text[this.position++];
      if (next === ']') return array;
      if (next !== ',') this.error('expected "," or "]"', path);
    }
  }

  private parseString(path: string): string {
    const start = this.position;
    // RFC 8259 section 7: no unescaped control characters; escapes as listed there.
    const match = /^"(?:[^"\\\u0000-\u001f]|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4})*"/.exec(this.text.slice(start, start + 1_000_000));
    if (match === null) this.error('invalid string', path);
    this.position += match[0].length;
    const value = JSON.parse(match[0]) as string;
    // RFC 7493 (I-JSON) section 2.1 forbids escaped lone surrogates. Such a string has no
    // UTF-8 form, so a reader in another language would see something else.
    if (LONE_SURROGATE.test(value)) this.error('a string contains an escaped lone surrogate (\\uD800 to \\uDFFF without its pair)', path);
    return value;
  }

  private parseNumber(path: string): number {
    const match = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(this.text.slice(this.position, this.position + 400));
    if (match === null) this.error('invalid number', path);
    this.position += match[0].length;
    return Number(match[0]);
  }
}

// ---------------------------------------------------------------------------------------
// Validation

/** Who calls a validator decides the code of a schema violation: a reader says malformed, a writer invalid-argument. */
export type ValidationContext = 'read' | 'write';

class Checker {
  readonly issues: ManifestIssue[] = [];
  readonly warnings: string[] = [];
  /** True when the file's minor version is newer than this build's, so unknown members are ignored. */
  newerMinor = false;

  constructor(private readonly context: ValidationContext) {}

  issue(field: string, message: string, code?: ErrorCode): void {
    this.issues.push({ field, message, code: code ?? (this.context === 'read' ? 'malformed' : 'invalid-argument') });
  }

  object(value: unknown, field: string): Record<string, unknown> | undefined {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      this.issue(field, `must be a JSON object, found ${describe(value)}`);
      return undefined;
    }
    return value as Record<string, unknown>;
  }

  members(object: Record<string, unknown>, field: string, required: readonly string[], optional: readonly string[]): void {
    for (const name of required) {
      if (!Object.prototype.hasOwnProperty.call(object, name)) this.issue(`${field}.${name}`, 'is required but missing');
    }
    for (const name of Object.keys(object)) {
      if (required.includes(name) || optional.includes(name)) continue;
      if (this.newerMinor) this.warnings.push(`${field}.${name}: unknown member of a newer minor version, ignored`);
      else this.issue(`${field}.${name}`, 'is not a member of this manifest version; remove it');
    }
  }

  string(value: unknown, field: string, pattern: RegExp, syntax: string): string | undefined {
    if (value === undefined) return undefined;
    if (typeof value !== 'string') {
      this.issue(field, `must be a string (${syntax}), found ${describe(value)}`);
      return undefined;
    }
    if (!pattern.test(value)) {
      this.issue(field, `${quote(value)} is not ${syntax}`);
      return undefined;
    }
    return value;
  }

  /** Checks a free-text member: 1 to `maxLength` Unicode characters (code points, as JSON Schema counts them), no control characters. */
  text(value: unknown, field: string, maxLength: number): string | undefined {
    if (value === undefined) return undefined;
    const length = typeof value === 'string' ? codePointLength(value) : 0;
    if (typeof value !== 'string' || length === 0 || length > maxLength) {
      this.issue(field, `must be a string of 1 to ${maxLength} characters, found ${describe(value)}`);
      return undefined;
    }
    if (CONTROL_CHARACTER.test(value)) {
      this.issue(field, `${quote(value)} contains a control character (U+0000 to U+001F or U+007F to U+009F); remove it`);
      return undefined;
    }
    return value;
  }

  timestamp(value: unknown, field: string): string | undefined {
    const text = this.string(value, field, PATTERNS.timestamp, 'an RFC 3339 UTC timestamp such as 2026-01-31T12:00:00Z');
    if (text === undefined) return undefined;
    const [, year, month, day, hour, minute, second] = PATTERNS.timestamp.exec(text)!.map(Number) as number[];
    const date = new Date(Date.UTC(year!, month! - 1, day!, hour!, minute!, second!));
    if (date.getUTCMonth() !== month! - 1 || date.getUTCDate() !== day! || hour! > 23 || minute! > 59 || second! > 59) {
      this.issue(field, `${quote(text)} is not a real calendar date and time`);
      return undefined;
    }
    return text;
  }

  array(value: unknown, field: string, minItems: number, maxItems: number): unknown[] | undefined {
    if (value === undefined) return undefined;
    if (!Array.isArray(value)) {
      this.issue(field, `must be an array, found ${describe(value)}`);
      return undefined;
    }
    if (value.length > maxItems) {
      this.issue(field, `has ${value.length} items; the limit is ${maxItems}`, this.context === 'read' ? 'oversized' : 'invalid-argument');
      return undefined;
    }
    if (value.length < minItems) {
      this.issue(field, `has ${value.length} items; at least ${minItems} required`);
      return undefined;
    }
    return value;
  }

  enumeration<T extends string>(value: unknown, field: string, allowed: readonly T[]): T | undefined {
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
      this.issue(field, `${typeof value === 'string' ? quote(value) : describe(value)} is not one of ${allowed.join(', ')}`);
      return undefined;
    }
    return value as T;
  }

  algorithm(value: unknown, field: string): KeyAlgorithmName | undefined {
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || !isKeyAlgorithmName(value)) {
      this.issue(
        field,
        `${typeof value === 'string' ? quote(value) : describe(value)} is not a provkit key algorithm (ecdsa-p256, ecdsa-p384, ed25519, rsa-pss-2048/3072/4096, rsa-pkcs1-2048/3072/4096)`,
        this.context === 'read' && typeof value === 'string' ? 'unsupported' : undefined,
      );
      return undefined;
    }
    return value;
  }

  /** Checks `type` and `formatVersion`, which decide how the rest is read. Returns false when reading must stop. */
  header(object: Record<string, unknown>, expectedType: string): boolean {
    const type = object['type'];
    if (type !== expectedType) {
      this.issue(
        'manifest.type',
        `is ${typeof type === 'string' ? quote(type) : describe(type)}, expected "${expectedType}": this is not a ${expectedType} manifest`,
        this.context === 'read' ? 'wrong-type' : 'invalid-argument',
      );
      return false;
    }
    const version = object['formatVersion'];
    if (typeof version !== 'string' || !PATTERNS.formatVersion.test(version)) {
      this.issue('manifest.formatVersion', `must be "MAJOR.MINOR" such as "${FORMAT_VERSION}", found ${describe(version)}`);
      return false;
    }
    const [major, minor] = version.split('.').map(Number) as [number, number];
    if (major !== FORMAT_MAJOR_VERSION) {
      this.issue('manifest.formatVersion', `version ${version} is not supported; this build reads major version ${FORMAT_MAJOR_VERSION}`, 'bad-version');
      return false;
    }
    if (this.context === 'write' && version !== FORMAT_VERSION) {
      this.issue('manifest.formatVersion', `writers emit version ${FORMAT_VERSION}, not ${version}`);
      return false;
    }
    if (minor > 0) {
      this.newerMinor = true;
      this.warnings.push(`manifest.formatVersion: version ${version} is newer than ${FORMAT_VERSION}; members this build does not know are ignored`);
    }
    return true;
  }

  uniqueRoles(items: { role: string }[] | undefined, field: string): void {
    if (items === undefined) return;
    const seen = new Set<string>();
    items.forEach((item, i) => {
      if (seen.has(item.role)) this.issue(`${field}[${i}].role`, `role ${quote(item.role)} appears more than once; roles are unique`);
      seen.add(item.role);
    });
  }
}

function codePointLength(text: string): number {
  let length = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    // A high surrogate followed by a low one is one character.
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
    length++;
  }
  return length;
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `the string ${quote(value)}`;
  return `${typeof value === 'object' ? 'an object' : `the ${typeof value} ${String(value)}`}`;
}

// Quotes a value for a message, cut to 80 characters so a hostile file cannot flood the output.
function quote(value: string): string {
  return JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value);
}

const HARDWARE_ID_SYNTAX = 'a hardware id: 1 to 36 characters from A-Z, a-z, 0-9, ".", "_", ":" and "-"';
const ROLE_SYNTAX = 'a role: 1 to 32 characters, a lowercase letter followed by lowercase letters, digits or "-"';
const HANDLE_SYNTAX = 'a component handle: 1 to 64 characters from A-Z, a-z, 0-9, ".", "_" and "-", starting with a letter or digit';
const UUID_SYNTAX = 'a lowercase UUID such as 0f8fad5b-d9cb-469f-a165-70867728950e';
const SHA256_SYNTAX = 'a lowercase hex SHA-256 fingerprint (64 digits)';

function decodeCanonicalBase64(checker: Checker, value: unknown, field: string, maxBytes: number): Uint8Array | undefined {
  const text = checker.string(value, field, PATTERNS.base64, 'base64 (RFC 4648 alphabet with padding, no whitespace)');
  if (text === undefined) return undefined;
  const maxChars = Math.ceil(maxBytes / 3) * 4;
  if (text.length > maxChars) {
    checker.issue(field, `is ${text.length} base64 characters; the limit is ${maxChars} (${maxBytes} bytes)`, 'oversized');
    return undefined;
  }
  let bytes: Uint8Array;
  try {
    bytes = fromBase64(text);
  } catch {
    checker.issue(field, 'is not valid base64');
    return undefined;
  }
  // Canonical means one text per byte string: padding present and unused bits zero.
  if (toBase64(bytes) !== text) {
    checker.issue(field, 'is not canonical base64 (missing padding or non-zero unused bits)');
    return undefined;
  }
  // The character limit rounds up to whole base64 groups, so it lets up to two bytes more through.
  if (bytes.length > maxBytes) {
    checker.issue(field, `decodes to ${bytes.length} bytes; the limit is ${maxBytes} bytes`, 'oversized');
    return undefined;
  }
  return bytes;
}

/** Validates a Provision Request manifest value; `context` picks malformed (read) or invalid-argument (write). */
export function validateProvisionRequestManifest(value: unknown, context: ValidationContext = 'read'): ManifestValidation<ProvisionRequestManifest> {
  const checker = new Checker(context);
  const object = checker.object(value, 'manifest');
  if (object === undefined || !checker.header(object, 'mcpr')) return { manifest: undefined, issues: checker.issues, warnings: checker.warnings };
  checker.members(
    object,
    'manifest',
    ['type', 'formatVersion', 'requestId', 'systemId', 'componentHandle', 'hardwareId', 'profileId', 'purpose', 'createdAt', 'csrs'],
    [],
  );
  const requestId = checker.string(object['requestId'], 'manifest.requestId', PATTERNS.uuid, UUID_SYNTAX);
  const systemId = checker.string(object['systemId'], 'manifest.systemId', PATTERNS.uuid, UUID_SYNTAX);
  const componentHandle = checker.string(object['componentHandle'], 'manifest.componentHandle', PATTERNS.componentHandle, HANDLE_SYNTAX);
  const hardwareId = checker.string(object['hardwareId'], 'manifest.hardwareId', PATTERNS.hardwareId, HARDWARE_ID_SYNTAX);
  const profileId = checker.string(object['profileId'], 'manifest.profileId', PATTERNS.uuid, UUID_SYNTAX);
  const purpose = checker.enumeration(object['purpose'], 'manifest.purpose', ['initial', 'reprovision'] as const);
  const createdAt = checker.timestamp(object['createdAt'], 'manifest.createdAt');
  const items = checker.array(object['csrs'], 'manifest.csrs', 1, MAX_ROLES);
  const csrs: CsrEntry[] = [];
  items?.forEach((item, i) => {
    const field = `manifest.csrs[${i}]`;
    const entry = checker.object(item, field);
    if (entry === undefined) return;
    checker.members(entry, field, ['role', 'algorithm', 'csr'], []);
    const role = checker.string(entry['role'], `${field}.role`, PATTERNS.role, ROLE_SYNTAX);
    const algorithm = checker.algorithm(entry['algorithm'], `${field}.algorithm`);
    const csr = decodeCanonicalBase64(checker, entry['csr'], `${field}.csr`, MAX_CSR_BYTES);
    if (role !== undefined && algorithm !== undefined && csr !== undefined) csrs.push({ role, algorithm, csr });
  });
  checker.uniqueRoles(csrs, 'manifest.csrs');

  if (checker.issues.length > 0) return { manifest: undefined, issues: checker.issues, warnings: checker.warnings };
  const manifest: ProvisionRequestManifest = {
    type: 'mcpr',
    formatVersion: object['formatVersion'] as string,
    requestId: requestId!,
    systemId: systemId!,
    componentHandle: componentHandle!,
    hardwareId: hardwareId!,
    profileId: profileId!,
    purpose: purpose!,
    createdAt: createdAt!,
    csrs,
  };
  return { manifest, issues: [], warnings: checker.warnings };
}

const SUBJECT_VALUE_PATTERN = new RegExp(`^([^{}]|\\{(${SUBJECT_TEMPLATE_PLACEHOLDERS.join('|')})\\})+$`);

function validateKeyRole(checker: Checker, value: unknown, field: string): KeyRoleSpec | undefined {
  const object = checker.object(value, field);
  if (object === undefined) return undefined;
  checker.members(object, field, ['role', 'algorithm', 'keyUsage', 'extendedKeyUsage', 'subjectTemplate', 'validityDays'], []);
  const issuesBefore = checker.issues.length;
  const role = checker.string(object['role'], `${field}.role`, PATTERNS.role, ROLE_SYNTAX);
  const algorithm = checker.algorithm(object['algorithm'], `${field}.algorithm`);

  const keyUsage: ProfileKeyUsage[] = [];
  checker.array(object['keyUsage'], `${field}.keyUsage`, 1, PROFILE_KEY_USAGES.length)?.forEach((usage, i) => {
    const name = checker.enumeration(usage, `${field}.keyUsage[${i}]`, PROFILE_KEY_USAGES);
    if (name === undefined) return;
    if (keyUsage.includes(name)) checker.issue(`${field}.keyUsage[${i}]`, `${name} appears more than once`);
    else keyUsage.push(name);
  });
  if (algorithm !== undefined) checkKeyUsageFitsAlgorithm(checker, keyUsage, algorithm, `${field}.keyUsage`);

  const extendedKeyUsage: string[] = [];
  checker.array(object['extendedKeyUsage'], `${field}.extendedKeyUsage`, 0, 16)?.forEach((oid, i) => {
    const text = checker.string(oid, `${field}.extendedKeyUsage[${i}]`, PATTERNS.oid, 'a dotted OID such as 1.3.6.1.5.5.7.3.2');
    if (text === undefined) return;
    if (text.length > 128) checker.issue(`${field}.extendedKeyUsage[${i}]`, 'is longer than 128 characters');
    else if (extendedKeyUsage.includes(text)) checker.issue(`${field}.extendedKeyUsage[${i}]`, `${text} appears more than once`);
    else extendedKeyUsage.push(text);
  });

  const subjectTemplate: SubjectTemplateAttribute[] = [];
  checker.array(object['subjectTemplate'], `${field}.subjectTemplate`, 1, 16)?.forEach((attribute, i) => {
    const attributeField = `${field}.subjectTemplate[${i}]`;
    const entry = checker.object(attribute, attributeField);
    if (entry === undefined) return;
    checker.members(entry, attributeField, ['type', 'value'], []);
    const type = entry['type'];
    const typeOk =
      typeof type === 'string' && ((SUBJECT_ATTRIBUTE_NAMES as readonly string[]).includes(type) || (PATTERNS.oid.test(type) && type.length <= 128));
    if (!typeOk) checker.issue(`${attributeField}.type`, `${describe(type)} is not one of ${SUBJECT_ATTRIBUTE_NAMES.join(', ')} or a dotted OID`);
    const text = checker.text(entry['value'], `${attributeField}.value`, 256);
    if (text !== undefined && !SUBJECT_VALUE_PATTERN.test(text)) {
      checker.issue(
        `${attributeField}.value`,
        `${quote(text)} uses "{" or "}" outside a placeholder; the placeholders are ${SUBJECT_TEMPLATE_PLACEHOLDERS.map((name) => `{${name}}`).join(' ')}`,
      );
    } else if (typeOk && text !== undefined) {
      subjectTemplate.push({ type: type as string, value: text });
    }
  });

  const validityDays = object['validityDays'];
  if (typeof validityDays !== 'number' || !Number.isInteger(validityDays) || validityDays < 1 || validityDays > MAX_VALIDITY_DAYS) {
    if (validityDays !== undefined) checker.issue(`${field}.validityDays`, `must be an integer from 1 to ${MAX_VALIDITY_DAYS}, found ${describe(validityDays)}`);
  }
  if (checker.issues.length > issuesBefore) return undefined;
  return { role: role!, algorithm: algorithm!, keyUsage, extendedKeyUsage, subjectTemplate, validityDays: validityDays as number };
}

/** Checks the key usage and algorithm combinations of the specification's key role rules. */
function checkKeyUsageFitsAlgorithm(checker: Checker, keyUsage: ProfileKeyUsage[], algorithm: KeyAlgorithmName, field: string): void {
  const rsa = algorithm.startsWith('rsa-');
  const ec = algorithm === 'ecdsa-p256' || algorithm === 'ecdsa-p384';
  for (const usage of keyUsage) {
    if ((usage === 'keyEncipherment' || usage === 'dataEncipherment') && !rsa) {
      checker.issue(field, `${usage} needs an RSA key, not ${algorithm}`);
    } else if (usage === 'keyAgreement' && !ec) {
      checker.issue(field, `keyAgreement needs an ecdsa-p256 or ecdsa-p384 key, not ${algorithm}`);
    } else if ((usage === 'encipherOnly' || usage === 'decipherOnly') && !keyUsage.includes('keyAgreement')) {
      checker.issue(field, `${usage} is only meaningful together with keyAgreement`);
    }
  }
}

const PROFILE_REQUIRED = ['type', 'formatVersion', 'profileId', 'systemId', 'componentHandle', 'createdAt', 'keyRoles'] as const;
const PROFILE_OPTIONAL = ['systemName', 'componentName', 'provisioningCertificateSha256'] as const;

function validateProfileBase(checker: Checker, object: Record<string, unknown>): ProfileManifestBase | undefined {
  const profileId = checker.string(object['profileId'], 'manifest.profileId', PATTERNS.uuid, UUID_SYNTAX);
  const systemId = checker.string(object['systemId'], 'manifest.systemId', PATTERNS.uuid, UUID_SYNTAX);
  const systemName = checker.text(object['systemName'], 'manifest.systemName', 128);
  const componentHandle = checker.string(object['componentHandle'], 'manifest.componentHandle', PATTERNS.componentHandle, HANDLE_SYNTAX);
  const componentName = checker.text(object['componentName'], 'manifest.componentName', 128);
  const createdAt = checker.timestamp(object['createdAt'], 'manifest.createdAt');
  const provisioningCertificateSha256 = checker.string(
    object['provisioningCertificateSha256'],
    'manifest.provisioningCertificateSha256',
    PATTERNS.sha256,
    SHA256_SYNTAX,
  );
  const keyRoles: KeyRoleSpec[] = [];
  checker.array(object['keyRoles'], 'manifest.keyRoles', 1, MAX_ROLES)?.forEach((item, i) => {
    const spec = validateKeyRole(checker, item, `manifest.keyRoles[${i}]`);
    if (spec !== undefined) keyRoles.push(spec);
  });
  checker.uniqueRoles(keyRoles, 'manifest.keyRoles');
  if (checker.issues.length > 0) return undefined;
  const base: ProfileManifestBase = {
    formatVersion: object['formatVersion'] as string,
    profileId: profileId!,
    systemId: systemId!,
    componentHandle: componentHandle!,
    createdAt: createdAt!,
    keyRoles,
  };
  if (systemName !== undefined) base.systemName = systemName;
  if (componentName !== undefined) base.componentName = componentName;
  if (provisioningCertificateSha256 !== undefined) base.provisioningCertificateSha256 = provisioningCertificateSha256;
  return base;
}

/** Validates a Certified Profile to be Provisioned manifest value (.mcpp). */
export function validateProfileToProvisionManifest(value: unknown, context: ValidationContext = 'read'): ManifestValidation<ProfileToProvisionManifest> {
  const checker = new Checker(context);
  const object = checker.object(value, 'manifest');
  if (object === undefined || !checker.header(object, 'mcpp')) return { manifest: undefined, issues: checker.issues, warnings: checker.warnings };
  checker.members(object, 'manifest', PROFILE_REQUIRED, PROFILE_OPTIONAL);
  const base = validateProfileBase(checker, object);
  if (base === undefined || checker.issues.length > 0) return { manifest: undefined, issues: checker.issues, warnings: checker.warnings };
  return { manifest: { type: 'mcpp', ...base }, issues: [], warnings: checker.warnings };
}

/** Validates a Certified Profile manifest value (.mcp), including that every key role has exactly one certificate. */
export function validateCertifiedProfileManifest(value: unknown, context: ValidationContext = 'read'): ManifestValidation<CertifiedProfileManifest> {
  const checker = new Checker(context);
  const object = checker.object(value, 'manifest');
  if (object === undefined || !checker.header(object, 'mcp')) return { manifest: undefined, issues: checker.issues, warnings: checker.warnings };
  checker.members(object, 'manifest', [...PROFILE_REQUIRED, 'hardwareId', 'requestId', 'certificates'], PROFILE_OPTIONAL);
  const hardwareId = checker.string(object['hardwareId'], 'manifest.hardwareId', PATTERNS.hardwareId, HARDWARE_ID_SYNTAX);
  const requestId = checker.string(object['requestId'], 'manifest.requestId', PATTERNS.uuid, UUID_SYNTAX);
  const certificates: IssuedCertificateReference[] = [];
  checker.array(object['certificates'], 'manifest.certificates', 1, MAX_ROLES)?.forEach((item, i) => {
    const field = `manifest.certificates[${i}]`;
    const entry = checker.object(item, field);
    if (entry === undefined) return;
    checker.members(entry, field, ['role', 'certificateSha256'], []);
    const role = checker.string(entry['role'], `${field}.role`, PATTERNS.role, ROLE_SYNTAX);
    const certificateSha256 = checker.string(entry['certificateSha256'], `${field}.certificateSha256`, PATTERNS.sha256, SHA256_SYNTAX);
    if (role !== undefined && certificateSha256 !== undefined) certificates.push({ role, certificateSha256 });
  });
  checker.uniqueRoles(certificates, 'manifest.certificates');
  // Each role has its own key, so one certificate cannot be the issued certificate of two roles.
  certificates.forEach((reference, i) => {
    if (certificates.findIndex((other) => other.certificateSha256 === reference.certificateSha256) !== i) {
      checker.issue(`manifest.certificates[${i}].certificateSha256`, `names the same certificate as an earlier entry; each role has its own certificate`);
    }
  });
  const base = validateProfileBase(checker, object);
  if (base !== undefined) {
    certificates.forEach((reference, i) => {
      if (!base.keyRoles.some((spec) => spec.role === reference.role)) {
        checker.issue(`manifest.certificates[${i}].role`, `role ${quote(reference.role)} is not one of the profile's key roles`, context === 'read' ? 'mismatch' : undefined);
      }
    });
    base.keyRoles.forEach((spec, i) => {
      if (!certificates.some((reference) => reference.role === spec.role)) {
        checker.issue(`manifest.keyRoles[${i}].role`, `key role ${quote(spec.role)} has no entry in manifest.certificates`, context === 'read' ? 'mismatch' : undefined);
      }
    });
  }
  if (base === undefined || checker.issues.length > 0) return { manifest: undefined, issues: checker.issues, warnings: checker.warnings };
  return { manifest: { type: 'mcp', ...base, hardwareId: hardwareId!, requestId: requestId!, certificates }, issues: [], warnings: checker.warnings };
}

// Codes that decide how the reader must react come first; the rest are schema violations.
const ISSUE_PRIORITY: ErrorCode[] = ['wrong-type', 'bad-version', 'oversized', 'unsupported', 'mismatch'];

/**
 * Turns validation issues into one ProvkitError: the code of the most decisive issue, the
 * field of the first, and every issue in the message.
 */
export function issuesToError(issues: ManifestIssue[], location: ErrorLocation): ProvkitError {
  const lead = ISSUE_PRIORITY.map((code) => issues.find((issue) => issue.code === code)).find((issue) => issue !== undefined) ?? issues[0]!;
  const others = issues.filter((issue) => issue !== lead);
  const message = [lead.message, ...others.map((issue) => `${issue.field}: ${issue.message}`)].join('; ');
  return new ProvkitError(lead.code, others.length === 0 ? message : `${message} (${issues.length} problems)`, { ...location, field: lead.field });
}

/**
 * Decodes and validates a manifest of the given type from its UTF-8 bytes. Throws
 * ProvkitError (oversized, malformed, wrong-type, bad-version, ...) naming the first field.
 */
export function parseManifest<T>(
  bytes: Uint8Array,
  location: ErrorLocation,
  validate: (value: unknown, context: ValidationContext) => ManifestValidation<T>,
): { manifest: T; warnings: string[] } {
  if (bytes.length > MAX_MANIFEST_BYTES) {
    throw new ProvkitError('oversized', `the manifest is ${bytes.length} bytes; the limit is ${MAX_MANIFEST_BYTES} bytes`, {
      ...location,
      field: 'manifest',
    });
  }
  const value = parseStrictJson(bytes, { ...location, field: 'manifest' });
  const { manifest, issues, warnings } = validate(value, 'read');
  if (manifest === undefined) throw issuesToError(issues, location);
  return { manifest, warnings };
}

// ---------------------------------------------------------------------------------------
// Writing

function keyRoleJson(spec: KeyRoleSpec): Record<string, unknown> {
  return {
    role: spec.role,
    algorithm: spec.algorithm,
    keyUsage: spec.keyUsage,
    extendedKeyUsage: spec.extendedKeyUsage,
    subjectTemplate: spec.subjectTemplate.map((attribute) => ({ type: attribute.type, value: attribute.value })),
    validityDays: spec.validityDays,
  };
}

function profileBaseJson(manifest: ProfileManifestBase, type: 'mcpp' | 'mcp'): Record<string, unknown> {
  const json: Record<string, unknown> = { type, formatVersion: manifest.formatVersion, profileId: manifest.profileId, systemId: manifest.systemId };
  if (manifest.systemName !== undefined) json['systemName'] = manifest.systemName;
  json['componentHandle'] = manifest.componentHandle;
  if (manifest.componentName !== undefined) json['componentName'] = manifest.componentName;
  json['createdAt'] = manifest.createdAt;
  if (manifest.provisioningCertificateSha256 !== undefined) json['provisioningCertificateSha256'] = manifest.provisioningCertificateSha256;
  json['keyRoles'] = manifest.keyRoles.map(keyRoleJson);
  return json;
}

/** Returns the JSON value of a manifest with members in the specified order (CSRs as base64). */
export function manifestToJson(manifest: Manifest): Record<string, unknown> {
  switch (manifest.type) {
    case 'mcpr':
      return {
        type: 'mcpr',
        formatVersion: manifest.formatVersion,
        requestId: manifest.requestId,
        systemId: manifest.systemId,
        componentHandle: manifest.componentHandle,
        hardwareId: manifest.hardwareId,
        profileId: manifest.profileId,
        purpose: manifest.purpose,
        createdAt: manifest.createdAt,
        csrs: manifest.csrs.map((entry) => ({ role: entry.role, algorithm: entry.algorithm, csr: toBase64(entry.csr) })),
      };
    case 'mcpp':
      return profileBaseJson(manifest, 'mcpp');
    case 'mcp':
      return {
        ...profileBaseJson(manifest, 'mcp'),
        hardwareId: manifest.hardwareId,
        requestId: manifest.requestId,
        certificates: manifest.certificates.map((reference) => ({ role: reference.role, certificateSha256: reference.certificateSha256 })),
      };
  }
}

/**
 * Validates a manifest as a writer and encodes it as compact UTF-8 JSON.
 * Throws ProvkitError('invalid-argument') naming the first bad field.
 */
export function encodeManifest(manifest: Manifest): Uint8Array {
  const json = manifestToJson(manifest);
  const validation =
    manifest.type === 'mcpr'
      ? validateProvisionRequestManifest(json, 'write')
      : manifest.type === 'mcpp'
        ? validateProfileToProvisionManifest(json, 'write')
        : validateCertifiedProfileManifest(json, 'write');
  if (validation.manifest === undefined) throw issuesToError(validation.issues, {});
  const bytes = new TextEncoder().encode(JSON.stringify(json));
  if (bytes.length > MAX_MANIFEST_BYTES) {
    throw new ProvkitError('invalid-argument', `the manifest would be ${bytes.length} bytes; the limit is ${MAX_MANIFEST_BYTES} bytes`, { field: 'manifest' });
  }
  return bytes;
}

/** Formats a time as the manifests' RFC 3339 UTC form with whole seconds, for example 2026-01-31T12:00:00Z. */
export function formatTimestamp(time: Date): string {
  return `${time.toISOString().slice(0, 19)}Z`;
}

/** Returns a random (version 4) UUID in the manifests' lowercase form. */
export function newUuid(): string {
  return crypto.randomUUID();
}
