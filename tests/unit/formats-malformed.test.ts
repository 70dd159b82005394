import { beforeAll, describe, expect, it } from 'vitest';
import { ProvkitError, type ErrorCode } from '../../src/errors.js';
import { TAG, encodeOid, encodeSmallInteger, encodeTlv, readChildren, readSingleTlv } from '../../src/crypto/tlv.js';
import { MAX_SIGNED_FILE_BYTES, createCertsOnlySignedData, createSignedData } from '../../src/formats/cms.js';
import { encodeManifest, manifestToJson, type Manifest } from '../../src/formats/manifest.js';
import {
  OID_CT_CERTIFIED_PROFILE,
  OID_CT_PROFILE_TO_PROVISION,
  OID_CT_PROVISION_REQUEST,
  OID_CT_PROXIED_PROVISION_REQUEST,
  OID_DATA,
  OID_SIGNED_DATA,
  PROVKIT_ARC,
} from '../../src/formats/oids.js';
import { createCertifiedProfile, createProfileToProvision, expandSubjectTemplate, readCertifiedProfile, readProfileToProvision } from '../../src/formats/profile.js';
import { issueCertificate } from '../../src/formats/x509.js';
import { exportSpki } from '../../src/crypto/algorithms.js';
import { createProvisionRequest, readProvisionRequest, wrapProvisionRequest, type SignerIdentity } from '../../src/formats/request.js';
import { readTrustStore, writeTrustStore } from '../../src/formats/truststore.js';
import { verifyCertifiedProfile, verifyFile, verifyProfileToProvision, verifyProvisionRequest } from '../../src/formats/verify.js';
import { createTestCsrs, createTestPki, testIds, testKeyRole, type TestPki } from '../helpers/pki.js';

type FileType = 'mcpr' | 'mcpp' | 'mcp' | 'mcts';

let pki: TestPki;
const files = {} as Record<FileType, Uint8Array>;
const manifests = {} as Record<'mcpr' | 'mcpp' | 'mcp', Manifest>;

const readers: Record<FileType, (bytes: Uint8Array, location: { file: string }) => unknown> = {
  mcpr: readProvisionRequest,
  mcpp: readProfileToProvision,
  mcp: readCertifiedProfile,
  mcts: readTrustStore,
};
const contentTypes = { mcpr: OID_CT_PROVISION_REQUEST, mcpp: OID_CT_PROFILE_TO_PROVISION, mcp: OID_CT_CERTIFIED_PROFILE } as const;
const fileNames: Record<FileType, string> = { mcpr: 'SN123.mcpr', mcpp: 'pump.mcpp', mcp: 'SN123.mcp', mcts: 'system.mcts' };

beforeAll(async () => {
  pki = await createTestPki();
  const ids = testIds();
  const { entries, keys } = await createTestCsrs([{ role: 'tls-client', algorithm: 'ecdsa-p256' }]);
  const request = await createProvisionRequest({
    requestId: ids.requestId,
    systemId: ids.systemId,
    componentHandle: 'pump',
    hardwareId: 'SN123',
    profileId: ids.profileId,
    csrs: entries,
    signer: pki.provisioning,
  });
  files.mcpr = request.bytes;
  manifests.mcpr = request.manifest;
  const definition = { profileId: ids.profileId, systemId: ids.systemId, componentHandle: 'pump', keyRoles: [testKeyRole('tls-client')] };
  const mcpp = await createProfileToProvision({ profile: definition, signer: pki.profileSigner });
  files.mcpp = mcpp.bytes;
  manifests.mcpp = mcpp.manifest;
  const spec = definition.keyRoles[0]!;
  const issued = await issueCertificate({
    subject: expandSubjectTemplate(spec.subjectTemplate, { ...ids, hardwareId: 'SN123', componentHandle: 'pump', role: spec.role }),
    subjectSpki: await exportSpki(keys[0]!.publicKey),
    issuer: pki.deviceCa.certificate,
    issuerKey: pki.deviceCa.privateKey,
    issuerAlgorithm: pki.deviceCa.algorithm,
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 86_400_000),
    keyUsage: spec.keyUsage,
    extendedKeyUsage: spec.extendedKeyUsage,
  });
  const mcp = await createCertifiedProfile({
    profile: definition,
    hardwareId: 'SN123',
    requestId: ids.requestId,
    issued: [{ role: 'tls-client', certificate: issued }],
    issuedChain: [pki.deviceCa.certificate],
    signer: pki.profileSigner,
  });
  files.mcp = mcp.bytes;
  manifests.mcp = mcp.manifest;
  files.mcts = writeTrustStore([pki.root.certificate]);
}, 60_000);

