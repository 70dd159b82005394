/**
 * Strict DER (ITU-T X.690 section 10) on top of asn1js, which itself accepts BER: every
 * element is checked for definite minimal lengths, primitive/constructed form, canonical
 * BOOLEAN, INTEGER, BIT STRING and OBJECT IDENTIFIER encodings before asn1js decodes it.
 * Also PEM (RFC 7468) and the runtime-free hex and Base64 helpers.
 */
import * as asn1js from 'asn1js';
import { ProvkitError, type ErrorLocation } from '../errors.js';
import { fromBase64, toBase64 } from '../crypto/bytes.js';
import { decodeOid, readTlv, type Tlv } from '../crypto/tlv.js';

export { fromBase64, fromHex, toBase64, toBase64Url, toHex } from '../crypto/bytes.js';

/** Default size limit of one DER document: 1 MiB. */
export const DEFAULT_MAX_DER_BYTES = 1 << 20;

/** Maximum nesting depth of DER elements; real certificates stay below 15. */
export const MAX_DER_DEPTH = 64;

/** Options of parseDer and validateDer: where the bytes came from and their size limit. */
export type DerLocation = ErrorLocation & { maxBytes?: number };

// Universal types that X.690 section 10.2 and 8.x require in primitive form.
const PRIMITIVE_ONLY = new Set([1, 2, 3, 4, 5, 6, 9, 10, 13, 12, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30]);
// SEQUENCE and SET are always constructed.
const CONSTRUCTED_ONLY = new Set([16, 17]);

/**
 * Checks that `bytes` is exactly one DER element: no trailing bytes, no BER-only encodings,
 * at most `maxBytes` long. Throws ProvkitError('oversized') or ('malformed').
 */
export function validateDer(bytes: Uint8Array, location: DerLocation = {}): Tlv {
  const maxBytes = location.maxBytes ?? DEFAULT_MAX_DER_BYTES;
  const where: ErrorLocation = { file: location.file, field: location.field };
  if (bytes.length > maxBytes) {
    throw new ProvkitError('oversized', `${bytes.length} bytes exceed the limit of ${maxBytes} bytes for this structure`, where);
  }
  if (bytes.length === 0) throw new ProvkitError('malformed', 'the input is empty; expected DER data', where);
  const top = readTlv(bytes, 0, where);
  if (top.element.length !== bytes.length) {
    throw new ProvkitError('malformed', `${bytes.length - top.element.length} bytes of trailing data follow the DER structure`, where);
  }
  checkElement(top, 0, where);
  return top;
}

// A module-level function rather than a closure per element: checkElement runs for every
// element of every signed file, and a batch verifies thousands of them.
function notDer(what: string, location: ErrorLocation): never {
  throw new ProvkitError('malformed', `not DER: ${what}`, location);
}

function checkElement(tlv: Tlv, depth: number, location: ErrorLocation): void {
  if (depth > MAX_DER_DEPTH) throw new ProvkitError('malformed', `DER nesting is deeper than ${MAX_DER_DEPTH} levels`, location);

  if (tlv.tagClass === 0) {
    if (tlv.tagNumber === 0) notDer('end-of-contents octets outside an indefinite-length encoding', location);
    if (tlv.constructed && PRIMITIVE_ONLY.has(tlv.tagNumber)) notDer(`universal type ${tlv.tagNumber} uses the constructed form`, location);
    if (!tlv.constructed && CONSTRUCTED_ONLY.has(tlv.tagNumber)) notDer(`universal type ${tlv.tagNumber} uses the primitive form`, location);
    const value = tlv.value;
    switch (tlv.tagNumber) {
      case 1: // BOOLEAN: X.690 11.1, TRUE is 0xFF
        if (value.length !== 1 || (value[0] !== 0x00 && value[0] !== 0xff)) notDer('a BOOLEAN is not 0x00 or 0xFF', location);
        break;
      case 2: // INTEGER and ENUMERATED: X.690 8.3.2, minimal two's complement
      case 10:
        if (value.length === 0) notDer('an INTEGER is empty', location);
        if (value.length > 1 && ((value[0] === 0x00 && (value[1]! & 0x80) === 0) || (value[0] === 0xff && (value[1]! & 0x80) !== 0))) {
          notDer('an INTEGER has a non-minimal encoding', location);
        }
        break;
      case 3: // BIT STRING: X.690 8.6.2 and 11.2, unused bits 0..7 and zero
        if (value.length === 0) notDer('a BIT STRING has no unused-bits octet', location);
        if (value[0]! > 7 || (value.length === 1 && value[0] !== 0)) notDer('a BIT STRING has an invalid unused-bits count', location);
        if (value.length > 1 && (value[value.length - 1]! & ((1 << value[0]!) - 1)) !== 0) notDer('the unused bits of a BIT STRING are not zero', location);
        break;
      case 5: // NULL
        if (value.length !== 0) notDer('a NULL has content', location);
        break;
      case 6: // OBJECT IDENTIFIER: X.690 8.19, minimal arcs
        decodeOid(value, location);
        break;
    }
  }

  if (tlv.constructed) {
    let offset = 0;
    while (offset < tlv.value.length) {
      const child = readTlv(tlv.value, offset, location);
      checkElement(child, depth + 1, location);
      offset += child.element.length;
    }
  }
  // NOTE: the ordering of SET OF components (X.690 11.6) is not checked. Names in the wild
  // use single-valued RDNs, and the CMS writer sorts signed attributes itself.
}

