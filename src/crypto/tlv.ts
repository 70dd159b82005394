/**
 * A small strict DER reader and writer for the few structures the signature layer decodes
 * itself (SubjectPublicKeyInfo, AlgorithmIdentifier, ECDSA-Sig-Value, PrivateKeyInfo).
 * It applies the length rules of ITU-T X.690 section 10 (definite, minimal lengths) and
 * rejects trailing bytes.
 */
import { ProvkitError, type ErrorLocation } from '../errors.js';

/** One decoded TLV: identifier octet fields, content bytes and the whole element. */
export interface Tlv {
  /** Tag class: 0 universal, 1 application, 2 context-specific, 3 private. */
  tagClass: number;
  constructed: boolean;
  /** Tag number (high-tag-number form decoded). */
  tagNumber: number;
  /** The identifier octet as received, for single-byte tags (tag number below 31). */
  tag: number;
  /** Content octets. */
  value: Uint8Array;
  /** The complete encoding, identifier through content. */
  element: Uint8Array;
}

/** Universal tag numbers used by the readers. */
export const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

function malformed(message: string, location: ErrorLocation): ProvkitError {
  return new ProvkitError('malformed', message, location);
}

/**
 * Reads one TLV at `offset` with DER length rules (definite, minimal form).
 * Throws ProvkitError('malformed') on truncation, indefinite or non-minimal lengths.
 */
export function readTlv(bytes: Uint8Array, offset: number, location: ErrorLocation = {}): Tlv {
  const start = offset;
  if (offset >= bytes.length) throw malformed('the DER encoding is truncated (missing tag)', location);
  const tag = bytes[offset++]!;
  const tagClass = tag >> 6;
  const constructed = (tag & 0x20) !== 0;
  let tagNumber = tag & 0x1f;

  if (tagNumber === 0x1f) {
    // High-tag-number form (X.690 8.1.2.4): base-128, first octet not 0x80, value >= 31.
    tagNumber = 0;
    let first = true;
    for (;;) {
      if (offset >= bytes.length) throw malformed('the DER encoding is truncated (tag)', location);
      const octet = bytes[offset++]!;
      if (first && octet === 0x80) throw malformed('a tag number has a non-minimal encoding', location);
      first = false;
      tagNumber = tagNumber * 128 + (octet & 0x7f);
      if (tagNumber > 0xffffff) throw malformed('a tag number is too large', location);
      if ((octet & 0x80) === 0) break;
    }
    if (tagNumber < 31) throw malformed('a tag number below 31 uses the long form', location);
  }

  if (offset >= bytes.length) throw malformed('the DER encoding is truncated (missing length)', location);
  const first = bytes[offset++]!;
  let length: number;
  if (first < 0x80) {
    length = first;
  } else if (first === 0x80) {
    throw malformed('indefinite length is BER, not DER', location);
  } else {
    const count = first & 0x7f;
    if (count > 4) throw malformed('a length field is too large', location);
    if (offset + count > bytes.length) throw malformed('the DER encoding is truncated (length)', location);
    if (bytes[offset] === 0) throw malformed('a length has leading zero octets (not DER)', location);
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + bytes[offset++]!;
    if (length < 0x80) throw malformed('a short length uses the long form (not DER)', location);
  }

  if (offset + length > bytes.length) {
    throw malformed(`the DER encoding is truncated (${length} content bytes announced, ${bytes.length - offset} present)`, location);
  }
  return {
    tagClass,
    constructed,
    tagNumber,
    tag,
    value: bytes.subarray(offset, offset + length),
    element: bytes.subarray(start, offset + length),
  };
}

/** Reads exactly one TLV spanning all of `bytes`; trailing bytes are rejected. */
export function readSingleTlv(bytes: Uint8Array, location: ErrorLocation = {}): Tlv {
  const tlv = readTlv(bytes, 0, location);
  if (tlv.element.length !== bytes.length) {
    throw malformed(`${bytes.length - tlv.element.length} trailing bytes follow the DER element`, location);
  }
  return tlv;
}

