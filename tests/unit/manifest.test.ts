import { describe, expect, it } from 'vitest';
import { ProvkitError } from '../../src/errors.js';
import {
  MAX_MANIFEST_BYTES,
  encodeManifest,
  parseManifest,
  parseStrictJson,
  validateCertifiedProfileManifest,
  validateProfileToProvisionManifest,
  validateProvisionRequestManifest,
  type ProfileToProvisionManifest,
  type ProvisionRequestManifest,
} from '../../src/formats/manifest.js';

const encoder = new TextEncoder();
const location = { file: 'SN123.mcpr' };

function requestJson(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: 'mcpr',
    formatVersion: '1.0',
    requestId: '0f8fad5b-d9cb-469f-a165-70867728950e',
    systemId: '7c9e6679-7425-40de-944b-e07fc1f90ae7',
    componentHandle: 'gateway',
    hardwareId: 'SN-0001',
    profileId: '16fd2706-8baf-433b-82eb-8c7fada847da',
    purpose: 'initial',
    createdAt: '2026-12-04T20:00:00Z',
    csrs: [{ role: 'tls-client', algorithm: 'ecdsa-p256', csr: 'MAMCAQA=' }],
    ...overrides,
  };
}

function profileJson(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: 'mcpp',
    formatVersion: '1.0',
    profileId: '16fd2706-8baf-433b-82eb-8c7fada847da',
    systemId: '7c9e6679-7425-40de-944b-e07fc1f90ae7',
    componentHandle: 'gateway',
    createdAt: '2026-12-04T20:00:00Z',
    keyRoles: [
      {
        role: 'tls-client',
        algorithm: 'ecdsa-p256',
        keyUsage: ['digitalSignature'],
        extendedKeyUsage: ['1.3.6.1.5.5.7.3.2'],
        subjectTemplate: [{ type: 'CN', value: '{hardwareId}' }],
        validityDays: 365,
      },
    ],
    ...overrides,
  };
}

function readRequest(json: unknown): ReturnType<typeof parseManifest<ProvisionRequestManifest>> {
  return parseManifest(encoder.encode(JSON.stringify(json)), location, validateProvisionRequestManifest);
}

function caught(action: () => unknown): ProvkitError {
  try {
    action();
  } catch (error) {
    if (error instanceof ProvkitError) return error;
    throw error;
  }
  throw new Error('expected a ProvkitError');
}

