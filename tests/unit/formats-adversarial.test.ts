import { readFileSync } from 'node:fs';
import path from 'node:path';
// NOTE: ajv is installed as a dependency of the PWA build tooling, not declared by provkit.
import Ajv2020 from 'ajv/dist/2020.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { ProvkitError, type ErrorCode } from '../../src/errors.js';
import { exportSpki, generateKeyPair } from '../../src/crypto/algorithms.js';
import { toBase64 } from '../../src/crypto/bytes.js';
import { TAG, encodeOid, encodeSmallInteger, encodeTlv, encodeUnsignedInteger } from '../../src/crypto/tlv.js';
import { createSignedData } from '../../src/formats/cms.js';
import { decodeTime } from '../../src/formats/time.js';
import { manifestToJson, type CertifiedProfileManifest, type ProvisionRequestManifest } from '../../src/formats/manifest.js';
import {
  OID_ATTR_CONTENT_TYPE,
  OID_ATTR_MESSAGE_DIGEST,
  OID_ATTR_SIGNING_TIME,
  OID_CT_CERTIFIED_PROFILE,
  OID_CT_PROFILE_TO_PROVISION,
  OID_CT_PROVISION_REQUEST,
  OID_DATA,
  OID_KP_PROFILE_SIGNING,
  OID_KP_PROVISIONING_IDENTITY,
  OID_SHA256,
  OID_SIGNED_DATA,
} from '../../src/formats/oids.js';
import { createCertifiedProfile, createProfileToProvision, expandSubjectTemplate, readCertifiedProfile, readProfileToProvision } from '../../src/formats/profile.js';
import { createProvisionRequest, readProvisionRequest } from '../../src/formats/request.js';
import { encodeTime } from '../../src/formats/time.js';
import { verifyCertifiedProfile, verifyProfileToProvision, verifyProvisionRequest } from '../../src/formats/verify.js';
import { issueCertificate, type Certificate } from '../../src/formats/x509.js';
import { repoRoot } from '../helpers/corpus.js';
import { createTestCsrs, createTestPki, issueTestIdentity, testIds, testKeyRole, type TestIdentity, type TestPki } from '../helpers/pki.js';

// Crafted files that try to make provkit's readers and verifiers accept what they must not,
// crash, or allocate what a header claims. Each case names the exact code and checks that the
// message leads with the file and the field, as docs/formats.md promises.

const FILE = 'SN123.mcpr';
const ECDSA_WITH_SHA256 = '1.2.840.10045.4.3.2';

let pki: TestPki;
let manifest: ProvisionRequestManifest;
let manifestBytes: Uint8Array;
let ids: ReturnType<typeof testIds>;

beforeAll(async () => {
  pki = await createTestPki();
  ids = testIds();
  const { entries } = await createTestCsrs([{ role: 'tls-client', algorithm: 'ecdsa-p256' }]);
  const request = await createProvisionRequest({ ...ids, componentHandle: 'pump', hardwareId: 'SN123', csrs: entries, signer: pki.provisioning });
  manifest = request.manifest;
  manifestBytes = new TextEncoder().encode(JSON.stringify(manifestToJson(manifest)));
}, 60_000);

// ---------------------------------------------------------------------------------------
// A SignedData assembled and signed by hand, so that each field can be made inconsistent
// with the others while the signature over the signed attributes stays valid.

function attribute(type: string, value: Uint8Array): Uint8Array {
  return encodeTlv(TAG.SEQUENCE, encodeOid(type), encodeTlv(TAG.SET, value));
}

function compareOctets(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

async function sha256(data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', data as Uint8Array<ArrayBuffer>));
}

/** WebCrypto's P1363 r||s as a DER ECDSA-Sig-Value (RFC 5753), without provkit's converter. */
function ecdsaSigValue(p1363: Uint8Array): Uint8Array {
  const half = p1363.length / 2;
  return encodeTlv(TAG.SEQUENCE, encodeUnsignedInteger(p1363.subarray(0, half)), encodeUnsignedInteger(p1363.subarray(half)));
}

interface HandSignerInfo {
  signer: TestIdentity;
  /** Value of the contentType attribute; default the eContentType. */
  contentTypeAttribute?: string;
  /** Content whose digest goes into messageDigest; default the eContent. */
  digestOf?: Uint8Array;
  signingTime?: Uint8Array;
  /** The DigestAlgorithmIdentifier; default SHA-256 without parameters. */
  digestAlgorithm?: Uint8Array;
  /** Raw [1] IMPLICIT unsignedAttrs element. */
  unsignedAttrs?: Uint8Array;
  /** More signed attributes, as Attribute encodings. */
  extraAttributes?: Uint8Array[];
}

interface HandSignedData {
  eContentType: string;
  content: Uint8Array;
  /** Certificate set in this order, unsorted. */
  certificates: Certificate[];
  signers: HandSignerInfo[];
}

async function signerInfo(info: HandSignerInfo, data: HandSignedData): Promise<Uint8Array> {
  const attributes = [
    attribute(OID_ATTR_CONTENT_TYPE, encodeOid(info.contentTypeAttribute ?? data.eContentType)),
    attribute(OID_ATTR_MESSAGE_DIGEST, encodeTlv(TAG.OCTET_STRING, await sha256(info.digestOf ?? data.content))),
    attribute(OID_ATTR_SIGNING_TIME, info.signingTime ?? encodeTime(new Date(Math.floor(Date.now() / 1000) * 1000))),
    ...(info.extraAttributes ?? []),
  ].sort(compareOctets);
  const toSign = encodeTlv(TAG.SET, ...attributes);
  const p1363 = new Uint8Array(await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, info.signer.privateKey, toSign as Uint8Array<ArrayBuffer>));
  const certificate = info.signer.certificate;
  return encodeTlv(
    TAG.SEQUENCE,
    encodeSmallInteger(1),
    encodeTlv(TAG.SEQUENCE, certificate.issuerDer, encodeTlv(TAG.INTEGER, certificate.serialNumber)),
    info.digestAlgorithm ?? encodeTlv(TAG.SEQUENCE, encodeOid(OID_SHA256)),
    encodeTlv(0xa0, ...attributes),
    encodeTlv(TAG.SEQUENCE, encodeOid(ECDSA_WITH_SHA256)),
    encodeTlv(TAG.OCTET_STRING, ecdsaSigValue(p1363)),
    ...(info.unsignedAttrs === undefined ? [] : [info.unsignedAttrs]),
  );
}