/** Splits the content of a constructed element into its child TLVs. */
export function readChildren(value: Uint8Array, location: ErrorLocation = {}): Tlv[] {
  const children: Tlv[] = [];
  let offset = 0;
  while (offset < value.length) {
    const child = readTlv(value, offset, location);
    children.push(child);
    offset += child.element.length;
  }
  return children;
}

/** Reads a SEQUENCE spanning all of `bytes` and returns its children. */
export function readSequence(bytes: Uint8Array, location: ErrorLocation = {}): Tlv[] {
  const tlv = readSingleTlv(bytes, location);
  if (tlv.tag !== TAG.SEQUENCE) throw malformed('expected a SEQUENCE', location);
  return readChildren(tlv.value, location);
}

/** Checks the identifier octet of `tlv`, throwing ProvkitError('malformed') naming `what`. */
export function expectTag(tlv: Tlv | undefined, tag: number, what: string, location: ErrorLocation = {}): Tlv {
  if (tlv === undefined) throw malformed(`${what} is missing`, location);
  if (tlv.tag !== tag) throw malformed(`${what} has tag 0x${tlv.tag.toString(16)}, expected 0x${tag.toString(16)}`, location);
  return tlv;
}

/**
 * Maximum OBJECT IDENTIFIER content length, in octets, far above a 128-bit UUID arc (19
 * octets). Without a bound, one arc of a megabyte takes minutes to decode, because the BigInt
 * grows with every octet.
 */
export const MAX_OID_OCTETS = 256;

/** Decodes an OBJECT IDENTIFIER's content octets to dotted form (X.690 8.19); rejects padding and more than MAX_OID_OCTETS octets. */
export function decodeOid(value: Uint8Array, location: ErrorLocation = {}): string {
  if (value.length === 0) throw malformed('an OBJECT IDENTIFIER is empty', location);
  if (value.length > MAX_OID_OCTETS) throw malformed(`an OBJECT IDENTIFIER has ${value.length} octets; the limit is ${MAX_OID_OCTETS}`, location);
  // Parsing decodes thousands of OIDs per batch, so arcs are numbers while they stay exact
  // (below 2^52) and become BigInt only beyond that, as UUID arcs under 2.25 do.
  const arcs: (number | bigint)[] = [];
  let current = 0;
  let large: bigint | undefined;
  let startOfArc = true;
  for (let i = 0; i < value.length; i++) {
    const octet = value[i]!;
    if (startOfArc && octet === 0x80) throw malformed('an OBJECT IDENTIFIER arc has a non-minimal encoding', location);
    startOfArc = false;
    if (large === undefined && current < 2 ** 45) current = current * 128 + (octet & 0x7f);
    else large = ((large ?? BigInt(current)) << 7n) | BigInt(octet & 0x7f);
    if ((octet & 0x80) === 0) {
      arcs.push(large ?? current);
      current = 0;
      large = undefined;
      startOfArc = true;
    }
  }
  if (!startOfArc) throw malformed('an OBJECT IDENTIFIER is truncated', location);
  const first = arcs[0]!;
  let head: string;
  if (typeof first === 'bigint') head = `2.${first - 80n}`;
  else head = first < 40 ? `0.${first}` : first < 80 ? `1.${first - 40}` : `2.${first - 80}`;
  return arcs.length === 1 ? head : `${head}.${arcs.slice(1).join('.')}`;
}

/** Encodes a dotted OID to its content octets. */
export function encodeOidValue(oid: string): Uint8Array {
  const arcs = oid.split('.').map((arc) => BigInt(arc));
  if (arcs.length < 2) throw new ProvkitError('invalid-argument', `OID ${oid} has fewer than two arcs`);
  const out: number[] = [];
  const encodeArc = (arc: bigint): void => {
    const groups: number[] = [Number(arc & 0x7fn)];
    arc >>= 7n;
    while (arc > 0n) {
      groups.unshift(Number(arc & 0x7fn) | 0x80);
      arc >>= 7n;
    }
    out.push(...groups);
  };
  encodeArc(arcs[0]! * 40n + arcs[1]!);
  for (const arc of arcs.slice(2)) encodeArc(arc);
  return Uint8Array.from(out);
}