describe('parseStrictJson', () => {
  it('rejects duplicate member names', () => {
    const error = caught(() => parseStrictJson(encoder.encode('{"a":{"b":1,"b":2}}'), location));
    expect(error.code).toBe('malformed');
    expect(error.field).toBe('manifest.a.b');
    expect(error.message).toContain('appears twice');
  });

  it('rejects a byte-order mark', () => {
    const error = caught(() => parseStrictJson(new Uint8Array([0xef, 0xbb, 0xbf, 0x7b, 0x7d]), location));
    expect(error.code).toBe('malformed');
    expect(error.message).toContain('byte-order mark');
  });

  it('rejects invalid UTF-8', () => {
    const error = caught(() => parseStrictJson(new Uint8Array([0x22, 0xc3, 0x28, 0x22]), location));
    expect(error.code).toBe('malformed');
    expect(error.message).toContain('UTF-8');
  });

  it('rejects trailing data and bad literals', () => {
    expect(caught(() => parseStrictJson(encoder.encode('{} x'), location)).code).toBe('malformed');
    expect(caught(() => parseStrictJson(encoder.encode('{"a":tru}'), location)).code).toBe('malformed');
    expect(caught(() => parseStrictJson(encoder.encode('{"a":01}'), location)).code).toBe('malformed');
    expect(caught(() => parseStrictJson(encoder.encode('{"a":"\u0001"}'), location)).code).toBe('malformed');
  });

  it('parses nested values like JSON.parse', () => {
    const text = '{"a":[1,-2.5e3,true,false,null,"x\\u00e9\\n"],"b":{}}';
    expect(JSON.parse(JSON.stringify(parseStrictJson(encoder.encode(text), location)))).toEqual(JSON.parse(text));
  });

  it('keeps __proto__ as an ordinary member', () => {
    const value = parseStrictJson(encoder.encode('{"__proto__":{"polluted":1}}'), location) as Record<string, unknown>;
    expect(Object.keys(value)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('limits nesting depth', () => {
    const error = caught(() => parseStrictJson(encoder.encode('['.repeat(40) + ']'.repeat(40)), location));
    expect(error.code).toBe('malformed');
    expect(error.message).toContain('nesting');
  });
});

describe('validateProvisionRequestManifest', () => {
  it('accepts a valid manifest and decodes the CSR', () => {
    const { manifest, warnings } = readRequest(requestJson());
    expect(manifest.hardwareId).toBe('SN-0001');
    expect(Array.from(manifest.csrs[0]!.csr)).toEqual([0x30, 0x03, 0x02, 0x01, 0x00]);
    expect(warnings).toEqual([]);
  });

  it.each([
    ['hardwareId', { hardwareId: 'X'.repeat(37) }, 'manifest.hardwareId', 'malformed'],
    ['hardwareId characters', { hardwareId: 'SN 1' }, 'manifest.hardwareId', 'malformed'],
    ['empty hardwareId', { hardwareId: '' }, 'manifest.hardwareId', 'malformed'],
    ['uppercase UUID', { requestId: '0F8FAD5B-D9CB-469F-A165-70867728950E' }, 'manifest.requestId', 'malformed'],
    ['timestamp with offset', { createdAt: '2026-12-04T20:00:00+01:00' }, 'manifest.createdAt', 'malformed'],
    ['impossible date', { createdAt: '2026-02-30T20:00:00Z' }, 'manifest.createdAt', 'malformed'],
    ['purpose', { purpose: 'renew' }, 'manifest.purpose', 'malformed'],
    ['unknown member in 1.0', { extra: 1 }, 'manifest.extra', 'malformed'],
    ['missing member', { systemId: undefined }, 'manifest.systemId', 'malformed'],
    ['major version', { formatVersion: '2.0' }, 'manifest.formatVersion', 'bad-version'],
    ['version syntax', { formatVersion: '1' }, 'manifest.formatVersion', 'malformed'],
    ['type', { type: 'mcpp' }, 'manifest.type', 'wrong-type'],
    ['no CSRs', { csrs: [] }, 'manifest.csrs', 'malformed'],
    ['too many CSRs', { csrs: Array.from({ length: 17 }, (_, i) => ({ role: `r${i}`, algorithm: 'ecdsa-p256', csr: 'MAMCAQA=' })) }, 'manifest.csrs', 'oversized'],
    ['role syntax', { csrs: [{ role: 'TLS', algorithm: 'ecdsa-p256', csr: 'MAMCAQA=' }] }, 'manifest.csrs[0].role', 'malformed'],
    ['algorithm', { csrs: [{ role: 'a', algorithm: 'dsa-1024', csr: 'MAMCAQA=' }] }, 'manifest.csrs[0].algorithm', 'unsupported'],
    ['base64 without padding', { csrs: [{ role: 'a', algorithm: 'ecdsa-p256', csr: 'MAMCAQA' }] }, 'manifest.csrs[0].csr', 'malformed'],
    ['base64 with non-zero unused bits', { csrs: [{ role: 'a', algorithm: 'ecdsa-p256', csr: 'MAMCAQB=' }] }, 'manifest.csrs[0].csr', 'malformed'],
    ['base64 with whitespace', { csrs: [{ role: 'a', algorithm: 'ecdsa-p256', csr: 'MAMC AQA=' }] }, 'manifest.csrs[0].csr', 'malformed'],
    [
      'duplicate role',
      {
        csrs: [
          { role: 'a', algorithm: 'ecdsa-p256', csr: 'MAMCAQA=' },
          { role: 'a', algorithm: 'ecdsa-p256', csr: 'MAMCAQA=' },
        ],
      },
      'manifest.csrs[1].role',
      'malformed',
    ],
  ])('rejects bad %s', (_, overrides, field, code) => {
    const error = caught(() => readRequest(requestJson(overrides)));
    expect(error.code).toBe(code);
    expect(error.field).toBe(field);
    expect(error.file).toBe('SN123.mcpr');
    expect(error.message).toContain(`SN123.mcpr: ${field}: `);
  });

  it('reports every bad field', () => {
    const { issues } = validateProvisionRequestManifest(requestJson({ hardwareId: '', componentHandle: '-x', csrs: [{ role: 'a' }] }));
    expect(issues.map((issue) => issue.field).sort()).toEqual([
      'manifest.componentHandle',
      'manifest.csrs[0].algorithm',
      'manifest.csrs[0].csr',
      'manifest.hardwareId',
    ]);
    expect(issues).toHaveLength(4);
  });

  it('accepts a newer minor version and warns about unknown members', () => {
    const { manifest, warnings } = readRequest(requestJson({ formatVersion: '1.3', futureMember: 'x' }));
    expect(manifest.formatVersion).toBe('1.3');
    expect(warnings).toHaveLength(2);
    expect(warnings[1]).toContain('manifest.futureMember');
  });

  it('rejects a manifest over the size limit', () => {
    const error = caught(() => parseManifest(new Uint8Array(MAX_MANIFEST_BYTES + 1), location, validateProvisionRequestManifest));
    expect(error.code).toBe('oversized');
    expect(error.field).toBe('manifest');
  });

  it('rejects a JSON array as manifest', () => {
    const error = caught(() => readRequest([]));
    expect(error.code).toBe('malformed');
    expect(error.field).toBe('manifest');
  });
});

describe('validateProfileToProvisionManifest', () => {
  const keyRole = (overrides: Record<string, unknown>): Record<string, unknown> => ({ ...(profileJson()['keyRoles'] as Record<string, unknown>[])[0], ...overrides });

  it('accepts a valid profile', () => {
    const { manifest, issues } = validateProfileToProvisionManifest(profileJson({ systemName: 'Pumps', provisioningCertificateSha256: 'a'.repeat(64) }));
    expect(issues).toEqual([]);
    expect(manifest?.keyRoles[0]?.subjectTemplate).toEqual([{ type: 'CN', value: '{hardwareId}' }]);
    expect(manifest?.systemName).toBe('Pumps');
  });

  it.each([
    ['keyCertSign', { keyUsage: ['keyCertSign'] }, 'manifest.keyRoles[0].keyUsage[0]'],
    ['keyAgreement with Ed25519', { algorithm: 'ed25519', keyUsage: ['keyAgreement'] }, 'manifest.keyRoles[0].keyUsage'],
    ['keyEncipherment with ECDSA', { keyUsage: ['digitalSignature', 'keyEncipherment'] }, 'manifest.keyRoles[0].keyUsage'],
    ['encipherOnly without keyAgreement', { keyUsage: ['digitalSignature', 'encipherOnly'] }, 'manifest.keyRoles[0].keyUsage'],
    ['duplicate key usage', { keyUsage: ['digitalSignature', 'digitalSignature'] }, 'manifest.keyRoles[0].keyUsage[1]'],
    ['EKU syntax', { extendedKeyUsage: ['clientAuth'] }, 'manifest.keyRoles[0].extendedKeyUsage[0]'],
    ['unknown placeholder', { subjectTemplate: [{ type: 'CN', value: '{serial}' }] }, 'manifest.keyRoles[0].subjectTemplate[0].value'],
    ['attribute type', { subjectTemplate: [{ type: 'XX', value: 'a' }] }, 'manifest.keyRoles[0].subjectTemplate[0].type'],
    ['validity', { validityDays: 0 }, 'manifest.keyRoles[0].validityDays'],
    ['fractional validity', { validityDays: 1.5 }, 'manifest.keyRoles[0].validityDays'],
    ['validity over 30 years', { validityDays: 10951 }, 'manifest.keyRoles[0].validityDays'],
  ])('rejects bad %s', (_, overrides, field) => {
    const { manifest, issues } = validateProfileToProvisionManifest(profileJson({ keyRoles: [keyRole(overrides)] }));
    expect(manifest).toBeUndefined();
    expect(issues[0]?.field).toBe(field);
    expect(issues[0]?.code).toBe('malformed');
  });

  it('rejects .mcp members in a .mcpp', () => {
    const { issues } = validateProfileToProvisionManifest(profileJson({ requestId: '0f8fad5b-d9cb-469f-a165-70867728950e' }));
    expect(issues.map((issue) => issue.field)).toEqual(['manifest.requestId']);
  });
});

describe('validateCertifiedProfileManifest', () => {
  const mcp = (overrides: Record<string, unknown> = {}): Record<string, unknown> =>
    profileJson({
      type: 'mcp',
      hardwareId: 'SN-0001',
      requestId: '0f8fad5b-d9cb-469f-a165-70867728950e',
      certificates: [{ role: 'tls-client', certificateSha256: 'b'.repeat(64) }],
      ...overrides,
    });

  it('accepts a valid profile', () => {
    const { manifest, issues } = validateCertifiedProfileManifest(mcp());
    expect(issues).toEqual([]);
    expect(manifest?.certificates).toEqual([{ role: 'tls-client', certificateSha256: 'b'.repeat(64) }]);
  });

  it('rejects a certificate for an unknown role', () => {
    const { issues } = validateCertifiedProfileManifest(mcp({ certificates: [{ role: 'other', certificateSha256: 'b'.repeat(64) }] }));
    expect(issues.map((issue) => [issue.field, issue.code])).toEqual([
      ['manifest.certificates[0].role', 'mismatch'],
      ['manifest.keyRoles[0].role', 'mismatch'],
    ]);
  });

  it('rejects an uppercase fingerprint', () => {
    const { issues } = validateCertifiedProfileManifest(mcp({ certificates: [{ role: 'tls-client', certificateSha256: 'B'.repeat(64) }] }));
    expect(issues[0]?.field).toBe('manifest.certificates[0].certificateSha256');
  });
});

describe('encodeManifest', () => {
  it('writes members in the specified order and reads back the same value', () => {
    const { manifest } = readRequest(requestJson());
    const bytes = encodeManifest(manifest);
    expect(Object.keys(JSON.parse(new TextDecoder().decode(bytes)))).toEqual(Object.keys(requestJson()));
    expect(readRequest(JSON.parse(new TextDecoder().decode(bytes))).manifest).toEqual(manifest);
  });

  it('rejects a bad value as invalid-argument', () => {
    const { manifest } = readRequest(requestJson());
    const error = caught(() => encodeManifest({ ...manifest, hardwareId: 'X'.repeat(37) }));
    expect(error.code).toBe('invalid-argument');
    expect(error.field).toBe('manifest.hardwareId');
  });

  it('writes an optional member only when present', () => {
    const manifest = validateProfileToProvisionManifest(profileJson()).manifest as ProfileToProvisionManifest;
    const json = JSON.parse(new TextDecoder().decode(encodeManifest(manifest))) as Record<string, unknown>;
    expect('systemName' in json).toBe(false);
    expect(json['keyRoles']).toEqual(profileJson()['keyRoles']);
  });
});
