/**
 * The result shape of every verifier: verification that runs to completion lists each failed
 * check with its code instead of throwing at the first one.
 */
import type { ErrorCode } from '../errors.js';

/** One failed check. */
export interface VerificationFailure {
  code: ErrorCode;
  message: string;
  /** Subject name (RFC 4514) of the certificate the check concerns, when there is one. */
  certificate?: string;
}

/** Outcome of a verification: `ok` exactly when `failures` is empty. */
export interface VerificationResult {
  ok: boolean;
  failures: VerificationFailure[];
  warnings: string[];
}

/** Builds a VerificationResult whose `ok` follows from the failures. */
export function verificationResult(failures: VerificationFailure[], warnings: string[] = []): VerificationResult {
  return { ok: failures.length === 0, failures, warnings };
}

/** Returns the distinct failure codes of a result, in first-seen order. */
export function failureCodes(result: VerificationResult): ErrorCode[] {
  return [...new Set(result.failures.map((failure) => failure.code))];
}
