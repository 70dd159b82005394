/**
 * Distinguished names and GeneralNames (RFC 5280 sections 4.1.2.4 and 4.2.1.6): decoding with
 * string-type checks, RFC 4514 string form, DER encoding and the comparison used to chain
 * certificates.
 */
import { ProvkitError, type ErrorLocation } from '../errors.js';
import { toHex } from '../crypto/bytes.js';
import { TAG, decodeOid, encodeOid, encodeTlv, expectTag, readChildren, readSingleTlv, type Tlv } from '../crypto/tlv.js';

/** One attribute of a distinguished name, flattened from its RDN. */
export interface NameAttribute {
  /** Attribute type OID, for example 2.5.4.3. */
  type: string;
  /** Short name when the type is well known: CN, O, OU, C, serialNumber, ... */
  shortName?: string;
  /** The decoded string value, or `#` followed by the hex DER for non-string values (RFC 4514 2.4). */
  value: string;
}

/** A decoded Name: attributes in order, the RDN grouping, the RFC 4514 string and the exact DER. */
export interface DistinguishedName {
  attributes: NameAttribute[];
  /** Attributes grouped by RelativeDistinguishedName, in encoding order. */
  rdns: NameAttribute[][];
  /** RFC 4514 string: RDNs in reverse order, multi-valued RDNs joined with '+'. */
  text: string;
  der: Uint8Array;
}

/** Short names of common attribute types (RFC 4514 section 3 plus serialNumber, emailAddress and the like, as OpenSSL prints them). */
export const ATTRIBUTE_SHORT_NAMES: Readonly<Record<string, string>> = {
  '2.5.4.3': 'CN',
  '2.5.4.4': 'SN',
  '2.5.4.5': 'serialNumber',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.9': 'STREET',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.12': 'title',
  '2.5.4.42': 'GN',
  '2.5.4.46': 'dnQualifier',
  '2.5.4.65': 'pseudonym',
  '2.5.4.97': 'organizationIdentifier',
  '0.9.2342.19200300.100.1.1': 'UID',
  '0.9.2342.19200300.100.1.25': 'DC',
  '1.2.840.113549.1.9.1': 'emailAddress',
};

const OID_BY_SHORT_NAME: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(ATTRIBUTE_SHORT_NAMES).map(([oid, name]) => [name.toLowerCase(), oid]),
);

/** Returns the OID of a short name (case-insensitive) or the input when it is already dotted. */
export function attributeTypeOid(typeOrShortName: string): string | undefined {
  if (/^\d+(\.\d+)+$/.test(typeOrShortName)) return typeOrShortName;
  return OID_BY_SHORT_NAME[typeOrShortName.toLowerCase()];
}

const STRING_TAG = {
  utf8String: 0x0c,
  numericString: 0x12,
  printableString: 0x13,
  teletexString: 0x14,
  ia5String: 0x16,
  visibleString: 0x1a,
  universalString: 0x1c,
  bmpString: 0x1e,
} as const;

