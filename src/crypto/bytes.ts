/**
 * Hex and Base64 conversions without Buffer or atob, so the core runs unchanged in the page,
 * a worker and Node.
 */
import { ProvkitError, type ErrorLocation } from '../errors.js';

const HEX_DIGITS = '0123456789abcdef';

/** Encodes bytes as lowercase hex. */
export function toHex(bytes: Uint8Array): string {
  let out = '';
  for (const byte of bytes) out += HEX_DIGITS[byte >> 4]! + HEX_DIGITS[byte & 0x0f]!;
  return out;
}

/** Decodes hex (either case, no separators). Throws ProvkitError('malformed') on odd length or bad digits. */
export function fromHex(hex: string, location: ErrorLocation = {}): Uint8Array {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) {
    throw new ProvkitError('malformed', 'invalid hex string: expected an even number of hex digits', location);
  }
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

const BASE64_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const BASE64_LOOKUP = (() => {
  const table = new Int16Array(128).fill(-1);
  for (let i = 0; i < BASE64_ALPHABET.length; i++) table[BASE64_ALPHABET.charCodeAt(i)] = i;
  // RFC 4648 section 5 (base64url) digits decode to the same values.
  table['-'.charCodeAt(0)] = 62;
  table['_'.charCodeAt(0)] = 63;
  return table;
})();

/** Encodes bytes as padded standard Base64 (RFC 4648 section 4). */
export function toBase64(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += BASE64_ALPHABET[n >> 18]! + BASE64_ALPHABET[(n >> 12) & 63]! + BASE64_ALPHABET[(n >> 6) & 63]! + BASE64_ALPHABET[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out += BASE64_ALPHABET[n >> 18]! + BASE64_ALPHABET[(n >> 12) & 63]! + '==';
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += BASE64_ALPHABET[n >> 18]! + BASE64_ALPHABET[(n >> 12) & 63]! + BASE64_ALPHABET[(n >> 6) & 63]! + '=';
  }
  return out;
}

/** Encodes bytes as unpadded base64url (RFC 4648 section 5), as JWK members need. */
export function toBase64Url(bytes: Uint8Array): string {
  return toBase64(bytes).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');
}

/**
 * Decodes Base64 or base64url; ASCII whitespace is skipped and padding is optional.
 * Throws ProvkitError('malformed') on other characters or an impossible length.
 */
export function fromBase64(text: string, location: ErrorLocation = {}): Uint8Array {
  const digits: number[] = [];
  let padding = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0d) continue;
    if (code === 0x3d /* = */) {
      padding++;
      continue;
    }
    const value = code < 128 ? BASE64_LOOKUP[code]! : -1;
    if (value < 0 || padding > 0) {
      throw new ProvkitError('malformed', `invalid Base64 character at offset ${i}`, location);
    }
    digits.push(value);
  }
  if (digits.length % 4 === 1 || padding > 2) throw new ProvkitError('malformed', 'invalid Base64 length', location);
  const out = new Uint8Array(Math.floor((digits.length * 3) / 4));
  let o = 0;
  for (let i = 0; i < digits.length; i += 4) {
    const n = (digits[i]! << 18) | ((digits[i + 1] ?? 0) << 12) | ((digits[i + 2] ?? 0) << 6) | (digits[i + 3] ?? 0);
    if (o < out.length) out[o++] = n >> 16;
    if (o < out.length) out[o++] = (n >> 8) & 0xff;
    if (o < out.length) out[o++] = n & 0xff;
  }
  return out;
}

/** Copies bytes into a fresh ArrayBuffer-backed array, as WebCrypto's BufferSource typing wants. */
export function toArrayBufferView(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return bytes.buffer instanceof ArrayBuffer ? (bytes as Uint8Array<ArrayBuffer>) : new Uint8Array(bytes);
}