async function handSign(data: HandSignedData): Promise<Uint8Array> {
  const signerInfos = await Promise.all(data.signers.map((info) => signerInfo(info, data)));
  return encodeTlv(
    TAG.SEQUENCE,
    encodeOid(OID_SIGNED_DATA),
    encodeTlv(
      0xa0,
      encodeTlv(
        TAG.SEQUENCE,
        encodeSmallInteger(3),
        encodeTlv(TAG.SET, encodeTlv(TAG.SEQUENCE, encodeOid(OID_SHA256))),
        encodeTlv(TAG.SEQUENCE, encodeOid(data.eContentType), encodeTlv(0xa0, encodeTlv(TAG.OCTET_STRING, data.content))),
        encodeTlv(0xa0, ...data.certificates.map((certificate) => certificate.der)),
        encodeTlv(TAG.SET, ...signerInfos),
      ),
    ),
  );
}

/** Signs the test manifest by hand as a .mcpr of `signer`, embedding its chain unless `certificates` is given. */
function requestBy(signer: TestIdentity, change: Partial<HandSignerInfo> = {}, certificates?: Certificate[]): Promise<Uint8Array> {
  return handSign({
    eContentType: OID_CT_PROVISION_REQUEST,
    content: manifestBytes,
    certificates: certificates ?? [signer.certificate, ...signer.chain],
    signers: [{ signer, ...change }],
  });
}

function caught(action: () => unknown): ProvkitError {
  try {
    action();
  } catch (error) {
    if (error instanceof ProvkitError) return error;
    throw error;
  }
  throw new Error('expected a ProvkitError, but nothing was thrown');
}

/** Checks a reader error: its code, its field, and a message that leads with file and field. */
function expectReaderError(error: ProvkitError, code: ErrorCode, field: string, file = FILE): void {
  expect({ code: error.code, field: error.field }).toEqual({ code, field });
  expect(error.message.startsWith(`${file}: ${field}: `)).toBe(true);
}

/** Distinct failure codes, and every failure message names the file (and `field`, when given). */
function codesOf(result: { failures: { code: ErrorCode; message: string }[] }, file = FILE, field?: string): ErrorCode[] {
  expect(result.failures.length).toBeGreaterThan(0);
  for (const failure of result.failures) expect(failure.message.startsWith(field === undefined ? `${file}: ` : `${file}: ${field}: `)).toBe(true);
  return [...new Set(result.failures.map((failure) => failure.code))];
}

async function verifyRequest(bytes: Uint8Array, anchors = pki.anchors) {
  return verifyProvisionRequest(bytes, { anchors, file: FILE });
}

/** Issues a certificate under `fakeIssuer` even when it is no CA, which issueCertificate itself rejects. */
async function issueUnder(fakeIssuer: TestIdentity, commonName: string, extendedKeyUsage: string[], serialNumber?: Uint8Array): Promise<TestIdentity> {
  const keys = await generateKeyPair('ecdsa-p256');
  const certificate = await issueCertificate({
    subject: [
      { type: '2.5.4.10', shortName: 'O', value: 'provkit tests' },
      { type: '2.5.4.3', shortName: 'CN', value: commonName },
    ],
    subjectSpki: await exportSpki(keys.publicKey),
    issuer: { ...fakeIssuer.certificate, basicConstraints: { ca: true } },
    issuerKey: fakeIssuer.privateKey,
    issuerAlgorithm: fakeIssuer.algorithm,
    notBefore: new Date(Date.now() - 86_400_000),
    notAfter: new Date(Date.now() + 86_400_000),
    keyUsage: ['digitalSignature'],
    extendedKeyUsage,
    ...(serialNumber === undefined ? {} : { serialNumber }),
  });
  return { certificate, privateKey: keys.privateKey, publicKey: keys.publicKey, algorithm: 'ecdsa-p256', chain: [fakeIssuer.certificate, ...fakeIssuer.chain] };
}

// ---------------------------------------------------------------------------------------

describe('hand-signed SignedData', () => {
  it('baseline file verifies', async () => {
    const result = await verifyRequest(await requestBy(pki.provisioning));
    expect(result.failures).toEqual([]);
    expect(result.ok).toBe(true);
  });

  it('contentType attribute differs: mismatch', async () => {
    // The signature is valid: only the signed contentType names another file type.
    const result = await verifyRequest(await requestBy(pki.provisioning, { contentTypeAttribute: OID_CT_PROFILE_TO_PROVISION }));
    expect(codesOf(result, FILE, 'SignerInfo[0].signedAttrs.contentType')).toEqual(['mismatch']);
    expect(result.failures).toHaveLength(1);
  });

  it('messageDigest of other content: signature-invalid', async () => {
    const other = new TextEncoder().encode(JSON.stringify({ ...manifestToJson(manifest), hardwareId: 'SN999' }));
    const result = await verifyRequest(await requestBy(pki.provisioning, { digestOf: other }));
    expect(codesOf(result, FILE, 'SignerInfo[0].signedAttrs.messageDigest')).toEqual(['signature-invalid']);
    expect(result.failures).toHaveLength(1);
  });

  it('two valid signerInfos: malformed', async () => {
    const bytes = await handSign({
      eContentType: OID_CT_PROVISION_REQUEST,
      content: manifestBytes,
      certificates: [pki.provisioning.certificate, ...pki.provisioning.chain, pki.device.certificate, ...pki.device.chain],
      signers: [{ signer: pki.provisioning }, { signer: pki.device }],
    });
    expectReaderError(caught(() => readProvisionRequest(bytes, { file: FILE })), 'malformed', 'SignedData.signerInfos');
    expect(codesOf(await verifyRequest(bytes), FILE, 'SignedData.signerInfos')).toEqual(['malformed']);
  });

  it('digest algorithm parameters: malformed', async () => {
    const withNull = await requestBy(pki.provisioning, { digestAlgorithm: encodeTlv(TAG.SEQUENCE, encodeOid(OID_SHA256), new Uint8Array([TAG.NULL, 0])) });
    // RFC 5754 section 2 lets readers accept NULL. The SignedData's own list keeps absent parameters, which compares equal by OID.
    expect((await verifyRequest(withNull)).failures).toEqual([]);
    const withInteger = await requestBy(pki.provisioning, { digestAlgorithm: encodeTlv(TAG.SEQUENCE, encodeOid(OID_SHA256), encodeSmallInteger(7)) });
    expectReaderError(caught(() => readProvisionRequest(withInteger, { file: FILE })), 'malformed', 'SignerInfo[0].digestAlgorithm');
  });
});