const PRINTABLE = /^[A-Za-z0-9 '()+,\-./:=?]*$/;

// Shared decoders: constructing a TextDecoder costs more than decoding a short name value,
// and decode() without `stream` keeps no state between calls.
const UTF8_DECODER = new TextDecoder('utf-8', { fatal: true });
const UTF16BE_DECODER = new TextDecoder('utf-16be', { fatal: true });

// One character per octet, in slices: a spread of a long value as call arguments overflows
// the stack near 120,000 octets, and a certificate read from outside may be that large.
function octetsToString(octets: Uint8Array): string {
  let text = '';
  for (let offset = 0; offset < octets.length; offset += 8192) text += String.fromCharCode(...octets.subarray(offset, offset + 8192));
  return text;
}

/**
 * Decodes a directory string value by its type (X.520). Throws ProvkitError('malformed') for
 * characters outside the type's alphabet or invalid UTF-8/UTF-16/UTF-32.
 * Returns undefined for values that are not character strings.
 */
export function decodeDirectoryString(tlv: Tlv, location: ErrorLocation = {}): string | undefined {
  const value = tlv.value;
  const invalid = (type: string): never => {
    throw new ProvkitError('malformed', `a ${type} value contains characters outside its alphabet`, location);
  };
  switch (tlv.tag) {
    case STRING_TAG.utf8String:
      try {
        return UTF8_DECODER.decode(value);
      } catch {
        return invalid('UTF8String');
      }
    case STRING_TAG.printableString: {
      const text = octetsToString(value);
      if (!PRINTABLE.test(text)) invalid('PrintableString');
      return text;
    }
    case STRING_TAG.numericString: {
      const text = octetsToString(value);
      if (!/^[0-9 ]*$/.test(text)) invalid('NumericString');
      return text;
    }
    case STRING_TAG.ia5String:
      if (value.some((byte) => byte > 0x7f)) invalid('IA5String');
      return octetsToString(value);
    case STRING_TAG.visibleString:
      if (value.some((byte) => byte < 0x20 || byte > 0x7e)) invalid('VisibleString');
      return octetsToString(value);
    case STRING_TAG.teletexString:
      // T.61 in practice carries Latin-1, which is how browsers and OpenSSL display it.
      return octetsToString(value);
    case STRING_TAG.bmpString: {
      if (value.length % 2 !== 0) invalid('BMPString');
      try {
        return UTF16BE_DECODER.decode(value);
      } catch {
        return invalid('BMPString');
      }
    }
    case STRING_TAG.universalString: {
      if (value.length % 4 !== 0) invalid('UniversalString');
      let text = '';
      for (let i = 0; i < value.length; i += 4) {
        const codePoint = ((value[i]! << 24) | (value[i + 1]! << 16) | (value[i + 2]! << 8) | value[i + 3]!) >>> 0;
        if (codePoint > 0x10ffff || (codePoint >= 0xd800 && codePoint <= 0xdfff)) invalid('UniversalString');
        text += String.fromCodePoint(codePoint);
      }
      return text;
    }
    default:
      return undefined;
  }
}

/**
 * Name ::= SEQUENCE OF RelativeDistinguishedName
 * RelativeDistinguishedName ::= SET SIZE (1..MAX) OF AttributeTypeAndValue
 * AttributeTypeAndValue ::= SEQUENCE { type OBJECT IDENTIFIER, value ANY }   (RFC 5280 4.1.2.4)
 * Throws ProvkitError('malformed').
 */
export function decodeName(tlv: Tlv, location: ErrorLocation = {}): DistinguishedName {
  if (tlv.tag !== TAG.SEQUENCE) throw new ProvkitError('malformed', 'a Name is not a SEQUENCE', location);
  const rdns: NameAttribute[][] = [];
  for (const rdn of readChildren(tlv.value, location)) {
    if (rdn.tag !== TAG.SET) throw new ProvkitError('malformed', 'a RelativeDistinguishedName is not a SET', location);
    const members = readChildren(rdn.value, location);
    if (members.length === 0) throw new ProvkitError('malformed', 'a RelativeDistinguishedName is empty', location);
    const attributes = members.map((member) => {
      if (member.tag !== TAG.SEQUENCE) throw new ProvkitError('malformed', 'an AttributeTypeAndValue is not a SEQUENCE', location);
      const parts = readChildren(member.value, location);
      if (parts.length !== 2) throw new ProvkitError('malformed', 'an AttributeTypeAndValue must have a type and a value', location);
      const type = decodeOid(expectTag(parts[0], TAG.OID, 'AttributeTypeAndValue.type', location).value, location);
      const text = decodeDirectoryString(parts[1]!, location);
      const attribute: NameAttribute = { type, value: text ?? `#${toHex(parts[1]!.element)}` };
      const shortName = ATTRIBUTE_SHORT_NAMES[type];
      if (shortName !== undefined) attribute.shortName = shortName;
      return attribute;
    });
    rdns.push(attributes);
  }
  return { attributes: rdns.flat(), rdns, text: formatRdns(rdns), der: tlv.element };
}

/** Escapes an attribute value for RFC 4514 section 2.4. */
export function escapeAttributeValue(value: string): string {
  if (value.startsWith('#') && /^#([0-9a-f]{2})+$/.test(value)) return value;
  let out = value.replace(/[\\",+;<>=]/g, '\\$&').replace(/\u0000/g, '\\00');
  if (out.startsWith(' ') || out.startsWith('#')) out = `\\${out}`;
  if (out.endsWith(' ') && !out.endsWith('\\ ')) out = `${out.slice(0, -1)}\\ `;
  return out;
}

function formatRdns(rdns: NameAttribute[][]): string {
  return rdns
    .slice()
    .reverse()
    .map((rdn) => rdn.map((attribute) => `${attribute.shortName ?? attribute.type}=${escapeAttributeValue(attribute.value)}`).join('+'))
    .join(',');
}

/** Formats attributes (one RDN each, in encoding order) as an RFC 4514 string. */
export function formatName(attributes: readonly NameAttribute[]): string {
  return formatRdns(attributes.map((attribute) => [attribute]));
}

/**
 * Encodes attributes as a Name with one attribute per RDN. C, serialNumber and dnQualifier are
 * PrintableString (RFC 5280 appendix A), emailAddress and DC are IA5String, everything else
 * UTF8String (RFC 5280 4.1.2.4). Throws ProvkitError('invalid-argument') for values the
 * required type cannot carry.
 */
export function encodeName(attributes: readonly NameAttribute[]): Uint8Array {
  const rdns = attributes.map((attribute) => {
    const oid = attributeTypeOid(attribute.type) ?? attributeTypeOid(attribute.shortName ?? '');
    if (oid === undefined) throw new ProvkitError('invalid-argument', `unknown name attribute type "${attribute.type}"; use an OID or a short name such as CN`);
    const bytes = new TextEncoder().encode(attribute.value);
    let value: Uint8Array;
    if (oid === '2.5.4.6' || oid === '2.5.4.5' || oid === '2.5.4.46') {
      if (!PRINTABLE.test(attribute.value)) {
        throw new ProvkitError('invalid-argument', `name attribute ${ATTRIBUTE_SHORT_NAMES[oid]} must use PrintableString characters; got "${attribute.value}"`);
      }
      if (oid === '2.5.4.6' && attribute.value.length !== 2) throw new ProvkitError('invalid-argument', `countryName must be a two-letter code; got "${attribute.value}"`);
      value = encodeTlv(STRING_TAG.printableString, bytes);
    } else if (oid === '1.2.840.113549.1.9.1' || oid === '0.9.2342.19200300.100.1.25') {
      if (bytes.some((byte) => byte > 0x7f)) throw new ProvkitError('invalid-argument', `name attribute ${ATTRIBUTE_SHORT_NAMES[oid]} must be ASCII; got "${attribute.value}"`);
      value = encodeTlv(STRING_TAG.ia5String, bytes);
    } else {
      value = encodeTlv(STRING_TAG.utf8String, bytes);
    }
    return encodeTlv(TAG.SET, encodeTlv(TAG.SEQUENCE, encodeOid(oid), value));
  });
  return encodeTlv(TAG.SEQUENCE, ...rdns);
}

// RFC 5280 section 7.1 specifies RFC 4518 string preparation. This comparison folds case and
// internal spaces, which covers the differences between encoders seen in practice.
// NOTE: no Unicode normalisation (NFKC) is applied, so names differing only in it do not match.
function normalizeValue(value: string): string {
  return value.trim().replace(/\s+/g, ' ').toLowerCase();
}

/** Compares two names as RFC 5280 7.1 does: same RDN structure, types equal, values equal after case and space folding. */
export function namesEqual(a: DistinguishedName, b: DistinguishedName): boolean {
  if (a.der.length === b.der.length && a.der.every((byte, index) => byte === b.der[index])) return true;
  if (a.rdns.length !== b.rdns.length) return false;
  return a.rdns.every((rdn, index) => rdnEqual(rdn, b.rdns[index]!));
}

function rdnEqual(a: NameAttribute[], b: NameAttribute[]): boolean {
  if (a.length !== b.length) return false;
  const key = (attribute: NameAttribute): string => `${attribute.type}=${normalizeValue(attribute.value)}`;
  const left = a.map(key).sort();
  const right = b.map(key).sort();
  return left.every((item, index) => item === right[index]);
}

/** True when `name`'s RDNs start with all of `base`'s RDNs (RFC 5280 4.2.1.10 directoryName subtrees). */
export function nameWithinSubtree(name: DistinguishedName, base: DistinguishedName): boolean {
  if (base.rdns.length > name.rdns.length) return false;
  return base.rdns.every((rdn, index) => rdnEqual(rdn, name.rdns[index]!));
}

/** A decoded GeneralName (RFC 5280 4.2.1.6). */
export type GeneralName =
  | { kind: 'otherName'; typeId: string; value: Uint8Array }
  | { kind: 'rfc822Name'; value: string }
  | { kind: 'dNSName'; value: string }
  | { kind: 'x400Address'; der: Uint8Array }
  | { kind: 'directoryName'; name: DistinguishedName }
  | { kind: 'ediPartyName'; der: Uint8Array }
  | { kind: 'uniformResourceIdentifier'; value: string }
  | { kind: 'iPAddress'; bytes: Uint8Array }
  | { kind: 'registeredID'; oid: string };

function ia5(tlv: Tlv, what: string, location: ErrorLocation): string {
  if (tlv.value.some((byte) => byte > 0x7f)) throw new ProvkitError('malformed', `${what} is not ASCII (IA5String)`, location);
  return octetsToString(tlv.value);
}

/**
 * GeneralName ::= CHOICE { otherName [0], rfc822Name [1] IA5String, dNSName [2] IA5String,
 *   x400Address [3], directoryName [4] Name, ediPartyName [5], uniformResourceIdentifier [6]
 *   IA5String, iPAddress [7] OCTET STRING, registeredID [8] OBJECT IDENTIFIER }
 * In name constraints (`subtree`) an iPAddress is an address and mask (8 or 32 octets),
 * elsewhere an address (4 or 16). Throws ProvkitError('malformed').
 */
export function decodeGeneralName(tlv: Tlv, location: ErrorLocation = {}, subtree = false): GeneralName {
  if (tlv.tagClass !== 2) throw new ProvkitError('malformed', 'a GeneralName is not context-tagged', location);
  switch (tlv.tagNumber) {
    case 0: {
      // OtherName ::= SEQUENCE { type-id OBJECT IDENTIFIER, value [0] EXPLICIT ANY }
      if (!tlv.constructed) throw new ProvkitError('malformed', 'otherName must be constructed', location);
      const parts = readChildren(tlv.value, location);
      const typeId = decodeOid(expectTag(parts[0], TAG.OID, 'otherName.type-id', location).value, location);
      if (parts.length !== 2 || parts[1]!.tag !== 0xa0) throw new ProvkitError('malformed', 'otherName.value must be [0] EXPLICIT', location);
      return { kind: 'otherName', typeId, value: parts[1]!.value };
    }
    case 1:
      if (tlv.constructed) break;
      return { kind: 'rfc822Name', value: ia5(tlv, 'rfc822Name', location) };
    case 2:
      if (tlv.constructed) break;
      return { kind: 'dNSName', value: ia5(tlv, 'dNSName', location) };
    case 3:
      return { kind: 'x400Address', der: tlv.element };
    case 4: {
      if (!tlv.constructed) break;
      return { kind: 'directoryName', name: decodeName(readSingleTlv(tlv.value, location), location) };
    }
    case 5:
      return { kind: 'ediPartyName', der: tlv.element };
    case 6:
      if (tlv.constructed) break;
      return { kind: 'uniformResourceIdentifier', value: ia5(tlv, 'uniformResourceIdentifier', location) };
    case 7: {
      if (tlv.constructed) break;
      const allowed = subtree ? [8, 32] : [4, 16];
      if (!allowed.includes(tlv.value.length)) {
        throw new ProvkitError('malformed', `iPAddress has ${tlv.value.length} octets; expected ${allowed.join(' or ')}`, location);
      }
      return { kind: 'iPAddress', bytes: tlv.value };
    }
    case 8:
      if (tlv.constructed) break;
      return { kind: 'registeredID', oid: decodeOid(tlv.value, location) };
  }
  throw new ProvkitError('malformed', `GeneralName [${tlv.tagNumber}] has an invalid encoding`, location);
}

/** GeneralNames ::= SEQUENCE SIZE (1..MAX) OF GeneralName. Throws ProvkitError('malformed'). */
export function decodeGeneralNames(der: Uint8Array, location: ErrorLocation = {}): GeneralName[] {
  const sequence = readSingleTlv(der, location);
  if (sequence.tag !== TAG.SEQUENCE) throw new ProvkitError('malformed', 'GeneralNames is not a SEQUENCE', location);
  const names = readChildren(sequence.value, location).map((child) => decodeGeneralName(child, location));
  if (names.length === 0) throw new ProvkitError('malformed', 'GeneralNames is empty; at least one name is required', location);
  return names;
}

/** Formats an IPv4 or IPv6 address (4 or 16 octets) in its usual text form. */
export function formatIpAddress(bytes: Uint8Array): string {
  if (bytes.length === 4) return Array.from(bytes).join('.');
  const groups: string[] = [];
  for (let i = 0; i + 1 < bytes.length; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  // RFC 5952 section 4.2: compress the longest run of two or more zero groups.
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < groups.length; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < groups.length && groups[j] === '0') j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  if (bestStart < 0) return groups.join(':');
  return `${groups.slice(0, bestStart).join(':')}::${groups.slice(bestStart + bestLength).join(':')}`;
}

/** The simplified subjectAltName entry of the Certificate and CertificationRequest interfaces. */
export interface AltName {
  type: 'dns' | 'email' | 'uri' | 'ip' | 'other';
  value: string;
}

/** Maps a GeneralName to an AltName; names without a text form become `other` with a labelled value. */
export function toAltName(name: GeneralName): AltName {
  switch (name.kind) {
    case 'dNSName':
      return { type: 'dns', value: name.value };
    case 'rfc822Name':
      return { type: 'email', value: name.value };
    case 'uniformResourceIdentifier':
      return { type: 'uri', value: name.value };
    case 'iPAddress':
      return { type: 'ip', value: formatIpAddress(name.bytes) };
    case 'directoryName':
      return { type: 'other', value: `dirName:${name.name.text}` };
    case 'registeredID':
      return { type: 'other', value: `registeredID:${name.oid}` };
    case 'otherName':
      return { type: 'other', value: `otherName:${name.typeId};#${toHex(name.value)}` };
    case 'x400Address':
    case 'ediPartyName':
      return { type: 'other', value: `${name.kind}:#${toHex(name.der)}` };
  }
}

/**
 * Encodes alternative names as DER GeneralNames. `other` values use the OpenSSL-like form
 * `otherName:<oid>;UTF8:<text>`. Throws ProvkitError('invalid-argument') for unparsable values.
 */
export function encodeGeneralNames(names: readonly { type: 'dns' | 'email' | 'uri' | 'ip' | 'other'; value: string }[]): Uint8Array {
  const ascii = (value: string, what: string): Uint8Array => {
    if (!/^[\x00-\x7f]*$/.test(value)) throw new ProvkitError('invalid-argument', `${what} "${value}" must be ASCII (IA5String)`);
    return new TextEncoder().encode(value);
  };
  const encoded = names.map((name) => {
    switch (name.type) {
      case 'email':
        return encodeTlv(0x81, ascii(name.value, 'rfc822Name'));
      case 'dns':
        return encodeTlv(0x82, ascii(name.value, 'dNSName'));
      case 'uri':
        return encodeTlv(0x86, ascii(name.value, 'uniformResourceIdentifier'));
      case 'ip':
        return encodeTlv(0x87, parseIpAddress(name.value));
      case 'other': {
        const match = /^otherName:(\d+(?:\.\d+)+);UTF8:(.*)$/s.exec(name.value);
        if (match === null) throw new ProvkitError('invalid-argument', `alternative name "${name.value}" must have the form otherName:<oid>;UTF8:<text>`);
        return encodeTlv(0xa0, encodeOid(match[1]!), encodeTlv(0xa0, encodeTlv(STRING_TAG.utf8String, new TextEncoder().encode(match[2]!))));
      }
    }
  });
  return encodeTlv(TAG.SEQUENCE, ...encoded);
}

/** Parses an IPv4 dotted quad or an IPv6 address. Throws ProvkitError('invalid-argument'). */
export function parseIpAddress(text: string): Uint8Array {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (v4 !== null) {
    const octets = v4.slice(1).map(Number);
    if (octets.every((octet) => octet <= 255)) return Uint8Array.from(octets);
  }
  if (text.includes(':')) {
    const halves = text.split('::');
    if (halves.length <= 2) {
      const head = halves[0] === '' ? [] : halves[0]!.split(':');
      const tail = halves.length === 2 && halves[1] !== '' ? halves[1]!.split(':') : [];
      const missing = 8 - head.length - tail.length;
      const groups = halves.length === 2 ? [...head, ...Array<string>(Math.max(missing, 0)).fill('0'), ...tail] : head;
      if (groups.length === 8 && (halves.length === 1 || missing >= 1) && groups.every((group) => /^[0-9a-fA-F]{1,4}$/.test(group))) {
        const out = new Uint8Array(16);
        groups.forEach((group, index) => {
          const value = parseInt(group, 16);
          out[2 * index] = value >> 8;
          out[2 * index + 1] = value & 0xff;
        });
        return out;
      }
    }
  }
  throw new ProvkitError('invalid-argument', `"${text}" is not an IPv4 or IPv6 address`);
}
