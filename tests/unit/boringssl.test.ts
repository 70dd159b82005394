/**
 * BoringSSL's certificate parsing edge cases (google/boringssl pki/testdata, from Chromium):
 * each file holds a CERTIFICATE or a TBS CERTIFICATE and, when parsing must fail, an ERRORS
 * block whose lines start with "ERROR:" (lines with only "WARNING:" still parse). provkit's
 * parseCertificate must reach the same verdict, except for the cases in EXPECTED_EXCEPTIONS.
 *
 * TBS CERTIFICATE files are wrapped into a Certificate with their own signature algorithm and
 * an empty signature. Their issuer, subject, SPKI and some extension lists are placeholders (a
 * SEQUENCE holding an OCTET STRING) because BoringSSL's TBS parser keeps those fields opaque.
 * provkit decodes every field, so the test replaces placeholders with a real Name, SPKI and
 * extension list before parsing.
 */
import { describe, expect, it } from 'vitest';
import { TAG, encodeTlv, readChildren, readSingleTlv } from '../../src/crypto/tlv.js';
import { ProvkitError } from '../../src/errors.js';
import { decodePem } from '../../src/formats/der.js';
import { encodeName } from '../../src/formats/name.js';
import { EXTENSION_OID, decodeExtensions, parseCertificate } from '../../src/formats/x509.js';
import { listCorpusFiles, readCorpusText } from '../helpers/corpus.js';

const FOLDER = 'boringssl-pki/parse_certificate_unittest';

/** Files where provkit deliberately reaches another verdict than BoringSSL, with the reason. */
const EXPECTED_EXCEPTIONS: Record<string, string> = {
  'cert_skeleton.pem': 'BoringSSL only splits the outer SEQUENCE here; provkit parses the whole TBSCertificate, which is a NULL placeholder',
  'failed_signature_algorithm.pem':
    'the outer signatureAlgorithm carries a parameter with tag number 469794384 and differs from tbsCertificate.signature; provkit rejects both at parse time',
  'subject_printable_string_containing_utf8_client_cert.pem':
    'the subject PrintableString holds "@", "#", "_" and UTF-8 bytes; provkit enforces the PrintableString alphabet, as BoringSSL itself does for subject_not_printable_string.pem',
  'tbs_v3_extensions_not_sequence.pem': 'BoringSSL keeps extensions opaque in its TBS parser; provkit decodes them and rejects an OCTET STRING in place of the SEQUENCE',
};

// Name "CN=placeholder" and a P-256 SPKI (the generator point) for the TBS placeholders.
const PLACEHOLDER_NAME = encodeName([{ type: 'CN', value: 'placeholder' }]);
const PLACEHOLDER_SPKI = new Uint8Array(
  Buffer.from(
    '3059301306072a8648ce3d020106082a8648ce3d030107034200046b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c2964fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5',
    'hex',
  ),
);

// [3] { Extensions { subjectKeyIdentifier 01 } } for a placeholder extensions field.
const PLACEHOLDER_EXTENSIONS = encodeTlv(
  0xa3,
  encodeTlv(TAG.SEQUENCE, encodeTlv(TAG.SEQUENCE, new Uint8Array([0x06, 0x03, 0x55, 0x1d, 0x0e]), encodeTlv(TAG.OCTET_STRING, new Uint8Array([0x04, 0x01, 0x01])))),
);

function isPlaceholder(element: Uint8Array): boolean {
  const tlv = readSingleTlv(element);
  if (tlv.tag !== TAG.SEQUENCE) return false;
  const children = readChildren(tlv.value);
  return children.length === 1 && children[0]!.tag === TAG.OCTET_STRING;
}

/** Wraps a TBSCertificate into a Certificate, replacing placeholder names and key. */
function wrapTbs(tbs: Uint8Array): Uint8Array {
  let fields;
  try {
    fields = readChildren(readSingleTlv(tbs).value);
  } catch {
    return encodeTlv(TAG.SEQUENCE, tbs, encodeTlv(TAG.SEQUENCE), new Uint8Array([TAG.BIT_STRING, 1, 0]));
  }
  const offset = fields[0]?.tag === 0xa0 ? 1 : 0;
  const replaced = fields.map((field, index) => {
    const position = index - offset;
    if (field.tag === 0xa3 && isPlaceholder(readSingleTlv(field.value).element)) return PLACEHOLDER_EXTENSIONS;
    const replaceable = (position === 2 || position === 4 || position === 5) && field.tag === TAG.SEQUENCE && isPlaceholder(field.element);
    if (!replaceable) return field.element;
    return position === 5 ? PLACEHOLDER_SPKI : PLACEHOLDER_NAME;
  });
  const algorithm = fields[offset + 1]?.element ?? encodeTlv(TAG.SEQUENCE);
  return encodeTlv(TAG.SEQUENCE, encodeTlv(TAG.SEQUENCE, ...replaced), algorithm, new Uint8Array([TAG.BIT_STRING, 1, 0]));
}