/** Encodes a DER length. */
function encodeLength(length: number): number[] {
  if (length < 0x80) return [length];
  const octets: number[] = [];
  while (length > 0) {
    octets.unshift(length & 0xff);
    length = Math.floor(length / 256);
  }
  return [0x80 | octets.length, ...octets];
}

/** Encodes one TLV with a single-byte identifier. */
export function encodeTlv(tag: number, ...contents: Uint8Array[]): Uint8Array {
  const total = contents.reduce((sum, part) => sum + part.length, 0);
  const header = [tag, ...encodeLength(total)];
  const out = new Uint8Array(header.length + total);
  out.set(header, 0);
  let offset = header.length;
  for (const part of contents) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** Encodes an OBJECT IDENTIFIER element. */
export function encodeOid(oid: string): Uint8Array {
  return encodeTlv(TAG.OID, encodeOidValue(oid));
}

/** Encodes a non-negative big-endian magnitude as a minimal DER INTEGER element. */
export function encodeUnsignedInteger(magnitude: Uint8Array): Uint8Array {
  let start = 0;
  while (start < magnitude.length - 1 && magnitude[start] === 0) start++;
  const trimmed = magnitude.length === 0 ? new Uint8Array([0]) : magnitude.subarray(start);
  const needsPad = (trimmed[0]! & 0x80) !== 0;
  return needsPad ? encodeTlv(TAG.INTEGER, new Uint8Array([0]), trimmed) : encodeTlv(TAG.INTEGER, trimmed);
}

/** Encodes a small non-negative number as a DER INTEGER element. */
export function encodeSmallInteger(value: number): Uint8Array {
  const octets: number[] = [];
  do {
    octets.unshift(value & 0xff);
    value = Math.floor(value / 256);
  } while (value > 0);
  return encodeUnsignedInteger(Uint8Array.from(octets));
}

/**
 * Returns the magnitude of a non-negative DER INTEGER. Throws ProvkitError('malformed') for
 * non-minimal (X.690 8.3.2) and negative encodings.
 */
export function readUnsignedInteger(tlv: Tlv, what: string, location: ErrorLocation = {}): Uint8Array {
  if (tlv.tag !== TAG.INTEGER) throw malformed(`${what} is not an INTEGER`, location);
  const value = tlv.value;
  if (value.length === 0) throw malformed(`${what} is an empty INTEGER`, location);
  if (value.length > 1 && value[0] === 0x00 && (value[1]! & 0x80) === 0) {
    throw malformed(`${what} has a non-minimal INTEGER encoding`, location);
  }
  if (value.length > 1 && value[0] === 0xff && (value[1]! & 0x80) !== 0) {
    throw malformed(`${what} has a non-minimal INTEGER encoding`, location);
  }
  if ((value[0]! & 0x80) !== 0) throw malformed(`${what} is negative`, location);
  return value[0] === 0x00 && value.length > 1 ? value.subarray(1) : value;
}

/** Reads a small non-negative INTEGER (at most 2^31 - 1). */
export function readSmallInteger(tlv: Tlv, what: string, location: ErrorLocation = {}): number {
  const magnitude = readUnsignedInteger(tlv, what, location);
  if (magnitude.length > 4 || (magnitude.length === 4 && magnitude[0]! >= 0x80)) {
    throw malformed(`${what} is too large`, location);
  }
  let value = 0;
  for (const octet of magnitude) value = value * 256 + octet;
  return value;
}

/** Returns the content of a BIT STRING with no unused bits (keys and signatures). */
export function readOctetAlignedBitString(tlv: Tlv, what: string, location: ErrorLocation = {}): Uint8Array {
  if (tlv.tag !== TAG.BIT_STRING) throw malformed(`${what} is not a BIT STRING`, location);
  if (tlv.value.length === 0) throw malformed(`${what} is an empty BIT STRING`, location);
  if (tlv.value[0] !== 0) throw malformed(`${what} has ${tlv.value[0]} unused bits; expected whole octets`, location);
  return tlv.value.subarray(1);
}

/** Compares two byte arrays for equality. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Concatenates byte arrays. */
export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
