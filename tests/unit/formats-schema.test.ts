import { readFileSync } from 'node:fs';
import path from 'node:path';
// NOTE: ajv is installed as a dependency of the PWA build tooling, not declared by provkit.
import Ajv2020 from 'ajv/dist/2020.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { manifestToJson, type Manifest } from '../../src/formats/manifest.js';
import { createCertifiedProfile, createProfileToProvision } from '../../src/formats/profile.js';
import { createProvisionRequest } from '../../src/formats/request.js';
import { repoRoot } from '../helpers/corpus.js';
import { createTestCsrs, createTestPki, testIds, testKeyRole } from '../helpers/pki.js';

// The JSON Schema blocks of docs/formats.md, keyed by $id, must accept what provkit writes
// and reject what provkit's validators reject, so the document and the code cannot drift.
const schemas = new Map<string, object>();
const manifests = {} as Record<'mcpr' | 'mcpp' | 'mcp', Manifest>;

beforeAll(async () => {
  const text = readFileSync(path.join(repoRoot, 'docs', 'formats.md'), 'utf8');
  for (const match of text.matchAll(/```json\n([\s\S]*?)```/g)) {
    const block = JSON.parse(match[1]!) as { $schema?: string; $id?: string };
    // Other JSON blocks are examples, not schemas.
    if (block.$schema === undefined || block.$id === undefined) continue;
    schemas.set(block.$id.split(':').slice(-2, -1)[0]!, block);
  }
  const pki = await createTestPki();
  const ids = testIds();
  const { entries } = await createTestCsrs([{ role: 'tls-client', algorithm: 'ecdsa-p256' }]);
  manifests.mcpr = (await createProvisionRequest({ ...ids, componentHandle: 'pump', hardwareId: 'AA:BB:CC:DD:EE:FF', csrs: entries, signer: pki.provisioning })).manifest;
  const definition = { ...ids, systemName: 'Pumps', componentHandle: 'pump', keyRoles: [testKeyRole('tls-client')] };
  manifests.mcpp = (await createProfileToProvision({ profile: definition, provisioningCertificate: pki.provisioning.certificate, signer: pki.profileSigner })).manifest;
  manifests.mcp = (
    await createCertifiedProfile({
      profile: definition,
      hardwareId: 'AA:BB:CC:DD:EE:FF',
      requestId: ids.requestId,
      issued: [{ role: 'tls-client', certificate: pki.device.certificate }],
      issuedChain: [pki.deviceCa.certificate],
      signer: pki.profileSigner,
    })
  ).manifest;
}, 60_000);

function validator(name: string) {
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  // The .mcp schema refers to definitions of the .mcpp schema by its $id.
  for (const [other, schema] of schemas) if (other !== name) ajv.addSchema(schema);
  const schema = schemas.get(name);
  if (schema === undefined) throw new Error(`docs/formats.md has no schema with $id ending in ${name}:1.0`);
  return ajv.compile(schema);
}

describe('docs/formats.md schemas', () => {
  it('contains the three manifest schemas', () => {
    expect([...schemas.keys()]).toEqual(expect.arrayContaining(['certified-profile', 'profile-to-provision', 'provision-request']));
  });

  it.each([
    ['provision-request', 'mcpr'],
    ['profile-to-provision', 'mcpp'],
    ['certified-profile', 'mcp'],
  ] as const)('%s accepts the manifest provkit writes', (name, type) => {
    const validate = validator(name);
    const ok = validate(manifestToJson(manifests[type]));
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  it.each([
    ['hardware id of 37 characters', { hardwareId: 'H'.repeat(37) }, '/hardwareId'],
    ['unknown member', { extra: 1 }, ''],
    ['unknown algorithm', { csrs: [{ role: 'a', algorithm: 'dsa', csr: 'MAMCAQA=' }] }, '/csrs/0/algorithm'],
    ['major version 2', { formatVersion: '2.0' }, '/formatVersion'],
  ])('provision-request rejects a %s', (_, change, instancePath) => {
    const validate = validator('provision-request');
    expect(validate({ ...manifestToJson(manifests.mcpr), ...change })).toBe(false);
    expect(validate.errors?.map((error) => error.instancePath)).toContain(instancePath);
  });

  it('certified-profile rejects an uppercase fingerprint', () => {
    const validate = validator('certified-profile');
    const json = manifestToJson(manifests.mcp) as { certificates: { certificateSha256: string }[] };
    json.certificates[0]!.certificateSha256 = json.certificates[0]!.certificateSha256.toUpperCase();
    expect(validate(json)).toBe(false);
    expect(validate.errors?.map((error) => error.instancePath)).toContain('/certificates/0/certificateSha256');
  });

  it('profile-to-provision rejects an unknown placeholder', () => {
    const validate = validator('profile-to-provision');
    const json = manifestToJson(manifests.mcpp) as { keyRoles: { subjectTemplate: { type: string; value: string }[] }[] };
    json.keyRoles[0]!.subjectTemplate = [{ type: 'CN', value: '{serial}' }];
    expect(validate(json)).toBe(false);
    expect(validate.errors?.map((error) => error.instancePath)).toContain('/keyRoles/0/subjectTemplate/0/value');
  });
});
