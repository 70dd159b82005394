import { argon2idKdf, type Argon2idParameters, type KeyDerivation } from '../crypto/wasm.js';
import { ProvkitError } from '../errors.js';
import { loadCryptoWasmFromFile } from '../node/wasm-loader.js';
import { integerOption, type CommandArguments, type OptionSpec } from './command.js';

/** Returns the Argon2id key derivation after loading the crypto module from disk. */
export async function keyDerivation(): Promise<KeyDerivation> {
  await loadCryptoWasmFromFile();
  return argon2idKdf;
}

/** Flags that set the Argon2id cost of the Private Identity files a command writes. */
export const KDF_OPTIONS: Record<string, OptionSpec> = {
  'kdf-memory': { type: 'string', value: 'KIB', description: 'Argon2id memory for files this command encrypts, in KiB (default 65536 = 64 MiB; at least 19456).' },
  'kdf-passes': { type: 'string', value: 'N', description: 'Argon2id passes for files this command encrypts (default 3; at least 2).' },
};

/**
 * Reads the Argon2id cost flags; returns undefined when neither is given, so the container's
 * defaults apply. Values below the container's floor fail later with 'weak-parameters'.
 */
export function kdfParameters(args: CommandArguments): Argon2idParameters | undefined {
  const memoryKiB = integerOption(args, 'kdf-memory', { min: 8, max: 4_194_304 });
  const passes = integerOption(args, 'kdf-passes', { min: 1, max: 64 });
  if (memoryKiB === undefined && passes === undefined) return undefined;
  return { memoryKiB: memoryKiB ?? 65_536, passes: passes ?? 3, lanes: 1 };
}

/** Throws ProvkitError('invalid-argument') unless `value` is one of `allowed`. */
export function oneOf<T extends string>(value: string | undefined, allowed: readonly T[], flagName: string, fallback: T): T {
  if (value === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new ProvkitError('invalid-argument', `--${flagName} must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`);
  }
  return value as T;
}
