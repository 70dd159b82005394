import { ProvkitError, type ErrorLocation } from '../errors.js';

const HARDWARE_ID = /^[A-Za-z0-9._:-]{1,36}$/;

/**
 * Checks a hardware id: 1 to 36 characters from ASCII letters, digits, `.`, `_`, `:` and `-`,
 * so that a serial number, a MAC address or a UUID fits. Throws ProvkitError('invalid-argument').
 */
export function validateHardwareId(hardwareId: string, location: ErrorLocation = {}): void {
  if (!HARDWARE_ID.test(hardwareId)) {
    throw new ProvkitError(
      'invalid-argument',
      `hardware id ${JSON.stringify(hardwareId)} is invalid: use 1 to 36 characters from letters, digits, ".", "_", ":" and "-"`,
      location,
    );
  }
}

/**
 * Returns the subjectAltName URI that carries a device's hardware id in its CSRs and
 * certificates: `urn:provkit:hardware-id:` and the hardware id, whose characters are all
 * valid in a URN (RFC 8141).
 */
export function hardwareIdUri(hardwareId: string): string {
  return `urn:provkit:hardware-id:${hardwareId}`;
}

/** Compares two subjects attribute by attribute (type OID and value), in RDN order. */
export function subjectsEqual(expected: readonly { type: string; value: string }[], actual: readonly { type: string; value: string }[]): boolean {
  return expected.length === actual.length && expected.every((attribute, index) => attribute.type === actual[index]?.type && attribute.value === actual[index]?.value);
}
