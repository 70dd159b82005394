import { ProvkitError } from '../errors.js';
import { isKeyAlgorithmName, type KeyAlgorithmName } from '../crypto/algorithms.js';
import { validateProfileToProvisionManifest } from '../formats/manifest.js';
import { OID_KP_DEVICE_IDENTITY } from '../formats/oids.js';
import { validateHardwareId } from '../provisioning/subject.js';
import type { ComponentRecord, RoleSpecRecord } from './store.js';

/** id-kp-serverAuth (RFC 5280 section 4.2.1.12). */
export const OID_KP_SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
/** id-kp-clientAuth (RFC 5280 section 4.2.1.12). */
export const OID_KP_CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

/** Operator's specification of a new system; {@link normaliseSystemSpec} fills the defaults. */
export interface SystemSpec {
  name: string;
  approvalMode?: 'automatic' | 'manual';
  components: ComponentSpec[];
  /** Allowed hardware ids; absent accepts any valid hardware id. */
  hardwareIdAllowList?: string[];
  /** Default validity of device certificates in days, for roles that do not set one; default 365. */
  validityDays?: number;
  /** How far a request's createdAt may lie from the processing time, in seconds; default 86400 (one day). */
  requestWindowSeconds?: number;
  /** Key algorithm of the CA hierarchy; default ecdsa-p256. */
  caAlgorithm?: KeyAlgorithmName;
  /** Validity of the root CA in days; default 7300 (20 years). Subordinate CAs get the same end date. */
  caValidityDays?: number;
}

/** A component in a {@link SystemSpec}; roles default to {@link defaultRoles}. */
export interface ComponentSpec {
  handle: string;
  name?: string;
  roles?: Array<Partial<RoleSpecRecord> & { role: string }>;
}

/** A fully specified system, ready for {@link LabIssuer.createSystem}. */
export interface NormalisedSystemSpec {
  name: string;
  approvalMode: 'automatic' | 'manual';
  components: ComponentRecord[];
  hardwareIdAllowList?: string[];
  requestWindowSeconds: number;
  caAlgorithm: KeyAlgorithmName;
  caValidityDays: number;
}

const COMPONENT_HANDLE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const ROLE = /^[a-z][a-z0-9-]{0,31}$/;
const KEY_USAGES = ['digitalSignature', 'nonRepudiation', 'keyEncipherment', 'dataEncipherment', 'keyAgreement', 'encipherOnly', 'decipherOnly'];

/**
 * Returns the two roles a component has when its spec names none. `identity` is the device
 * identity that clients authenticate and that signs reprovisioning requests, and `tls` is a
 * TLS server and client key. Both are P-256.
 */
export function defaultRoles(validityDays: number): RoleSpecRecord[] {
  return [
    {
      role: 'identity',
      algorithm: 'ecdsa-p256',
      keyUsage: ['digitalSignature'],
      extendedKeyUsage: [OID_KP_CLIENT_AUTH, OID_KP_DEVICE_IDENTITY],
      subjectTemplate: [
        { type: 'CN', value: '{hardwareId}' },
        { type: 'serialNumber', value: '{hardwareId}' },
        { type: 'OU', value: '{componentHandle}' },
      ],
      validityDays,
    },
    {
      role: 'tls',
      algorithm: 'ecdsa-p256',
      keyUsage: ['digitalSignature', 'keyAgreement'],
      extendedKeyUsage: [OID_KP_SERVER_AUTH, OID_KP_CLIENT_AUTH],
      subjectTemplate: [
        { type: 'CN', value: '{hardwareId}' },
        { type: 'serialNumber', value: '{hardwareId}' },
        { type: 'OU', value: '{componentHandle} {role}' },
      ],
      validityDays,
    },
  ];
}

