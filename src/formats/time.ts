/**
 * Time ::= CHOICE { utcTime UTCTime, generalTime GeneralizedTime }   (RFC 5280 section 4.1.2.5)
 * Dates through 2049 are UTCTime, from 2050 GeneralizedTime; both in UTC ("Z"), with seconds
 * and without fractional seconds.
 */
import { ProvkitError, type ErrorLocation } from '../errors.js';
import { encodeTlv, type Tlv } from '../crypto/tlv.js';

/** Identifier octets of UTCTime and GeneralizedTime. */
export const TIME_TAG = { utcTime: 0x17, generalizedTime: 0x18 } as const;

const UTC_TIME = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/;
const GENERALIZED_TIME = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/;

/**
 * Decodes a UTCTime (YYMMDDHHMMSSZ, RFC 5280 4.1.2.5.1: YY >= 50 is 19YY) or GeneralizedTime
 * (YYYYMMDDHHMMSSZ, 4.1.2.5.2). Throws ProvkitError('malformed') for other forms, offsets,
 * fractions or impossible dates.
 */
export function decodeTime(tlv: Tlv, location: ErrorLocation = {}): Date {
  // Both DER forms have a fixed length. Checking it first keeps a hostile value of megabytes
  // from becoming a string, whose spread into fromCharCode would overflow the stack.
  const form = tlv.tag === TIME_TAG.utcTime ? { name: 'UTCTime', length: 13 } : { name: 'GeneralizedTime', length: 15 };
  if (tlv.value.length !== form.length && (tlv.tag === TIME_TAG.utcTime || tlv.tag === TIME_TAG.generalizedTime)) {
    throw new ProvkitError('malformed', `${form.name} has ${tlv.value.length} characters; the DER form has ${form.length}`, location);
  }

  const text = String.fromCharCode(...tlv.value.subarray(0, 15));
  let year: number;
  let match: RegExpExecArray | null;
  if (tlv.tag === TIME_TAG.utcTime) {
    match = UTC_TIME.exec(text);
    if (match === null) throw new ProvkitError('malformed', `UTCTime "${printable(text)}" is not in the form YYMMDDHHMMSSZ`, location);
    const yy = Number(match[1]);
    year = yy >= 50 ? 1900 + yy : 2000 + yy;
  } else if (tlv.tag === TIME_TAG.generalizedTime) {
    match = GENERALIZED_TIME.exec(text);
    if (match === null) throw new ProvkitError('malformed', `GeneralizedTime "${printable(text)}" is not in the form YYYYMMDDHHMMSSZ`, location);
    year = Number(match[1]);
  } else {
    throw new ProvkitError('malformed', `a time has tag 0x${tlv.tag.toString(16)}; expected UTCTime or GeneralizedTime`, location);
  }
  const [month, day, hour, minute, second] = match.slice(2).map(Number) as [number, number, number, number, number];
  const date = new Date(Date.UTC(2000, month - 1, day, hour, minute, second));
  // Date.UTC maps years 0 to 99 onto 1900 to 1999; setting the year afterwards does not.
  date.setUTCFullYear(year, month - 1, day);
  // Date.UTC rolls 31 February over into March; a round trip catches impossible fields.
  if (
    date.getUTCFullYear() !== year ||
    date.getUTCMonth() !== month - 1 ||
    date.getUTCDate() !== day ||
    date.getUTCHours() !== hour ||
    date.getUTCMinutes() !== minute ||
    date.getUTCSeconds() !== second
  ) {
    throw new ProvkitError('malformed', `time "${printable(text)}" is not a valid calendar date`, location);
  }
  return date;
}

function printable(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, '?').slice(0, 40);
}

function twoDigits(value: number): string {
  return value.toString().padStart(2, '0');
}

/**
 * Encodes a Date as UTCTime for 1950 through 2049 and as GeneralizedTime otherwise
 * (RFC 5280 4.1.2.5). Milliseconds are truncated. Throws ProvkitError('invalid-argument')
 * for an invalid Date or a year beyond 9999.
 */
export function encodeTime(date: Date): Uint8Array {
  const time = date.getTime();
  if (Number.isNaN(time)) throw new ProvkitError('invalid-argument', 'the date is invalid');
  const year = date.getUTCFullYear();
  if (year < 0 || year > 9999) throw new ProvkitError('invalid-argument', `year ${year} cannot be encoded; use 0000 to 9999`);
  const rest =
    twoDigits(date.getUTCMonth() + 1) +
    twoDigits(date.getUTCDate()) +
    twoDigits(date.getUTCHours()) +
    twoDigits(date.getUTCMinutes()) +
    twoDigits(date.getUTCSeconds()) +
    'Z';
  const useUtcTime = year >= 1950 && year <= 2049;
  const text = useUtcTime ? twoDigits(year % 100) + rest : year.toString().padStart(4, '0') + rest;
  return encodeTlv(useUtcTime ? TIME_TAG.utcTime : TIME_TAG.generalizedTime, new TextEncoder().encode(text));
}