describe('CMSAlgorithmProtection', () => {
  const digestAlgorithm = () => encodeTlv(TAG.SEQUENCE, encodeOid(OID_SHA256));
  const signatureContent = () => encodeOid(ECDSA_WITH_SHA256);
  const protection = (...fields: Uint8Array[]) => attribute('1.2.840.113549.1.9.52', encodeTlv(TAG.SEQUENCE, digestAlgorithm(), ...fields));

  it('matching protection verifies', async () => {
    const bytes = await requestBy(pki.provisioning, { extraAttributes: [protection(encodeTlv(0xa1, signatureContent()))] });
    expect((await verifyRequest(bytes)).failures).toEqual([]);
  });

  it.each([
    ['macAlgorithm besides signatureAlgorithm', () => protection(encodeTlv(0xa1, signatureContent()), encodeTlv(0xa2, encodeOid('1.2.840.113549.2.9')))],
    ['signatureAlgorithm twice', () => protection(encodeTlv(0xa1, signatureContent()), encodeTlv(0xa1, signatureContent()))],
  ])('%s: malformed', async (_, make) => {
    const bytes = await requestBy(pki.provisioning, { extraAttributes: [make()] });
    expectReaderError(caught(() => readProvisionRequest(bytes, { file: FILE })), 'malformed', 'SignerInfo[0].signedAttrs.cmsAlgorithmProtection');
  });

  it('protection naming SHA-384: mismatch', async () => {
    const other = attribute('1.2.840.113549.1.9.52', encodeTlv(TAG.SEQUENCE, encodeTlv(TAG.SEQUENCE, encodeOid('2.16.840.1.101.3.4.2.2')), encodeTlv(0xa1, signatureContent())));
    const result = await verifyRequest(await requestBy(pki.provisioning, { extraAttributes: [other] }));
    expect(codesOf(result, FILE, 'SignerInfo[0].signedAttrs.cmsAlgorithmProtection')).toEqual(['mismatch']);
  });
});

