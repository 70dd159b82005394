/**
 * Stable error codes shared by the core, the CLI and the app. A code names the class of
 * failure; the message names the file, the field and what to do about it.
 */
export type ErrorCode =
  /** The bytes are not the structure they claim to be (bad DER, bad JSON, truncated). */
  | 'malformed'
  /** The input is well formed but uses an algorithm, version or feature provkit does not implement. */
  | 'unsupported'
  /** A file of another provkit type, or not a provkit file at all. */
  | 'wrong-type'
  /** A format version this build does not read. */
  | 'bad-version'
  /** The input exceeds a documented size limit. */
  | 'oversized'
  /** A signature does not verify over the received bytes. */
  | 'signature-invalid'
  /** No path from the signer to a trust anchor in the TrustStore. */
  | 'untrusted'
  /** A certificate on the path has expired at the validation time. */
  | 'expired'
  /** A certificate on the path is not yet valid at the validation time. */
  | 'not-yet-valid'
  /** A certificate is used outside its basicConstraints, key usage or extended key usage. */
  | 'wrong-usage'
  /** A certificate carries a critical extension provkit does not process. */
  | 'unknown-critical-extension'
  /** Two values that must agree do not (request id, hardware id, public key, role). */
  | 'mismatch'
  /** Wrong passphrase, tampered or truncated encrypted file: deliberately not more specific. */
  | 'decrypt-failed'
  /** Key-derivation parameters below the documented floor. */
  | 'weak-parameters'
  /** A request id that the issuer has already seen. */
  | 'replay'
  /** A hardware id outside the system's allow-list, or a component the system does not have. */
  | 'not-allowed'
  /** An action that the current state does not permit (approving a rejected request). */
  | 'invalid-state'
  /** A referenced record or file does not exist. */
  | 'not-found'
  /** A value is syntactically valid but out of range (hardware id too long, bad validity). */
  | 'invalid-argument'
  /** The operation was cancelled through an AbortSignal. */
  | 'cancelled'
  /** WebAssembly is unavailable or the module was used before it was loaded. */
  | 'wasm-unavailable'
  /** Storage quota exhausted. */
  | 'storage-full'
  /** A name in a certificate lies outside the name constraints of a CA above it on the path. */
  | 'name-not-permitted'
  /** The WebAssembly crypto module could not allocate the memory an operation needs. */
  | 'out-of-memory';

/** Where an error was found: the file and the field within it, when known. */
export interface ErrorLocation {
  /** File name as the user knows it, for example `SN123.mcpr`. */
  file?: string;
  /** Field path inside the file, for example `manifest.csrs[1].role` or `tbsCertificate.validity`. */
  field?: string;
}

/**
 * The one error class that core code throws for bad input. Messages never contain key
 * material or passphrases.
 */
export class ProvkitError extends Error {
  override readonly name = 'ProvkitError';
  readonly code: ErrorCode;
  readonly file: string | undefined;
  readonly field: string | undefined;

  constructor(code: ErrorCode, message: string, location: ErrorLocation = {}, options?: { cause?: unknown }) {
    super(formatMessage(message, location), options);
    this.code = code;
    this.file = location.file;
    this.field = location.field;
  }
}

function formatMessage(message: string, { file, field }: ErrorLocation): string {
  const where = [file, field].filter((part) => part !== undefined && part !== '').join(': ');
  return where === '' ? message : `${where}: ${message}`;
}

/** Returns true when `error` is a ProvkitError with the given code. */
export function hasErrorCode(error: unknown, code: ErrorCode): boolean {
  return error instanceof ProvkitError && error.code === code;
}