/** Fills defaults and checks every field; throws ProvkitError('invalid-argument') naming the field. */
export function normaliseSystemSpec(spec: SystemSpec): NormalisedSystemSpec {
  // The spec may come from a JSON file, so every member's type is checked before it is used.
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) fail('', 'must be a JSON object');
  if (spec.name !== undefined && typeof spec.name !== 'string') fail('name', `must be a string, got ${JSON.stringify(spec.name)}`);
  const name = spec.name?.trim() ?? '';
  if (name === '' || name.length > 128) fail('name', 'must be 1 to 128 characters');
  const approvalMode = spec.approvalMode ?? 'manual';
  if (approvalMode !== 'automatic' && approvalMode !== 'manual') fail('approvalMode', 'must be "automatic" or "manual"');
  const validityDays = spec.validityDays ?? 365;
  checkInteger('validityDays', validityDays, 1, 10950);
  const requestWindowSeconds = spec.requestWindowSeconds ?? 86400;
  checkInteger('requestWindowSeconds', requestWindowSeconds, 1, 366 * 86400);
  const caAlgorithm = spec.caAlgorithm ?? 'ecdsa-p256';
  if (!isKeyAlgorithmName(caAlgorithm)) fail('caAlgorithm', `must be one of the key algorithm names, got ${JSON.stringify(caAlgorithm)}`);
  const caValidityDays = spec.caValidityDays ?? 7300;
  checkInteger('caValidityDays', caValidityDays, 2, 18250);

  if (!Array.isArray(spec.components) || spec.components.length === 0) fail('components', 'must name at least one component');
  const handles = new Set<string>();
  const components = spec.components.map((component, index) => {
    const field = `components[${index}]`;
    if (component === null || typeof component !== 'object' || Array.isArray(component)) fail(field, 'must be an object with a "handle"');
    if (typeof component.handle !== 'string' || !COMPONENT_HANDLE.test(component.handle)) fail(`${field}.handle`, 'must be 1 to 64 characters from letters, digits, ".", "_" and "-", starting with a letter or digit');
    if (handles.has(component.handle)) fail(`${field}.handle`, `duplicates component ${component.handle}`);
    handles.add(component.handle);
    if (component.name !== undefined && typeof component.name !== 'string') fail(`${field}.name`, 'must be a string');
    if (component.roles !== undefined && !Array.isArray(component.roles)) fail(`${field}.roles`, 'must be an array of roles');
    const roles = component.roles === undefined || component.roles.length === 0 ? defaultRoles(validityDays) : component.roles.map((role, roleIndex) => normaliseRole(role, validityDays, `${field}.roles[${roleIndex}]`));
    if (roles.length > 16) fail(`${field}.roles`, 'may have at most 16 roles');
    const roleNames = new Set(roles.map((role) => role.role));
    if (roleNames.size !== roles.length) fail(`${field}.roles`, 'role names must be unique');
    checkRolesAgainstProfileSchema(component.handle, roles, field);
    const record: ComponentRecord = { handle: component.handle, roles };
    if (component.name !== undefined) record.name = component.name;
    return record;
  });

  let hardwareIdAllowList: string[] | undefined;
  if (spec.hardwareIdAllowList !== undefined) {
    // A string here would make the allow-list check a substring search.
    if (!Array.isArray(spec.hardwareIdAllowList) || spec.hardwareIdAllowList.some((hardwareId) => typeof hardwareId !== 'string')) {
      fail('hardwareIdAllowList', 'must be an array of hardware id strings');
    }
    hardwareIdAllowList = [...new Set(spec.hardwareIdAllowList)];
    hardwareIdAllowList.forEach((hardwareId, index) => validateHardwareId(hardwareId, { field: `hardwareIdAllowList[${index}]` }));
  }
  const result: NormalisedSystemSpec = { name, approvalMode, components, requestWindowSeconds, caAlgorithm, caValidityDays };
  if (hardwareIdAllowList !== undefined) result.hardwareIdAllowList = hardwareIdAllowList;
  return result;
}

function normaliseRole(role: Partial<RoleSpecRecord> & { role: string }, validityDays: number, field: string): RoleSpecRecord {
  if (role === null || typeof role !== 'object' || Array.isArray(role)) fail(field, 'must be an object with a "role"');
  if (typeof role.role !== 'string' || !ROLE.test(role.role)) fail(`${field}.role`, 'must be 1 to 32 characters from lowercase letters, digits and "-", starting with a letter');
  const algorithm = role.algorithm ?? 'ecdsa-p256';
  if (!isKeyAlgorithmName(algorithm)) fail(`${field}.algorithm`, `must be one of the key algorithm names, got ${JSON.stringify(algorithm)}`);
  const keyUsage = role.keyUsage ?? ['digitalSignature'];
  if (!Array.isArray(keyUsage) || keyUsage.length === 0 || keyUsage.some((usage) => !KEY_USAGES.includes(usage))) fail(`${field}.keyUsage`, `must list 1 to 7 of ${KEY_USAGES.join(', ')}`);
  const extendedKeyUsage = role.extendedKeyUsage ?? [];
  if (!Array.isArray(extendedKeyUsage) || extendedKeyUsage.some((oid) => typeof oid !== 'string' || !/^[0-2](\.(0|[1-9][0-9]*))+$/.test(oid))) fail(`${field}.extendedKeyUsage`, 'must list dotted OIDs');
  const subjectTemplate = role.subjectTemplate ?? [{ type: 'CN', value: '{hardwareId}' }, { type: 'serialNumber', value: '{hardwareId}' }];
  const roleValidity = role.validityDays ?? validityDays;
  checkInteger(`${field}.validityDays`, roleValidity, 1, 10950);
  return { role: role.role, algorithm, keyUsage, extendedKeyUsage, subjectTemplate, validityDays: roleValidity };
}

/**
 * Validates the roles as a `.mcpp` writer would, so that a combination the profile format
 * forbids (keyAgreement with an RSA key, keyCertSign, a bad subject template) fails when the
 * system is created rather than when its first package is exported.
 */
function checkRolesAgainstProfileSchema(handle: string, roles: RoleSpecRecord[], field: string): void {
  const manifest = {
    type: 'mcpp',
    formatVersion: '1.0',
    profileId: '00000000-0000-4000-8000-000000000000',
    systemId: '00000000-0000-4000-8000-000000000000',
    componentHandle: handle,
    createdAt: '2026-01-01T00:00:00Z',
    keyRoles: roles,
  };
  const issue = validateProfileToProvisionManifest(manifest, 'write').issues[0];
  if (issue !== undefined) fail(`${field}.${issue.field.replace(/^manifest\.keyRoles/, 'roles')}`, issue.message);
}

function checkInteger(field: string, value: number, min: number, max: number): void {
  if (!Number.isSafeInteger(value) || value < min || value > max) fail(field, `must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
}

function fail(field: string, message: string): never {
  throw new ProvkitError('invalid-argument', message, { file: 'system specification', field });
}