function caught(action: () => unknown): ProvkitError {
  try {
    action();
  } catch (error) {
    if (error instanceof ProvkitError) return error;
    throw error;
  }
  throw new Error('expected a ProvkitError, but the reader accepted the input');
}

function signedWith(type: 'mcpr' | 'mcpp' | 'mcp', content: Uint8Array, signer: SignerIdentity = type === 'mcpr' ? pki.provisioning : pki.profileSigner, contentType: string = contentTypes[type]) {
  return createSignedData({
    contentType,
    content,
    signerCertificate: signer.certificate,
    signerKey: signer.privateKey,
    signerAlgorithm: signer.algorithm,
    certificates: [...signer.chain, pki.device.certificate, pki.deviceCa.certificate],
  });
}

/** Re-signs a manifest changed as JSON, so only the manifest is wrong. */
function resignedManifest(type: 'mcpr' | 'mcpp' | 'mcp', change: (json: Record<string, unknown>) => void): Promise<Uint8Array> {
  const json = manifestToJson(manifests[type]);
  change(json);
  return signedWith(type, new TextEncoder().encode(JSON.stringify(json)));
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/**
 * Rebuilds a signed file with its signed attributes changed by `transform`; the signature
 * stays the old one, so only parsing is meaningful afterwards.
 */
function withSignedAttributes(file: Uint8Array, transform: (attributes: Uint8Array[]) => Uint8Array[]): Uint8Array {
  const contentInfo = readChildren(readSingleTlv(file).value);
  const signedData = readChildren(readSingleTlv(contentInfo[1]!.value).value);
  const signerInfos = signedData[signedData.length - 1]!;
  const signerInfo = readChildren(readSingleTlv(signerInfos.value).value);
  const attributes = readChildren(signerInfo[3]!.value).map((tlv) => tlv.element);
  const newSignerInfo = encodeTlv(TAG.SEQUENCE, ...signerInfo.slice(0, 3).map((tlv) => tlv.element), encodeTlv(0xa0, ...transform(attributes)), ...signerInfo.slice(4).map((tlv) => tlv.element));
  const newSignedData = encodeTlv(TAG.SEQUENCE, ...signedData.slice(0, -1).map((tlv) => tlv.element), encodeTlv(TAG.SET, newSignerInfo));
  return encodeTlv(TAG.SEQUENCE, contentInfo[0]!.element, encodeTlv(0xa0, newSignedData));
}

/** Returns the attribute type OID's last content octet, enough to tell the CMS attributes apart. */
function attributeId(attribute: Uint8Array): number {
  const type = readChildren(readSingleTlv(attribute).value)[0]!;
  return type.value[type.value.length - 1]!;
}

interface Case {
  name: string;
  make: () => Uint8Array | Promise<Uint8Array>;
  code: ErrorCode;
  /** Expected field, or undefined when the error concerns the whole file. */
  field: string | undefined;
}

function commonCases(type: FileType): Case[] {
  const other: FileType = type === 'mcpr' ? 'mcpp' : 'mcpr';
  return [
    { name: 'empty input', make: () => new Uint8Array(), code: 'malformed', field: undefined },
    { name: 'truncated', make: () => files[type].slice(0, files[type].length - 7), code: 'malformed', field: 'ContentInfo' },
    { name: 'trailing data', make: () => concat(files[type], Uint8Array.of(0)), code: 'malformed', field: 'ContentInfo' },
    {
      name: 'oversized',
      make: () => concat(files[type], new Uint8Array(MAX_SIGNED_FILE_BYTES + 1 - files[type].length)),
      code: 'oversized',
      field: undefined,
    },
    { name: `wrong type (${other})`, make: () => files[other], code: 'wrong-type', field: 'encapContentInfo.eContentType' },
    { name: 'a bare certificate', make: () => pki.root.certificate.der, code: 'wrong-type', field: 'ContentInfo' },
    { name: 'JSON text', make: () => new TextEncoder().encode('{"type":"mcpr"}'), code: 'malformed', field: 'ContentInfo' },
    {
      name: 'BER indefinite length',
      make: () => {
        const bytes = files[type].slice();
        // 30 82 xx xx -> 30 80 ... 00 00: the same content with an indefinite length.
        return concat(Uint8Array.of(0x30, 0x80), bytes.subarray(4), Uint8Array.of(0, 0));
      },
      code: 'malformed',
      field: 'ContentInfo',
    },
    {
      name: 'not SignedData',
      make: () => encodeTlv(TAG.SEQUENCE, encodeOid(OID_DATA), encodeTlv(0xa0, encodeTlv(TAG.OCTET_STRING, Uint8Array.of(1)))),
      code: 'wrong-type',
      field: 'ContentInfo.contentType',
    },
  ];
}

function signedCases(type: 'mcpr' | 'mcpp' | 'mcp'): Case[] {
  return [
    ...commonCases(type),
    {
      name: 'wrong content-type OID',
      make: () => signedWith(type, encodeManifest(manifests[type]), undefined, `${PROVKIT_ARC}.9`),
      code: 'wrong-type',
      field: 'encapContentInfo.eContentType',
    },
    {
      name: 'manifest type of another file',
      make: () => resignedManifest(type, (json) => (json['type'] = type === 'mcp' ? 'mcpp' : 'mcp')),
      code: 'wrong-type',
      field: 'manifest.type',
    },
    { name: 'manifest major version 2', make: () => resignedManifest(type, (json) => (json['formatVersion'] = '2.0')), code: 'bad-version', field: 'manifest.formatVersion' },
    {
      name: 'SignedData version 2',
      make: () => {
        const bytes = files[type].slice();
        // The first INTEGER 3 after the ContentInfo header is SignedData.version.
        const index = bytes.findIndex((_, i) => bytes[i] === 0x02 && bytes[i + 1] === 0x01 && bytes[i + 2] === 0x03);
        bytes[index + 2] = 0x02;
        return bytes;
      },
      code: 'bad-version',
      field: 'SignedData.version',
    },
    {
      name: 'SignedData version 1',
      make: () => {
        const bytes = files[type].slice();
        const index = bytes.findIndex((_, i) => bytes[i] === 0x02 && bytes[i + 1] === 0x01 && bytes[i + 2] === 0x03);
        bytes[index + 2] = 0x01;
        return bytes;
      },
      code: 'bad-version',
      field: 'SignedData.version',
    },
    {
      name: 'SignerInfo version 2',
      make: () => {
        const bytes = files[type].slice();
        // SignerInfo starts SEQUENCE, INTEGER 1, SEQUENCE (issuerAndSerialNumber); search from the end.
        for (let i = bytes.length - 3; i > 0; i--) {
          if (bytes[i] === 0x02 && bytes[i + 1] === 0x01 && bytes[i + 2] === 0x01 && bytes[i + 3] === 0x30) {
            bytes[i + 2] = 0x02;
            break;
          }
        }
        return bytes;
      },
      code: 'bad-version',
      field: 'SignerInfo[0].version',
    },
    {
      name: 'unknown manifest member',
      make: () => resignedManifest(type, (json) => (json['surprise'] = true)),
      code: 'malformed',
      field: 'manifest.surprise',
    },
    {
      name: 'duplicate manifest member',
      make: () => {
        const text = new TextDecoder().decode(encodeManifest(manifests[type]));
        return signedWith(type, new TextEncoder().encode(text.replace('{"type":', '{"systemId":"x","type":')));
      },
      code: 'malformed',
      field: 'manifest.systemId',
    },
    { name: 'manifest not JSON', make: () => signedWith(type, Uint8Array.of(0x7b, 0x7b)), code: 'malformed', field: 'manifest' },
    {
      name: 'signed attributes out of DER order',
      make: () => withSignedAttributes(files[type], (attributes) => [...attributes].reverse()),
      code: 'malformed',
      field: 'SignerInfo[0].signedAttrs[1]',
    },
    {
      name: 'signingTime missing',
      // id-signingTime ends in .5
      make: () => withSignedAttributes(files[type], (attributes) => attributes.filter((attribute) => attributeId(attribute) !== 0x05)),
      code: 'malformed',
      field: 'SignerInfo[0].signedAttrs.signingTime',
    },
    {
      name: 'contentType attribute twice',
      make: () =>
        withSignedAttributes(files[type], (attributes) => {
          const contentType = attributes.find((attribute) => attributeId(attribute) === 0x03)!;
          return [contentType, ...attributes];
        }),
      code: 'malformed',
      field: 'SignerInfo[0].signedAttrs[1]',
    },
    {
      name: 'no signed attributes',
      make: () => withSignedAttributes(files[type], () => []),
      code: 'malformed',
      field: 'SignerInfo[0].signedAttrs.contentType',
    },
    {
      name: 'manifest over 256 KiB',
      make: () => signedWith(type, new Uint8Array(262_145).fill(0x20)),
      code: 'oversized',
      field: 'manifest',
    },
  ];
}

const tables: [FileType, () => Case[]][] = [
  [
    'mcpr',
    () => [
      ...signedCases('mcpr'),
      { name: 'hardware id of 37 characters', make: () => resignedManifest('mcpr', (json) => (json['hardwareId'] = 'H'.repeat(37))), code: 'malformed', field: 'manifest.hardwareId' },
      {
        name: 'CSR that is not a CSR',
        make: () =>
          resignedManifest('mcpr', (json) => {
            (json['csrs'] as Record<string, unknown>[])[0]!['csr'] = 'MAMCAQA=';
          }),
        code: 'malformed',
        field: 'manifest.csrs[0].csr',
      },
      {
        name: 'CSR of another algorithm',
        make: () =>
          resignedManifest('mcpr', (json) => {
            (json['csrs'] as Record<string, unknown>[])[0]!['algorithm'] = 'ecdsa-p384';
          }),
        code: 'mismatch',
        field: 'manifest.csrs[0].algorithm',
      },
      {
        name: 'proxy inside a proxy',
        make: async () => signedWith('mcpr', await wrapProvisionRequest(files.mcpr, pki.proxy), pki.proxy, OID_CT_PROXIED_PROVISION_REQUEST),
        code: 'malformed',
        field: 'encapContentInfo.eContentType',
      },
      {
        name: 'proxied content that is not a request',
        make: () => signedWith('mcpr', files.mcpp, pki.proxy, OID_CT_PROXIED_PROVISION_REQUEST),
        code: 'wrong-type',
        field: 'encapContentInfo.eContentType',
      },
    ],
  ],
  [
    'mcpp',
    () => [
      ...signedCases('mcpp'),
      {
        name: 'placeholder outside the list',
        make: () =>
          resignedManifest('mcpp', (json) => {
            (json['keyRoles'] as Record<string, unknown>[])[0]!['subjectTemplate'] = [{ type: 'CN', value: '{serial}' }];
          }),
        code: 'malformed',
        field: 'manifest.keyRoles[0].subjectTemplate[0].value',
      },
      {
        name: 'provisioning certificate not in the file',
        make: () => resignedManifest('mcpp', (json) => (json['provisioningCertificateSha256'] = 'c'.repeat(64))),
        code: 'mismatch',
        field: 'manifest.provisioningCertificateSha256',
      },
    ],
  ],
  [
    'mcp',
    () => [
      ...signedCases('mcp'),
      {
        name: 'certificate fingerprint not in the file',
        make: () =>
          resignedManifest('mcp', (json) => {
            (json['certificates'] as Record<string, unknown>[])[0]!['certificateSha256'] = 'd'.repeat(64);
          }),
        code: 'mismatch',
        field: 'manifest.certificates[0].certificateSha256',
      },
      {
        name: 'key role without certificate',
        make: () =>
          resignedManifest('mcp', (json) => {
            (json['keyRoles'] as unknown[]).push({ ...(json['keyRoles'] as Record<string, unknown>[])[0], role: 'extra' });
          }),
        code: 'mismatch',
        field: 'manifest.keyRoles[1].role',
      },
    ],
  ],
  [
    'mcts',
    () => [
      ...commonCases('mcts').filter((entry) => !entry.name.startsWith('wrong type')),
      { name: 'wrong type (mcpr)', make: () => files.mcpr, code: 'wrong-type', field: 'SignedData.encapContentInfo' },
      { name: 'no certificates', make: () => createCertsOnlySignedData([]), code: 'malformed', field: 'SignedData.certificates' },
      {
        name: 'duplicate certificate',
        make: () =>
          encodeTlv(
            TAG.SEQUENCE,
            encodeOid(OID_SIGNED_DATA),
            encodeTlv(
              0xa0,
              encodeTlv(
                TAG.SEQUENCE,
                encodeSmallInteger(1),
                encodeTlv(TAG.SET),
                encodeTlv(TAG.SEQUENCE, encodeOid(OID_DATA)),
                encodeTlv(0xa0, pki.root.certificate.der, pki.root.certificate.der),
                encodeTlv(TAG.SET),
              ),
            ),
          ),
        code: 'malformed',
        field: 'SignedData.certificates[1]',
      },
      {
        name: 'SignedData version 3',
        make: () => {
          const bytes = files.mcts.slice();
          const index = bytes.findIndex((_, i) => bytes[i] === 0x02 && bytes[i + 1] === 0x01 && bytes[i + 2] === 0x01);
          bytes[index + 2] = 0x03;
          return bytes;
        },
        code: 'bad-version',
        field: 'SignedData.version',
      },
      {
        name: 'CRLs present',
        make: () =>
          encodeTlv(
            TAG.SEQUENCE,
            encodeOid(OID_SIGNED_DATA),
            encodeTlv(
              0xa0,
              encodeTlv(
                TAG.SEQUENCE,
                encodeSmallInteger(1),
                encodeTlv(TAG.SET),
                encodeTlv(TAG.SEQUENCE, encodeOid(OID_DATA)),
                encodeTlv(0xa0, pki.root.certificate.der),
                encodeTlv(0xa1),
                encodeTlv(TAG.SET),
              ),
            ),
          ),
        code: 'unsupported',
        field: 'SignedData.crls',
      },
    ],
  ],
];

describe.each(tables)('reader of .%s', (type, cases) => {
  it('accepts the valid file', () => {
    expect(() => readers[type](files[type], { file: fileNames[type] })).not.toThrow();
  });

  it('rejects every malformed input with its code, file and field', async () => {
    const outcomes: string[] = [];
    const expected: string[] = [];
    for (const entry of cases()) {
      const bytes = await entry.make();
      const error = caught(() => readers[type](bytes, { file: fileNames[type] }));
      outcomes.push(`${entry.name}: ${error.code} ${error.field ?? '-'} ${error.message.startsWith(fileNames[type]) ? 'names file' : `message "${error.message}"`}`);
      expected.push(`${entry.name}: ${entry.code} ${entry.field ?? '-'} names file`);
      if (entry.field !== undefined) expect(error.message).toContain(entry.field);
    }
    expect(outcomes).toEqual(expected);
  });
});

describe('verifiers on damaged files', () => {
  const verifiers = { mcpr: verifyProvisionRequest, mcpp: verifyProfileToProvision, mcp: verifyCertifiedProfile } as const;

  it.each(['mcpr', 'mcpp', 'mcp'] as const)('report a tampered signature in .%s as signature-invalid', async (type) => {
    const bytes = files[type].slice();
    bytes[bytes.length - 4]! ^= 0x40;
    const result = await verifiers[type](bytes, { anchors: pki.anchors, file: fileNames[type] });
    expect(result.ok).toBe(false);
    expect(result.failures.map((failure) => failure.code)).toEqual(['signature-invalid']);
    expect(result.failures[0]!.message).toContain(`${fileNames[type]}: SignerInfo[0].signature`);
  });

  it.each(['mcpr', 'mcpp', 'mcp'] as const)('report tampered content in .%s as signature-invalid', async (type) => {
    const bytes = files[type].slice();
    // Change a digit of the systemId, which keeps the manifest valid.
    const text = new TextEncoder().encode(`"systemId":"`);
    let index = -1;
    for (let i = 0; i < bytes.length && index < 0; i++) if (text.every((byte, j) => bytes[i + j] === byte)) index = i + text.length;
    bytes[index] = bytes[index] === 0x30 ? 0x31 : 0x30;
    const result = await verifiers[type](bytes, { anchors: pki.anchors, file: fileNames[type] });
    expect(result.failures.map((failure) => failure.code)).toEqual(['signature-invalid']);
    expect(result.failures[0]!.message).toContain('messageDigest');
  });

  it('report unreadable input as one failure with the reader code', async () => {
    const result = await verifyProvisionRequest(files.mcpp, { anchors: pki.anchors, file: 'SN123.mcpr' });
    expect(result.ok).toBe(false);
    expect(result.failures).toEqual([{ code: 'wrong-type', message: expect.stringContaining('SN123.mcpr: encapContentInfo.eContentType') }]);
  });

  it('verifyFile rejects a file of another expected type', async () => {
    const result = await verifyFile(files.mcpp, { anchors: pki.anchors, expectedType: 'mcpr', file: 'x.mcpr' });
    expect(result.type).toBe('mcpp');
    expect(result.failures.map((failure) => failure.code)).toEqual(['wrong-type']);
  });

  it('verifyFile rejects a TrustStore as carrying no signature', async () => {
    const result = await verifyFile(files.mcts, { anchors: pki.anchors });
    expect(result.type).toBe('mcts');
    expect(result.failures.map((failure) => failure.code)).toEqual(['wrong-type']);
  });

  it('verifyFile names the file and the accepted types for unknown input', async () => {
    const result = await verifyFile(new TextEncoder().encode('not a provkit file\n'), { anchors: pki.anchors, file: 'notes.txt' });
    expect(result.type).toBe('unknown');
    expect(result.failures).toEqual([
      {
        code: 'wrong-type',
        message: 'notes.txt: the file is not a provkit file, an X.509 certificate or a PKCS #10 request; only a Provision Request (.mcpr), a Certified Profile to be Provisioned (.mcpp) or a Certified Profile (.mcp) can be verified',
      },
    ]);
  });
});

describe('readers on mutated files', () => {
  it.each(['mcpr', 'mcpp', 'mcp', 'mcts'] as const)('throw only ProvkitError for .%s', async (type) => {
    // A fixed linear congruential generator keeps the mutations the same on every run.
    let seed = 0x2545f491;
    const random = (limit: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % limit;
    };
    const codes = new Set<string>();
    let accepted = 0;
    for (let round = 0; round < 300; round++) {
      const bytes = files[type].slice();
      for (let flips = 1 + random(3); flips > 0; flips--) bytes[random(bytes.length)] = random(256);
      try {
        readers[type](bytes, { file: fileNames[type] });
        accepted++;
      } catch (error) {
        expect(error).toBeInstanceOf(ProvkitError);
        codes.add((error as ProvkitError).code);
      }
      if (type !== 'mcts') {
        const verify = { mcpr: verifyProvisionRequest, mcpp: verifyProfileToProvision, mcp: verifyCertifiedProfile }[type];
        const result = await verify(bytes, { anchors: pki.anchors, file: fileNames[type] });
        // A change inside the signed bytes must never verify.
        if (result.ok) expect(bytes).toEqual(files[type]);
      }
    }
    expect(codes.has('malformed')).toBe(true);
    expect(accepted).toBeLessThan(300);
  });
});
