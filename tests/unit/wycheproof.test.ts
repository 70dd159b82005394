/**
 * Wycheproof signature vectors (C2SP/wycheproof, testvectors_v1) through verifySignature, the
 * same entry point certificates, CSRs and CMS use. Each group's key DER becomes the SPKI and
 * the group's algorithm becomes the signature AlgorithmIdentifier.
 *
 * `acceptable` vectors: the only ones in these files are the three RSASSA-PKCS1-v1_5 tests
 * flagged MissingNull (a DigestInfo without the NULL hash parameters). provkit, through
 * WebCrypto, rejects them as 'invalid'; they are counted separately and asserted, so a change
 * in that behaviour fails here. Every `valid` vector must give 'valid' and every `invalid`
 * vector 'invalid'.
 */
import { describe, expect, it } from 'vitest';
import { ecdsaP1363ToDer, verifySignature, type VerifyOutcome } from '../../src/crypto/signature.js';
import { TAG, encodeOid, encodeSmallInteger, encodeTlv } from '../../src/crypto/tlv.js';
import { hexBytes, loadWycheproof, type WycheproofSignatureGroup } from '../helpers/corpus.js';

const NULL = new Uint8Array([TAG.NULL, 0]);

const HASH_OID: Record<string, string> = {
  'SHA-1': '1.3.14.3.2.26',
  'SHA-224': '2.16.840.1.101.3.4.2.4',
  'SHA-256': '2.16.840.1.101.3.4.2.1',
  'SHA-384': '2.16.840.1.101.3.4.2.2',
  'SHA-512': '2.16.840.1.101.3.4.2.3',
};

const ECDSA_OID: Record<string, string> = {
  'SHA-256': '1.2.840.10045.4.3.2',
  'SHA-384': '1.2.840.10045.4.3.3',
  'SHA-512': '1.2.840.10045.4.3.4',
};

const PKCS1_OID: Record<string, string> = {
  'SHA-256': '1.2.840.113549.1.1.11',
  'SHA-384': '1.2.840.113549.1.1.12',
  'SHA-512': '1.2.840.113549.1.1.13',
};

function hashIdentifier(hash: string): Uint8Array {
  const oid = HASH_OID[hash];
  if (oid === undefined) throw new Error(`no OID for ${hash}`);
  return encodeTlv(TAG.SEQUENCE, encodeOid(oid), NULL);
}

/** RSASSA-PSS AlgorithmIdentifier from a group's sha, mgfSha and sLen (RFC 4055 section 3.1). */
function pssIdentifier(group: WycheproofSignatureGroup): Uint8Array {
  expect(group.mgf).toBe('MGF1');
  return encodeTlv(
    TAG.SEQUENCE,
    encodeOid('1.2.840.113549.1.1.10'),
    encodeTlv(
      TAG.SEQUENCE,
      encodeTlv(0xa0, hashIdentifier(group.sha!)),
      encodeTlv(0xa1, encodeTlv(TAG.SEQUENCE, encodeOid('1.2.840.113549.1.1.8'), hashIdentifier(group.mgfSha!))),
      encodeTlv(0xa2, encodeSmallInteger(group.sLen!)),
    ),
  );
}

type Kind = 'ecdsa-der' | 'ecdsa-p1363' | 'ed25519' | 'rsa-pss' | 'rsa-pkcs1';

function signatureAlgorithmOf(kind: Kind, group: WycheproofSignatureGroup): Uint8Array {
  switch (kind) {
    case 'ecdsa-der':
    case 'ecdsa-p1363':
      return encodeTlv(TAG.SEQUENCE, encodeOid(ECDSA_OID[group.sha!]!));
    case 'ed25519':
      return encodeTlv(TAG.SEQUENCE, encodeOid('1.3.101.112'));
    case 'rsa-pss':
      return pssIdentifier(group);
    case 'rsa-pkcs1':
      return encodeTlv(TAG.SEQUENCE, encodeOid(PKCS1_OID[group.sha!]!), NULL);
  }
}

type Tally = Record<string, number>;