interface Outcome {
  accepted: boolean;
  detail: string;
  warnings: string[];
}

function parseFile(name: string): { outcome: Outcome; mustFail: boolean; expectedErrors: string } {
  const blocks = decodePem(readCorpusText(FOLDER, name));
  const errors = blocks.find((block) => block.label === 'ERRORS');
  const expectedErrors = errors === undefined ? '' : new TextDecoder().decode(errors.der);
  const certificate = blocks.find((block) => block.label === 'CERTIFICATE')?.der;
  const tbs = blocks.find((block) => block.label === 'TBS CERTIFICATE')?.der;
  const der = certificate ?? wrapTbs(tbs!);
  let outcome: Outcome;
  try {
    const parsed = parseCertificate(der, { file: name });
    outcome = { accepted: true, detail: 'parsed', warnings: parsed.warnings };
  } catch (error) {
    if (!(error instanceof ProvkitError)) throw error;
    outcome = { accepted: false, detail: `${error.code}: ${error.message}`, warnings: [] };
  }
  return { outcome, mustFail: /^ERROR:/m.test(expectedErrors), expectedErrors };
}

describe('BoringSSL parse_certificate_unittest', () => {
  const files = listCorpusFiles(FOLDER, '.pem');

  it('has the 90 annotated files', () => {
    expect(files).toHaveLength(90);
  });

  for (const name of files) {
    const exception = EXPECTED_EXCEPTIONS[name];
    it(`${name}${exception === undefined ? '' : ' (expected exception)'}`, () => {
      const { outcome, mustFail, expectedErrors } = parseFile(name);
      const agrees = outcome.accepted === !mustFail;
      expect({ agrees, detail: outcome.detail, expectedErrors }).toMatchObject({ agrees: exception === undefined });
    });
  }

  it('turns serial WARNINGs into warnings', () => {
    expect(parseFile('serial_negative.pem').outcome.warnings).toEqual(['the serial number is negative (RFC 5280 4.1.2.2 requires a positive integer)']);
    expect(parseFile('serial_zero.pem').outcome.warnings).toEqual(['the serial number is zero (RFC 5280 4.1.2.2 requires a positive integer)']);
    expect(parseFile('serial_37_bytes.pem').outcome.warnings).toEqual(['the serial number is 37 octets; RFC 5280 4.1.2.2 allows at most 20']);
    expect(parseFile('serial_zero_padded_21_bytes.pem').outcome.warnings).toEqual(['the serial number is 21 octets; RFC 5280 4.1.2.2 allows at most 20']);
    expect(parseFile('serial_zero_padded.pem').outcome.warnings).toEqual([]);
  });
});

describe('BoringSSL authority_key_identifier', () => {
  // These files carry no ERRORS block; the verdicts follow their names and X.509's rule that
  // authorityCertIssuer and authorityCertSerialNumber appear together.
  const expected: Record<string, boolean> = {
    'empty_sequence.pem': true,
    'extra_contents_after_extension_sequence.pem': false,
    'extra_contents_after_issuer_and_serial.pem': false,
    'invalid_contents.pem': false,
    'invalid_issuer.pem': false,
    'invalid_key_identifier.pem': false,
    'invalid_serial.pem': false,
    'issuer_and_serial.pem': true,
    'issuer_only.pem': false,
    'key_identifier.pem': true,
    'key_identifier_and_issuer_and_serial.pem': true,
    'serial_only.pem': false,
    'url_issuer_and_serial.pem': true,
  };

  it('covers every file', () => {
    expect(listCorpusFiles(`${FOLDER}/authority_key_identifier`, '.pem')).toEqual(Object.keys(expected).sort());
  });

  for (const [name, accepted] of Object.entries(expected)) {
    it(`${name} is ${accepted ? 'accepted' : 'rejected'}`, () => {
      const [block] = decodePem(readCorpusText(FOLDER, 'authority_key_identifier', name));
      let result: boolean;
      try {
        decodeExtensions([{ oid: EXTENSION_OID.authorityKeyIdentifier, critical: false, value: block!.der }], { file: name });
        result = true;
      } catch (error) {
        expect(error).toBeInstanceOf(ProvkitError);
        expect((error as ProvkitError).code).toBe('malformed');
        result = false;
      }
      expect(result).toBe(accepted);
    });
  }
});