/**
 * Parses one strict DER element with asn1js. Rejects trailing bytes, BER-only encodings and
 * input over `maxBytes` (default 1 MiB). Throws ProvkitError('malformed') or ('oversized').
 */
export function parseDer(bytes: Uint8Array, location: DerLocation): asn1js.AsnType {
  validateDer(bytes, location);
  const decoded = asn1js.fromBER(bytes, { maxDepth: MAX_DER_DEPTH + 1 });
  if (decoded.offset === -1 || decoded.result.error !== '' || decoded.offset !== bytes.length) {
    const detail = decoded.result.error === '' ? 'the structure could not be decoded' : decoded.result.error;
    throw new ProvkitError('malformed', `invalid DER: ${detail}`, { file: location.file, field: location.field });
  }
  return decoded.result;
}

/** Encodes DER as PEM (RFC 7468): the label, Base64 in 64-character lines, a trailing newline. */
export function toPem(label: string, der: Uint8Array): string {
  const body = toBase64(der).replace(/.{1,64}/g, '$&\n');
  return `-----BEGIN ${label}-----\n${body}-----END ${label}-----\n`;
}

/** One PEM block: its label and decoded bytes. */
export interface PemBlock {
  label: string;
  der: Uint8Array;
}

const PEM_BLOCK = /^-----BEGIN ([^\-\r\n]+)-----([\s\S]*?)-----END ([^\-\r\n]+)-----/gm;

/**
 * Decodes every PEM block in `text`, in order; text between blocks (explanations, OpenSSL
 * headers) is ignored. Throws ProvkitError('malformed') on mismatched labels or bad Base64.
 */
export function decodePem(text: string, location: ErrorLocation = {}): PemBlock[] {
  const blocks: PemBlock[] = [];
  for (const match of text.matchAll(PEM_BLOCK)) {
    const [, begin, body, end] = match;
    if (begin !== end) throw new ProvkitError('malformed', `PEM block "BEGIN ${begin}" ends with "END ${end}"`, location);
    if (/^[A-Za-z-]+:/m.test(body!)) {
      throw new ProvkitError('unsupported', `PEM block "${begin}" has RFC 1421 headers (an encrypted key?); provkit reads plain RFC 7468 PEM`, location);
    }
    blocks.push({ label: begin!, der: fromBase64(body!, location) });
  }
  return blocks;
}

/**
 * Returns the DER bodies in `bytes`: the bytes themselves when they start like DER (a
 * SEQUENCE), otherwise every PEM block whose label is one of `label`.
 * Throws ProvkitError('malformed') when neither form is found.
 */
export function pemOrDer(bytes: Uint8Array, label: string | readonly string[], location: ErrorLocation = {}): Uint8Array[] {
  if (bytes.length > 0 && bytes[0] === 0x30) return [bytes];
  const labels = typeof label === 'string' ? [label] : label;
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new ProvkitError('malformed', `the input is neither DER nor PEM text; expected ${labels.join(' or ')}`, location);
  }
  const blocks = decodePem(text, location).filter((block) => labels.includes(block.label));
  if (blocks.length === 0) {
    throw new ProvkitError('malformed', `no PEM block labelled ${labels.map((item) => `"${item}"`).join(' or ')} was found`, location);
  }
  return blocks.map((block) => block.der);
}