/** Runs every test of a file and counts `expected->observed` pairs. */
async function runFile(name: string, kind: Kind, fieldSize = 0): Promise<{ tally: Tally; mismatches: string[] }> {
  const file = loadWycheproof(name);
  const tally: Tally = {};
  const mismatches: string[] = [];
  let seen = 0;
  for (const group of file.testGroups) {
    const spki = hexBytes(group.publicKeyDer);
    const signatureAlgorithm = signatureAlgorithmOf(kind, group);
    for (const test of group.tests) {
      seen++;
      let signature = hexBytes(test.sig);
      let observed: VerifyOutcome;
      if (kind === 'ecdsa-p1363') {
        // WebCrypto's form: a wrong length is rejected by the conversion itself.
        try {
          signature = ecdsaP1363ToDer(signature, fieldSize);
          observed = await verifySignature(spki, signatureAlgorithm, hexBytes(test.msg), signature);
        } catch {
          observed = 'invalid';
        }
      } else {
        observed = await verifySignature(spki, signatureAlgorithm, hexBytes(test.msg), signature);
      }
      const key = `${test.result}->${observed}`;
      tally[key] = (tally[key] ?? 0) + 1;
      if (test.result !== 'acceptable' && test.result !== observed) {
        mismatches.push(`tcId ${test.tcId} (${test.comment}; ${test.flags.join(',')}): expected ${test.result}, got ${observed}`);
      }
    }
  }
  expect(seen).toBe(file.numberOfTests);
  return { tally, mismatches };
}

// Observed outcome counts per file; `acceptable->invalid` is the MissingNull case described above.
const FILES: { name: string; kind: Kind; fieldSize?: number; tally: Tally }[] = [
  { name: 'ecdsa_secp256r1_sha256_test.json', kind: 'ecdsa-der', tally: { 'valid->valid': 174, 'invalid->invalid': 310 } },
  { name: 'ecdsa_secp256r1_sha256_p1363_test.json', kind: 'ecdsa-p1363', fieldSize: 32, tally: { 'valid->valid': 173, 'invalid->invalid': 89 } },
  { name: 'ecdsa_secp384r1_sha384_test.json', kind: 'ecdsa-der', tally: { 'valid->valid': 194, 'invalid->invalid': 310 } },
  { name: 'ecdsa_secp384r1_sha384_p1363_test.json', kind: 'ecdsa-p1363', fieldSize: 48, tally: { 'valid->valid': 193, 'invalid->invalid': 87 } },
  { name: 'ed25519_test.json', kind: 'ed25519', tally: { 'valid->valid': 88, 'invalid->invalid': 63 } },
  { name: 'rsa_pss_2048_sha256_mgf1_0_test.json', kind: 'rsa-pss', tally: { 'valid->valid': 61, 'invalid->invalid': 42 } },
  { name: 'rsa_pss_2048_sha256_mgf1_32_test.json', kind: 'rsa-pss', tally: { 'valid->valid': 63, 'invalid->invalid': 45 } },
  { name: 'rsa_pss_2048_sha256_mgf1_32_params_test.json', kind: 'rsa-pss', tally: { 'valid->valid': 63, 'invalid->invalid': 45 } },
  { name: 'rsa_pss_3072_sha256_mgf1_32_test.json', kind: 'rsa-pss', tally: { 'valid->valid': 63, 'invalid->invalid': 45 } },
  { name: 'rsa_pss_4096_sha512_mgf1_64_test.json', kind: 'rsa-pss', tally: { 'valid->valid': 132, 'invalid->invalid': 47 } },
  { name: 'rsa_signature_2048_sha256_test.json', kind: 'rsa-pkcs1', tally: { 'valid->valid': 9, 'acceptable->invalid': 1, 'invalid->invalid': 249 } },
  { name: 'rsa_signature_3072_sha256_test.json', kind: 'rsa-pkcs1', tally: { 'valid->valid': 8, 'acceptable->invalid': 1, 'invalid->invalid': 250 } },
  { name: 'rsa_signature_4096_sha512_test.json', kind: 'rsa-pkcs1', tally: { 'valid->valid': 7, 'acceptable->invalid': 1, 'invalid->invalid': 251 } },
];

describe('Wycheproof signature vectors', () => {
  for (const { name, kind, fieldSize, tally } of FILES) {
    it(`${name} matches every valid and invalid result`, async () => {
      const result = await runFile(name, kind, fieldSize);
      expect(result.mismatches).toEqual([]);
      expect(result.tally).toEqual(tally);
    });
  }

  // All 150 vectors are `valid` signatures, but 132 use SHA-1 or SHA-224, or an MGF1 hash
  // different from the message hash, which WebCrypto cannot express: those must be
  // 'unsupported', never 'invalid'. The 18 with SHA-256/384/512 throughout must verify.
  it('rsa_pss_misc_test.json gives unsupported for hashes WebCrypto lacks', async () => {
    const result = await runFile('rsa_pss_misc_test.json', 'rsa-pss');
    expect(result.tally).toEqual({ 'valid->valid': 18, 'valid->unsupported': 132 });
  });
});
