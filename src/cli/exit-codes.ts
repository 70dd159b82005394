import type { ErrorCode } from '../errors.js';

/**
 * Exit statuses of `provkit`, one per class of failure, so that scripts can branch on the
 * class without parsing the message.
 */
export const EXIT = {
  /** The command did what it was asked. */
  ok: 0,
  /** A bug or an unexpected environment failure; the message names the internal error. */
  internal: 1,
  /** Bad command line: unknown command or flag, missing or out-of-range value. */
  usage: 2,
  /** An input file is malformed, of the wrong type or version, oversized, or uses something unsupported. */
  input: 3,
  /** A signature, certificate path or consistency check failed. */
  verification: 4,
  /** A Private Identity could not be decrypted: wrong passphrase or damaged file. */
  decrypt: 5,
  /** The issuer rejected a request: replayed request id, hardware id or component not allowed, or operator rejection. */
  rejected: 6,
  /** The requested action does not fit the current state, or a referenced record or file does not exist. */
  state: 7,
  /** The operation was cancelled, storage is full, or WebAssembly is unavailable. */
  environment: 8,
} as const;

/** Names of the exit statuses, as `provkit --help` lists them. */
export const EXIT_DESCRIPTIONS: ReadonlyArray<[number, string]> = [
  [EXIT.ok, 'success'],
  [EXIT.internal, 'internal error (a bug, or an unexpected system error such as a permission problem)'],
  [EXIT.usage, 'usage error: unknown command or flag, missing or invalid value (invalid-argument)'],
  [EXIT.input, 'unreadable input: malformed, wrong-type, bad-version, oversized, unsupported, weak-parameters'],
  [EXIT.verification, 'verification failed: signature-invalid, untrusted, expired, not-yet-valid, wrong-usage, unknown-critical-extension, name-not-permitted, mismatch'],
  [EXIT.decrypt, 'decryption failed: wrong passphrase or damaged Private Identity (decrypt-failed)'],
  [EXIT.rejected, 'rejected: replay, not-allowed, or a request the operator rejected'],
  [EXIT.state, 'state: invalid-state, not-found (including input files that do not exist)'],
  [EXIT.environment, 'environment: cancelled, storage-full, wasm-unavailable, out-of-memory'],
];

/** Maps an error code to the exit status of its class. */
export function exitCodeFor(code: ErrorCode): number {
  switch (code) {
    case 'invalid-argument':
      return EXIT.usage;
    case 'malformed':
    case 'unsupported':
    case 'wrong-type':
    case 'bad-version':
    case 'oversized':
    case 'weak-parameters':
      return EXIT.input;
    case 'signature-invalid':
    case 'untrusted':
    case 'expired':
    case 'not-yet-valid':
    case 'wrong-usage':
    case 'unknown-critical-extension':
    case 'name-not-permitted':
    case 'mismatch':
      return EXIT.verification;
    case 'decrypt-failed':
      return EXIT.decrypt;
    case 'replay':
    case 'not-allowed':
      return EXIT.rejected;
    case 'invalid-state':
    case 'not-found':
      return EXIT.state;
    case 'cancelled':
    case 'storage-full':
    case 'wasm-unavailable':
    case 'out-of-memory':
      return EXIT.environment;
  }
}