describe('unknown signed attributes', () => {
  it('5,000 attributes: one warning', async () => {
    const extraAttributes = Array.from({ length: 5_000 }, (_, i) => attribute(`1.3.6.1.4.1.55555.${i + 1}`, new Uint8Array([TAG.NULL, 0])));
    const bytes = await requestBy(pki.provisioning, { extraAttributes });
    const result = await verifyRequest(bytes);
    expect(result.failures).toEqual([]);
    const warnings = result.warnings.filter((warning) => warning.includes('which provkit does not interpret'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('and 4992 more');
  });
});

describe('signer certificate substitution', () => {
  let forged: TestIdentity;

  beforeAll(async () => {
    // An attacker's CA with the same name as the provisioning CA issues a certificate with the
    // provisioning identity's issuer and serial number, for the attacker's key.
    const attackerCa = await issueTestIdentity({ commonName: 'Test Provisioning CA', ca: {} });
    forged = await issueUnder(attackerCa, 'Test Provisioning Identity', [OID_KP_PROVISIONING_IDENTITY], pki.provisioning.certificate.serialNumber);
    expect(forged.certificate.issuerDer).toEqual(pki.provisioning.certificate.issuerDer);
    expect(forged.certificate.serialNumber).toEqual(pki.provisioning.certificate.serialNumber);
  }, 60_000);

  it('forged signer certificate: untrusted', async () => {
    // The attacker signs with the forged key and ships the genuine CA chain only.
    const result = await verifyRequest(await requestBy(forged, {}, [forged.certificate, ...pki.provisioning.chain]));
    expect(codesOf(result, FILE, 'signer certificate')).toEqual(['untrusted']);
  });

  it('two candidate signer certificates: malformed', async () => {
    // Whichever certificate a reader picks first, the file is ambiguous.
    for (const order of [
      [forged.certificate, pki.provisioning.certificate],
      [pki.provisioning.certificate, forged.certificate],
    ]) {
      const bytes = await requestBy(pki.provisioning, {}, [...order, ...pki.provisioning.chain]);
      expectReaderError(caught(() => readProvisionRequest(bytes, { file: FILE })), 'malformed', 'SignerInfo[0].sid');
      expect(codesOf(await verifyRequest(bytes), FILE, 'SignerInfo[0].sid')).toEqual(['malformed']);
    }
  });

  it('repeated signer certificate verifies', async () => {
    const bytes = await requestBy(pki.provisioning, {}, [pki.provisioning.certificate, pki.provisioning.certificate, ...pki.provisioning.chain]);
    expect((await verifyRequest(bytes)).failures).toEqual([]);
  });
});

describe('certification paths built from the file', () => {
  it('certificate loop: untrusted', async () => {
    // Two CAs certify each other, and the signer sits below one of them.
    const a = await issueTestIdentity({ commonName: 'Loop CA A', ca: {} });
    const b = await issueTestIdentity({ commonName: 'Loop CA B', ca: {} });
    const cross = async (subject: TestIdentity, issuer: TestIdentity): Promise<Certificate> =>
      issueCertificate({
        subject: subject.certificate.subject,
        subjectSpki: subject.certificate.spki,
        issuer: issuer.certificate,
        issuerKey: issuer.privateKey,
        issuerAlgorithm: 'ecdsa-p256',
        notBefore: new Date(Date.now() - 86_400_000),
        notAfter: new Date(Date.now() + 86_400_000),
        ca: {},
      });
    const aByB = await cross(a, b);
    const bByA = await cross(b, a);
    const signer = await issueTestIdentity({ commonName: 'Loop Signer', issuer: a, extendedKeyUsage: [OID_KP_PROVISIONING_IDENTITY] });
    const result = await verifyRequest(await requestBy(signer, {}, [signer.certificate, aByB, bByA]));
    expect(codesOf(result, FILE, 'signer certificate')).toEqual(['untrusted']);
  });

  it('non-CA intermediate: wrong-usage', async () => {
    const endEntity = await issueTestIdentity({ commonName: 'Not A CA', issuer: pki.root });
    const signer = await issueUnder(endEntity, 'Signer Below An End Entity', [OID_KP_PROVISIONING_IDENTITY]);
    const result = await verifyRequest(await requestBy(signer));
    expect(codesOf(result, FILE, 'signer certificate')).toEqual(['wrong-usage']);
    expect(result.failures.map((failure) => failure.message).join('\n')).toContain('"CN=Not A CA,O=provkit tests" issues certificates but is not a CA');
  });

  it('path length violation: wrong-usage', async () => {
    const limited = await issueTestIdentity({ commonName: 'Path Length 0 CA', issuer: pki.root, ca: { pathLength: 0 } });
    const below = await issueTestIdentity({ commonName: 'CA Below Path Length 0', issuer: limited, ca: {} });
    const signer = await issueTestIdentity({ commonName: 'Deep Signer', issuer: below, extendedKeyUsage: [OID_KP_PROVISIONING_IDENTITY] });
    const result = await verifyRequest(await requestBy(signer));
    expect(codesOf(result, FILE, 'signer certificate')).toEqual(['wrong-usage']);
    expect(result.failures[0]!.message).toContain('exceeds the pathLenConstraint');
  });

  it('CA extendedKeyUsage does not restrict', async () => {
    // A CA certificate that lists only serverAuth: the specification checks usage on the signer only.
    const ca = await issueTestIdentity({ commonName: 'TLS-only CA', issuer: pki.root, ca: {}, extendedKeyUsage: ['1.3.6.1.5.5.7.3.1'] });
    const signer = await issueTestIdentity({ commonName: 'Signer Below TLS CA', issuer: ca, extendedKeyUsage: [OID_KP_PROVISIONING_IDENTITY] });
    expect((await verifyRequest(await requestBy(signer))).failures).toEqual([]);
  });

  it('anchor only in file: untrusted', async () => {
    const rogueRoot = await issueTestIdentity({ commonName: 'Test Root CA', ca: {} });
    const signer = await issueTestIdentity({ commonName: 'Rogue Signer', issuer: rogueRoot, extendedKeyUsage: [OID_KP_PROVISIONING_IDENTITY] });
    const bytes = await requestBy(signer, {}, [signer.certificate, rogueRoot.certificate]);
    expect(codesOf(await verifyRequest(bytes), FILE, 'signer certificate')).toEqual(['untrusted']);
    // With the rogue root in the TrustStore the same file verifies: only the TrustStore decides.
    expect((await verifyRequest(bytes, [rogueRoot.certificate])).failures).toEqual([]);
  });
});

describe('signing time', () => {
  it.each([
    ['far in the future', new Date(Date.UTC(2200, 0, 1)), 'expired'],
    ['far in the past', new Date(Date.UTC(1955, 0, 1)), 'not-yet-valid'],
    ['before 1950 (GeneralizedTime)', new Date(Date.UTC(1949, 11, 31, 23, 59, 59)), 'not-yet-valid'],
  ] as const)('signing time %s', async (_, signingTime, code) => {
    const bytes = await createSignedData({
      contentType: OID_CT_PROVISION_REQUEST,
      content: manifestBytes,
      signerCertificate: pki.provisioning.certificate,
      signerKey: pki.provisioning.privateKey,
      signerAlgorithm: 'ecdsa-p256',
      certificates: pki.provisioning.chain,
      signingTime,
    });
    const result = await verifyRequest(bytes);
    expect(result.signingTime).toEqual(signingTime);
    expect(codesOf(result, FILE, 'signer certificate')).toEqual([code]);
    for (const failure of result.failures) expect(failure.message).toMatch(/^SN123\.mcpr: signer certificate: .*\(at the signing time /);
    expect(result.warnings.some((warning) => warning.includes('SignerInfo[0].signedAttrs.signingTime'))).toBe(signingTime.getUTCFullYear() > 2100);
  });

  it('GeneralizedTime in 2030: malformed', async () => {
    const generalized = encodeTlv(0x18, new TextEncoder().encode('20300101000000Z'));
    const bytes = await requestBy(pki.provisioning, { signingTime: generalized });
    expectReaderError(caught(() => readProvisionRequest(bytes, { file: FILE })), 'malformed', 'SignerInfo[0].signedAttrs.signingTime');
  });

  it('200,000-character UTCTime: malformed', async () => {
    const huge = encodeTlv(0x17, new Uint8Array(200_000).fill(0x30));
    const bytes = await requestBy(pki.provisioning, { signingTime: huge });
    const error = caught(() => readProvisionRequest(bytes, { file: FILE }));
    expectReaderError(error, 'malformed', 'SignerInfo[0].signedAttrs.signingTime');
    expect(error.message).toContain('200000 characters');
    expect(codesOf(await verifyRequest(bytes), FILE, 'SignerInfo[0].signedAttrs.signingTime')).toEqual(['malformed']);
  });

  it('GeneralizedTime year 0050 decodes', () => {
    expect(decodeTime({ tagClass: 0, constructed: false, tagNumber: 24, tag: 0x18, value: new TextEncoder().encode('00500101000000Z'), element: new Uint8Array() }).toISOString()).toBe(
      '0050-01-01T00:00:00.000Z',
    );
  });
});

describe('declared lengths and nesting', () => {
  it('4 GiB length in 100 bytes: malformed', () => {
    const bytes = new Uint8Array(100);
    bytes.set([0x30, 0x84, 0xff, 0xff, 0xff, 0xff, 0x06, 0x09]);
    const error = caught(() => readProvisionRequest(bytes, { file: FILE }));
    expectReaderError(error, 'malformed', 'ContentInfo');
    expect(error.message).toContain('4294967295 content bytes announced, 94 present');
  });

  it('1,000,000-octet OID: malformed', () => {
    // One arc spread over a megabyte: decoding it octet by octet into a BigInt is quadratic.
    const arc = new Uint8Array(1_000_000).fill(0xff);
    arc[arc.length - 1] = 0x01;
    const oid = new Uint8Array([TAG.OID, 0x83, 0x0f, 0x42, 0x40, ...arc]);
    const bytes = encodeTlv(TAG.SEQUENCE, oid, encodeTlv(0xa0, encodeTlv(TAG.SEQUENCE)));
    const error = caught(() => readProvisionRequest(bytes, { file: FILE }));
    expectReaderError(error, 'malformed', 'ContentInfo.contentType');
    expect(error.message).toContain('1000000 octets; the limit is 256');
  });

  it('nine-octet length: malformed', () => {
    const bytes = new Uint8Array([0x30, 0x89, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
    expectReaderError(caught(() => readProvisionRequest(bytes, { file: FILE })), 'malformed', 'ContentInfo');
  });

  it('4 GiB eContent length: malformed', async () => {
    const bytes = (await requestBy(pki.provisioning)).slice();
    // The eContent OCTET STRING header (04 82 hh ll) and its first two content bytes become a
    // header claiming 4 GiB, so every enclosing length stays right.
    const marker = encodeTlv(TAG.OCTET_STRING, manifestBytes).subarray(0, 4);
    const at = bytes.findIndex((_, i) => marker.every((byte, j) => bytes[i + j] === byte));
    const patched = new Uint8Array([...bytes.subarray(0, at), 0x04, 0x84, 0xff, 0xff, 0xff, 0xff, ...bytes.subarray(at + 6)]);
    expect(patched.length).toBe(bytes.length);
    const error = caught(() => readProvisionRequest(patched, { file: FILE }));
    expectReaderError(error, 'malformed', 'encapContentInfo.eContent');
    expect(error.message).toContain('4294967295 content bytes announced');
  });

  /** `depth` nested SEQUENCEs around an empty one, written outside in without re-copying. */
  function nestedSequences(depth: number): Uint8Array {
    const lengths: number[] = [0];
    const header = (length: number): number[] =>
      length < 0x80 ? [0x30, length] : length < 0x100 ? [0x30, 0x81, length] : length < 0x10000 ? [0x30, 0x82, length >> 8, length & 0xff] : [0x30, 0x83, length >> 16, (length >> 8) & 0xff, length & 0xff];
    for (let i = 0; i < depth; i++) lengths.push(lengths[i]! + header(lengths[i]!).length);
    const out: number[] = [];
    for (let i = depth; i >= 0; i--) out.push(...header(lengths[i]!));
    return Uint8Array.from(out);
  }

  it('150,000-deep unsignedAttrs: malformed', async () => {
    const deep = nestedSequences(150_000);
    const unsignedAttrs = new Uint8Array([0xa1, 0x83, deep.length >> 16, (deep.length >> 8) & 0xff, deep.length & 0xff, ...deep]);
    const bytes = await requestBy(pki.provisioning, { unsignedAttrs });
    expect(bytes.length).toBeLessThan(1_048_576);
    const error = caught(() => readProvisionRequest(bytes, { file: FILE }));
    expectReaderError(error, 'malformed', 'SignerInfo[0].unsignedAttrs');
    expect(error.message).toContain('nesting is deeper than 64 levels');
  });

  it('3,000-deep certificate: malformed', async () => {
    const deep = nestedSequences(3_000);
    const bytes = await handSign({ eContentType: OID_CT_PROVISION_REQUEST, content: manifestBytes, certificates: [], signers: [{ signer: pki.provisioning }] });
    // The empty certificate set [0] {} becomes [0] { deep }.
    const certificateSet = new Uint8Array([0xa0, 0x82, deep.length >> 8, deep.length & 0xff, ...deep]);
    const at = bytes.findIndex((_, i) => bytes[i] === 0xa0 && bytes[i + 1] === 0x00 && bytes[i + 2] === TAG.SET);
    const body = new Uint8Array([...bytes.subarray(0, at), ...certificateSet, ...bytes.subarray(at + 2)]);
    const withDeep = reencodeOuterLengths(body, certificateSet.length - 2);
    expectReaderError(caught(() => readProvisionRequest(withDeep, { file: FILE })), 'malformed', 'SignedData.certificates[0]');
  });

  it('100,000-deep manifest JSON: malformed', async () => {
    const content = new TextEncoder().encode(`{"type":"mcpr","formatVersion":"1.0","csrs":${'['.repeat(100_000)}${']'.repeat(100_000)}}`);
    const bytes = await createSignedData({
      contentType: OID_CT_PROVISION_REQUEST,
      content,
      signerCertificate: pki.provisioning.certificate,
      signerKey: pki.provisioning.privateKey,
      signerAlgorithm: 'ecdsa-p256',
      certificates: [],
    });
    const error = caught(() => readProvisionRequest(bytes, { file: FILE }));
    expect(error.code).toBe('malformed');
    expect(error.message).toContain('nesting deeper than 32 levels');
    expect(error.message.startsWith(`${FILE}: manifest.csrs`)).toBe(true);
  });
});

/**
 * Re-encodes the lengths of ContentInfo, [0] and SignedData after a field inside SignedData
 * grew by `delta` bytes. The test files keep those three headers in the 0x82 form.
 */
function reencodeOuterLengths(bytes: Uint8Array, delta: number): Uint8Array {
  const out = bytes.slice();
  // ContentInfo at 0, [0] after the 11-byte id-signedData OID, SignedData right inside it.
  for (const offset of [0, 4 + 11, 4 + 11 + 4]) {
    expect(out[offset + 1]).toBe(0x82);
    const length = ((out[offset + 2]! << 8) | out[offset + 3]!) + delta;
    out[offset + 2] = length >> 8;
    out[offset + 3] = length & 0xff;
  }
  return out;
}

describe('manifest JSON edge cases', () => {
  /** Signs `text` as the eContent of a .mcpr by the provisioning identity. */
  async function withManifest(text: string): Promise<Uint8Array> {
    return createSignedData({
      contentType: OID_CT_PROVISION_REQUEST,
      content: new TextEncoder().encode(text),
      signerCertificate: pki.provisioning.certificate,
      signerKey: pki.provisioning.privateKey,
      signerAlgorithm: 'ecdsa-p256',
      certificates: pki.provisioning.chain,
    });
  }

  /** Returns the manifest's JSON text with the value of `member` replaced by the raw JSON `raw`. */
  function replaced(member: string, raw: string): string {
    const json = manifestToJson(manifest) as Record<string, unknown>;
    const marker = '"__REPLACED__"';
    return JSON.stringify({ ...json, [member]: '__REPLACED__' }).replace(marker, raw);
  }

  it.each<[string, () => string, ErrorCode, string]>([
    ['a duplicate member', () => JSON.stringify(manifestToJson(manifest)).replace('{"type":"mcpr",', '{"type":"mcpr","type":"mcpr",'), 'malformed', 'manifest.type'],
    ['a duplicate member spelled with an escape', () => JSON.stringify(manifestToJson(manifest)).replace('"hardwareId":', '"hardwareId":"SN1","hardware\\u0049d":'), 'malformed', 'manifest.hardwareId'],
    [
      'a duplicate member inside a CSR entry',
      () => JSON.stringify(manifestToJson(manifest)).replace('"role":"tls-client"', '"role":"tls-client","role":"other"'),
      'malformed',
      'manifest.csrs[0].role',
    ],
    ['the format version as a number', () => replaced('formatVersion', '1.0'), 'malformed', 'manifest.formatVersion'],
    ['format version 1.00', () => replaced('formatVersion', '"1.00"'), 'malformed', 'manifest.formatVersion'],
    ['the hardware id as a number', () => replaced('hardwareId', '123456'), 'malformed', 'manifest.hardwareId'],
    ['a __proto__ member', () => JSON.stringify(manifestToJson(manifest)).replace('{"type":"mcpr",', '{"__proto__":{"purpose":"reprovision"},"type":"mcpr",'), 'malformed', 'manifest.__proto__'],
    ['the purpose as an array', () => replaced('purpose', '["initial"]'), 'malformed', 'manifest.purpose'],
    ['a hardware id of 37 characters', () => replaced('hardwareId', JSON.stringify('H'.repeat(37))), 'malformed', 'manifest.hardwareId'],
    ['an escaped lone surrogate in the hardware id', () => replaced('hardwareId', '"SN\\ud800"'), 'malformed', 'manifest.hardwareId'],
    ['an escaped NUL in the hardware id', () => replaced('hardwareId', '"SN\\u0000123"'), 'malformed', 'manifest.hardwareId'],
    ['a raw NUL byte in a string', () => replaced('hardwareId', '"SN\u0000123"'), 'malformed', 'manifest.hardwareId'],
    ['a Cyrillic ES in the hardware id', () => replaced('hardwareId', JSON.stringify('\u0421N123')), 'malformed', 'manifest.hardwareId'],
    ['fullwidth letters in the hardware id', () => replaced('hardwareId', JSON.stringify('\uff33\uff2e123')), 'malformed', 'manifest.hardwareId'],
    ['a Kelvin sign in the hardware id', () => replaced('hardwareId', JSON.stringify('\u212a123')), 'malformed', 'manifest.hardwareId'],
    ['a Unicode hyphen in the hardware id', () => replaced('hardwareId', JSON.stringify('SN\u2010123')), 'malformed', 'manifest.hardwareId'],
    ['a zero-width space in the hardware id', () => replaced('hardwareId', JSON.stringify('SN\u200b123')), 'malformed', 'manifest.hardwareId'],
    ['a trailing newline in the hardware id', () => replaced('hardwareId', JSON.stringify('SN123\n')), 'malformed', 'manifest.hardwareId'],
    ['an uppercase request id', () => replaced('requestId', JSON.stringify(manifest.requestId.toUpperCase())), 'malformed', 'manifest.requestId'],
    ['a leap second in createdAt', () => replaced('createdAt', '"2026-12-31T23:59:60Z"'), 'malformed', 'manifest.createdAt'],
  ])('manifest with %s', async (_, text, code, field) => {
    const bytes = await withManifest(text());
    expectReaderError(caught(() => readProvisionRequest(bytes, { file: FILE })), code, field);
  });

  it('36-character hardware id reads', async () => {
    const bytes = await withManifest(replaced('hardwareId', JSON.stringify('A1:b2_C3.d4-'.repeat(3))));
    expect(readProvisionRequest(bytes, { file: FILE }).manifest.hardwareId).toHaveLength(36);
  });

  it('16,386-byte CSR: oversized', async () => {
    // 16,386 bytes are 21,848 base64 characters: within the schema's maxLength, over the DER limit.
    const csr = new Uint8Array(16_386);
    csr.set([0x30, 0x82, 0x3f, 0xfe]);
    const json = manifestToJson(manifest) as { csrs: { csr: string }[] };
    json.csrs[0]!.csr = toBase64(csr);
    expect(json.csrs[0]!.csr).toHaveLength(21_848);
    const bytes = await withManifest(JSON.stringify(json));
    expectReaderError(caught(() => readProvisionRequest(bytes, { file: FILE })), 'oversized', 'manifest.csrs[0].csr');
  });
});

describe('profile manifest text members', () => {
  const definition = () => ({ profileId: ids.profileId, systemId: ids.systemId, componentHandle: 'pump', keyRoles: [testKeyRole('tls-client')] });

  /** Signs a .mcpp whose manifest is the writer's with `systemName` set to the raw JSON `raw`. */
  async function profileWithSystemName(raw: string): Promise<Uint8Array> {
    const { manifest: written } = await createProfileToProvision({ profile: definition(), signer: pki.profileSigner });
    const text = JSON.stringify({ ...manifestToJson(written), systemName: '__NAME__' }).replace('"__NAME__"', raw);
    return createSignedData({
      contentType: OID_CT_PROFILE_TO_PROVISION,
      content: new TextEncoder().encode(text),
      signerCertificate: pki.profileSigner.certificate,
      signerKey: pki.profileSigner.privateKey,
      signerAlgorithm: 'ecdsa-p256',
      certificates: [],
    });
  }

  function profileSchema() {
    // The schema in docs/formats.md is the reference for what a reader accepts.
    const text = readFileSync(path.join(repoRoot, 'docs', 'formats.md'), 'utf8');
    const blocks = [...text.matchAll(/```json\n([\s\S]*?)```/g)].map((match) => JSON.parse(match[1]!) as { $id?: string });
    const schema = blocks.find((block) => block.$id?.endsWith(':profile-to-provision:1.0') === true)!;
    return new Ajv2020({ strict: true }).compile(schema);
  }

  it('maxLength counts code points', async () => {
    const validate = profileSchema();
    const name = '\u{1f4a7}'.repeat(128);
    const read = readProfileToProvision(await profileWithSystemName(JSON.stringify(name)), { file: 'pump.mcpp' });
    expect(read.manifest.systemName).toBe(name);
    expect(validate(manifestToJson(read.manifest))).toBe(true);
    const tooLong = await profileWithSystemName(JSON.stringify(`${name}x`));
    expectReaderError(caught(() => readProfileToProvision(tooLong, { file: 'pump.mcpp' })), 'malformed', 'manifest.systemName', 'pump.mcpp');
  });

  it.each([
    ['an escaped NUL', '"Pumps\\u0000Hall 2"', 'Pumps\u0000Hall 2'],
    ['an escaped escape character', '"Pumps\\u001b[31m"', 'Pumps\u001b[31m'],
    ['a C1 control', '"Pumps\\u0085"', 'Pumps\u0085'],
  ])('text member with %s', async (_, raw, value) => {
    const validate = profileSchema();
    const { manifest: written } = await createProfileToProvision({ profile: definition(), signer: pki.profileSigner });
    expect(validate({ ...manifestToJson(written), systemName: value })).toBe(false);
    const bytes = await profileWithSystemName(raw);
    expectReaderError(caught(() => readProfileToProvision(bytes, { file: 'pump.mcpp' })), 'malformed', 'manifest.systemName', 'pump.mcpp');
  });

  it.each([
    ['"365"', 'the string'],
    ['365.5', 'a fraction'],
    ['1e400', 'an overflowing number'],
  ])('validityDays %s: malformed', async (raw) => {
    const { manifest: written } = await createProfileToProvision({ profile: definition(), signer: pki.profileSigner });
    const text = JSON.stringify(manifestToJson(written)).replace('"validityDays":365', `"validityDays":${raw}`);
    expect(text).toContain(`"validityDays":${raw}`);
    const bytes = await createSignedData({
      contentType: OID_CT_PROFILE_TO_PROVISION,
      content: new TextEncoder().encode(text),
      signerCertificate: pki.profileSigner.certificate,
      signerKey: pki.profileSigner.privateKey,
      signerAlgorithm: 'ecdsa-p256',
      certificates: [],
    });
    expectReaderError(caught(() => readProfileToProvision(bytes, { file: 'pump.mcpp' })), 'malformed', 'manifest.keyRoles[0].validityDays', 'pump.mcpp');
  });

  it('escaped lone surrogate: malformed', async () => {
    const bytes = await profileWithSystemName('"Pumps \\udc00"');
    const error = caught(() => readProfileToProvision(bytes, { file: 'pump.mcpp' }));
    expectReaderError(error, 'malformed', 'manifest.systemName', 'pump.mcpp');
    expect(error.message).toContain('lone surrogate');
  });

  it('escaped surrogate pair reads', async () => {
    const read = readProfileToProvision(await profileWithSystemName('"Pumps \\ud83d\\udca7"'), { file: 'pump.mcpp' });
    expect(read.manifest.systemName).toBe('Pumps \u{1f4a7}');
  });

  it('serialNumber outside PrintableString', () => {
    const values = { hardwareId: 'SN_123', componentHandle: 'pump', role: 'tls-client', systemId: ids.systemId, requestId: ids.requestId };
    const error = caught(() => expandSubjectTemplate([{ type: 'CN', value: 'x' }, { type: 'serialNumber', value: '{hardwareId}' }], values));
    expect({ code: error.code, field: error.field }).toEqual({ code: 'invalid-argument', field: 'subjectTemplate[1].value' });
    expect(expandSubjectTemplate([{ type: 'serialNumber', value: '{hardwareId}' }], { ...values, hardwareId: 'SN-123' })[0]!.value).toBe('SN-123');
  });
});

describe('signer roles of the profiles', () => {
  const definition = () => ({ profileId: ids.profileId, systemId: ids.systemId, componentHandle: 'pump', keyRoles: [testKeyRole('tls-client')] });

  it('.mcpp by provisioning identity: wrong-usage', async () => {
    const { bytes } = await createProfileToProvision({ profile: definition(), signer: pki.provisioning });
    const result = await verifyProfileToProvision(bytes, { anchors: pki.anchors, file: 'pump.mcpp' });
    expect(codesOf(result, 'pump.mcpp', 'signer certificate')).toEqual(['wrong-usage']);
    expect(result.failures[0]!.message).toContain(`pump.mcpp: signer certificate: "CN=Test Provisioning Identity,O=provkit tests" extKeyUsage lacks ${OID_KP_PROFILE_SIGNING}`);
  });

  it('.mcp by device identity: wrong-usage', async () => {
    const { bytes } = await createCertifiedProfile({
      profile: definition(),
      hardwareId: 'SN123',
      requestId: ids.requestId,
      issued: [{ role: 'tls-client', certificate: await issuedFor('SN123') }],
      issuedChain: [pki.deviceCa.certificate],
      signer: pki.device,
    });
    const result = await verifyCertifiedProfile(bytes, { anchors: pki.anchors, file: 'SN123.mcp' });
    expect(codesOf(result, 'SN123.mcp', 'signer certificate')).toEqual(['wrong-usage']);
  });

  async function issuedFor(hardwareId: string): Promise<Certificate> {
    const spec = testKeyRole('tls-client');
    const keys = await generateKeyPair('ecdsa-p256');
    return issueCertificate({
      subject: expandSubjectTemplate(spec.subjectTemplate, { ...ids, hardwareId, componentHandle: 'pump', role: spec.role }),
      subjectSpki: await exportSpki(keys.publicKey),
      issuer: pki.deviceCa.certificate,
      issuerKey: pki.deviceCa.privateKey,
      issuerAlgorithm: 'ecdsa-p256',
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + 86_400_000),
      keyUsage: spec.keyUsage,
      extendedKeyUsage: spec.extendedKeyUsage,
    });
  }

  it('.mcp missing issued certificate: mismatch', async () => {
    const issued = await issuedFor('SN123');
    const { manifest: written } = await createCertifiedProfile({
      profile: definition(),
      hardwareId: 'SN123',
      requestId: ids.requestId,
      issued: [{ role: 'tls-client', certificate: issued }],
      issuedChain: [],
      signer: pki.profileSigner,
    });
    // The same manifest, signed again with a certificate set that leaves the issued certificate out.
    const bytes = await handSign({
      eContentType: OID_CT_CERTIFIED_PROFILE,
      content: new TextEncoder().encode(JSON.stringify(manifestToJson(written as CertifiedProfileManifest))),
      certificates: [pki.profileSigner.certificate, pki.deviceCa.certificate],
      signers: [{ signer: pki.profileSigner }],
    });
    expectReaderError(caught(() => readCertifiedProfile(bytes, { file: 'SN123.mcp' })), 'mismatch', 'manifest.certificates[0].certificateSha256', 'SN123.mcp');
    const result = await verifyCertifiedProfile(bytes, { anchors: pki.anchors, file: 'SN123.mcp' });
    expect(codesOf(result, 'SN123.mcp', 'manifest.certificates[0].certificateSha256')).toEqual(['mismatch']);
  });

  it('one certificate for two roles: malformed', async () => {
    const issued = await issuedFor('SN123');
    const twoRoles = { ...definition(), keyRoles: [testKeyRole('tls-client'), testKeyRole('tls-server')] };
    const { manifest: written } = await createCertifiedProfile({
      profile: twoRoles,
      hardwareId: 'SN123',
      requestId: ids.requestId,
      issued: [
        { role: 'tls-client', certificate: issued },
        { role: 'tls-server', certificate: await issuedFor('SN123') },
      ],
      issuedChain: [pki.deviceCa.certificate],
      signer: pki.profileSigner,
    });
    const json = manifestToJson(written) as { certificates: { certificateSha256: string }[] };
    json.certificates[1]!.certificateSha256 = issued.fingerprint;
    const bytes = await handSign({
      eContentType: OID_CT_CERTIFIED_PROFILE,
      content: new TextEncoder().encode(JSON.stringify(json)),
      certificates: [pki.profileSigner.certificate, issued, pki.deviceCa.certificate],
      signers: [{ signer: pki.profileSigner }],
    });
    expectReaderError(caught(() => readCertifiedProfile(bytes, { file: 'SN123.mcp' })), 'malformed', 'manifest.certificates[1].certificateSha256', 'SN123.mcp');
  });

  it.each([
    ['without extendedKeyUsage', undefined],
    ['with anyExtendedKeyUsage only', ['2.5.29.37.0']],
  ])('provisioning certificate %s: wrong-usage', async (_, extendedKeyUsage) => {
    // The device could never sign its .mcpr with it: the .mcpr signer must list the usage.
    const provisioning = await issueTestIdentity({
      commonName: 'Provisioning Without Usage',
      issuer: pki.provisioningCa,
      ...(extendedKeyUsage === undefined ? {} : { extendedKeyUsage }),
    });
    const { bytes } = await createProfileToProvision({
      profile: definition(),
      provisioningCertificate: provisioning.certificate,
      provisioningChain: provisioning.chain,
      signer: pki.profileSigner,
    });
    const result = await verifyProfileToProvision(bytes, { anchors: pki.anchors, file: 'pump.mcpp' });
    expect(codesOf(result, 'pump.mcpp', 'manifest.provisioningCertificateSha256')).toEqual(['wrong-usage']);
  });
});

describe('TrustStore', () => {
  it('TrustStore with signer: wrong-type', async () => {
    const bytes = await handSign({ eContentType: OID_DATA, content: new Uint8Array(), certificates: [pki.root.certificate], signers: [{ signer: pki.provisioning }] });
    const { readTrustStore } = await import('../../src/formats/truststore.js');
    expectReaderError(caught(() => readTrustStore(bytes, { file: 'system.mcts' })), 'wrong-type', 'SignedData.encapContentInfo', 'system.mcts');
  });
});
