/**
 * The one owner of the crypto-wasm module (Argon2id, SHA-2, HKDF-SHA-256 from `crypto-wasm/`).
 * Loading is explicit and memoised: the runtime hands over the bytes or a URL (the Node adapter
 * in src/node/wasm-loader.ts reads the file, the worker fetches Vite's `?url`), and every
 * function here throws ProvkitError('wasm-unavailable') until that load has finished.
 */
import { ProvkitError, type ErrorCode } from '../errors.js';

/** Argon2id cost parameters (RFC 9106, section 3.1): m in KiB, t passes, p lanes. */
export interface Argon2idParameters {
  memoryKiB: number;
  passes: number;
  lanes: number;
}

/**
 * Derives a 32-byte key from a passphrase and salt. The identity container takes it as a
 * parameter, so Node calls the module directly and the page runs it in a worker.
 */
export type KeyDerivation = (
  passphrase: Uint8Array,
  salt: Uint8Array,
  params: Argon2idParameters,
  signal?: AbortSignal,
) => Promise<Uint8Array>;

/** Options of one Argon2id evaluation beyond the cost parameters. */
export interface Argon2idOptions extends Argon2idParameters {
  /** Tag length T in bytes, 4 to 2^32 - 1; default 32. */
  outputLength?: number;
  /** Optional secret K. */
  secret?: Uint8Array;
  /** Optional associated data X. */
  associatedData?: Uint8Array;
}

/** SHA-2 variants the module implements. */
export type Sha2Algorithm = 'SHA-256' | 'SHA-384' | 'SHA-512';

/** Source of the module: bytes, a compiled module, a URL to fetch, or a function producing bytes. */
export type CryptoWasmSource =
  | Uint8Array
  | ArrayBuffer
  | WebAssembly.Module
  | URL
  | (() => Promise<Uint8Array | ArrayBuffer | WebAssembly.Module>);

/** The C ABI of crypto-wasm/src/lib.rs; every length is a byte count, every pointer an offset into `memory`. */
interface CryptoWasmExports {
  memory: WebAssembly.Memory;
  provkit_abi_version(): number;
  provkit_alloc(length: number): number;
  provkit_free(pointer: number, length: number): void;
  provkit_argon2id(...args: number[]): number;
  provkit_argon2id_scalar(...args: number[]): number;
  provkit_sha2_digest(algorithm: number, data: number, dataLength: number, out: number, outLength: number): number;
  provkit_sha2_init(algorithm: number): number;
  provkit_sha2_update(handle: number, data: number, dataLength: number): number;
  provkit_sha2_finish(handle: number, out: number, outLength: number): number;
  provkit_sha2_discard(handle: number): number;
  provkit_sha2_iterate(algorithm: number, data: number, dataLength: number, iterations: number, out: number, outLength: number): number;
  provkit_hkdf_sha256(ikm: number, ikmLength: number, salt: number, saltLength: number, info: number, infoLength: number, out: number, outLength: number): number;
}

/** The ABI version this wrapper speaks (ABI_VERSION in crypto-wasm/src/lib.rs). */
const ABI_VERSION = 1;

const EXPORT_NAMES = [
  'provkit_abi_version',
  'provkit_alloc',
  'provkit_free',
  'provkit_argon2id',
  'provkit_argon2id_scalar',
  'provkit_sha2_digest',
  'provkit_sha2_init',
  'provkit_sha2_update',
  'provkit_sha2_finish',
  'provkit_sha2_discard',
  'provkit_sha2_iterate',
  'provkit_hkdf_sha256',
] as const;

let exportsOfModule: CryptoWasmExports | undefined;
let loading: Promise<void> | undefined;

/**
 * Loads the crypto module once; later calls return the same promise and ignore their source.
 * A failed load is forgotten so that a later call can retry.
 * Throws ProvkitError('wasm-unavailable') when WebAssembly (with SIMD) is missing or the bytes are not the module.
 */
export function loadCryptoWasm(source: CryptoWasmSource): Promise<void> {
  loading ??= instantiate(source).then(
    (instanceExports) => {
      exportsOfModule = instanceExports;
    },
    (error: unknown) => {
      loading = undefined;
      throw error;
    },
  );
  return loading;
}

/** Returns true once loadCryptoWasm has finished. */
export function isCryptoWasmLoaded(): boolean {
  return exportsOfModule !== undefined;
}

async function instantiate(source: CryptoWasmSource): Promise<CryptoWasmExports> {
  if (typeof WebAssembly !== 'object' || typeof WebAssembly.instantiate !== 'function') {
    throw new ProvkitError('wasm-unavailable', 'WebAssembly is not available in this runtime; Argon2id and SHA-2 need a browser or Node.js with WebAssembly SIMD');
  }
  const resolved = typeof source === 'function' ? await source() : source;

  let module: WebAssembly.Module;
  try {
    if (resolved instanceof WebAssembly.Module) {
      module = resolved;
    } else if (resolved instanceof URL) {
      const response = await fetch(resolved);
      if (!response.ok) {
        throw new ProvkitError('wasm-unavailable', `could not fetch the crypto module from ${resolved.href}: HTTP ${response.status}`);
      }
      module = await WebAssembly.compile(await response.arrayBuffer());
    } else {
      module = await WebAssembly.compile(resolved instanceof Uint8Array ? toOwnedBuffer(resolved) : resolved);
    }
  } catch (error) {
    if (error instanceof ProvkitError) throw error;
    throw new ProvkitError(
      'wasm-unavailable',
      'the crypto module did not compile; this runtime may lack WebAssembly SIMD (Chrome 91, Firefox 89, Safari 16.4 and Node.js 16.4 or later have it)',
      {},
      { cause: error },
    );
  }

  const instance = await WebAssembly.instantiate(module, {});
  const candidate = instance.exports as Record<string, unknown>;
  const missing = EXPORT_NAMES.filter((name) => typeof candidate[name] !== 'function');
  if (!(candidate['memory'] instanceof WebAssembly.Memory) || missing.length > 0) {
    throw new ProvkitError('wasm-unavailable', `the loaded WebAssembly module is not provkit's crypto module (missing ${missing.join(', ') || 'memory'})`);
  }

  const instanceExports = candidate as unknown as CryptoWasmExports;
  const abi = instanceExports.provkit_abi_version();
  if (abi !== ABI_VERSION) {
    throw new ProvkitError('wasm-unavailable', `the crypto module speaks ABI version ${abi}, this build expects ${ABI_VERSION}; rebuild it with scripts/build-wasm.sh`);
  }
  return instanceExports;
}

function toOwnedBuffer(bytes: Uint8Array): ArrayBuffer {
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return copy.buffer;
}

function requireModule(): CryptoWasmExports {
  if (exportsOfModule === undefined) {
    throw new ProvkitError(
      'wasm-unavailable',
      'the crypto module is not loaded yet; await loadCryptoWasm() first (in Node: loadCryptoWasmFromFile() from src/node/wasm-loader.ts)',
    );
  }
  return exportsOfModule;
}

/** Error codes of crypto-wasm/src/lib.rs (enum Error), with the provkit code and message each maps to. */
const WASM_ERRORS: Record<number, [ErrorCode, string]> = {
  [-1]: ['invalid-argument', 'a buffer lies outside the module memory'],
  [-2]: ['invalid-argument', 'the output length is out of range'],
  [-3]: ['invalid-argument', 'the Argon2id salt must be at least 8 bytes'],
  [-4]: ['invalid-argument', 'the Argon2id memory size must be at least 8 KiB per lane'],
  [-5]: ['invalid-argument', 'the Argon2id pass count must be at least 1'],
  [-6]: ['invalid-argument', 'the Argon2id lane count must be between 1 and 16777215'],
  [-7]: ['out-of-memory', 'the crypto module could not allocate enough memory; lower the Argon2id memory size or close other tabs'],
  [-8]: ['invalid-argument', 'unknown SHA-2 algorithm'],
  [-9]: ['invalid-state', 'the streaming hash was already finished or discarded'],
  [-10]: ['invalid-state', 'too many streaming hashes are open at once; finish or discard unused ones'],
  [-11]: ['oversized', 'an Argon2id input is longer than 2^32 - 1 bytes'],
};

function check(status: number, operation: string): void {
  if (status >= 0) return;
  const [code, message] = WASM_ERRORS[status] ?? (['invalid-state', `unexpected status ${status}`] as [ErrorCode, string]);
  throw new ProvkitError(code, `${operation}: ${message}`);
}

/** Bytes copied into module memory for one call; `release` wipes them before freeing. */
interface Region {
  pointer: number;
  length: number;
}

function allocate(wasm: CryptoWasmExports, length: number, operation: string): Region {
  const pointer = wasm.provkit_alloc(length);
  if (pointer === 0) check(-7, operation);
  return { pointer, length };
}

function copyIn(wasm: CryptoWasmExports, bytes: Uint8Array, operation: string): Region {
  const region = allocate(wasm, bytes.length, operation);
  new Uint8Array(wasm.memory.buffer, region.pointer, bytes.length).set(bytes);
  return region;
}

function copyOut(wasm: CryptoWasmExports, region: Region): Uint8Array {
  // A call may have grown memory, which replaces memory.buffer, so a fresh view is needed.
  return new Uint8Array(wasm.memory.buffer, region.pointer, region.length).slice();
}

function release(wasm: CryptoWasmExports, regions: Region[]): void {
  for (const region of regions) {
    new Uint8Array(wasm.memory.buffer, region.pointer, region.length).fill(0);
    wasm.provkit_free(region.pointer, region.length);
  }
}

function requireUint32(value: number, name: string, operation: string, minimum = 0): void {
  if (!Number.isInteger(value) || value < minimum || value > 0xffff_ffff) {
    throw new ProvkitError('invalid-argument', `${operation}: ${name} must be an integer from ${minimum} to 4294967295, got ${value}`);
  }
}

function runArgon2id(scalar: boolean, password: Uint8Array, salt: Uint8Array, options: Argon2idOptions): Uint8Array {
  const operation = 'Argon2id';
  const wasm = requireModule();
  const outputLength = options.outputLength ?? 32;
  requireUint32(options.memoryKiB, 'memoryKiB', operation);
  requireUint32(options.passes, 'passes', operation);
  requireUint32(options.lanes, 'lanes', operation);
  requireUint32(outputLength, 'outputLength', operation);

  const regions: Region[] = [];
  try {
    const inputs = [password, salt, options.secret ?? new Uint8Array(), options.associatedData ?? new Uint8Array()];
    for (const input of inputs) regions.push(copyIn(wasm, input, operation));
    const out = allocate(wasm, outputLength, operation);
    regions.push(out);
    const exported = scalar ? wasm.provkit_argon2id_scalar : wasm.provkit_argon2id;
    const status = exported(
      ...regions.slice(0, 4).flatMap((region) => [region.pointer, region.length]),
      options.memoryKiB,
      options.passes,
      options.lanes,
      out.pointer,
      out.length,
    );
    check(status, operation);
    return copyOut(wasm, out);
  } finally {
    release(wasm, regions);
  }
}

/**
 * Computes Argon2id (RFC 9106, version 0x13) with the SIMD compression function. Synchronous:
 * in the page call it through the crypto worker. Throws ProvkitError('wasm-unavailable') before
 * loading, 'invalid-argument' for parameters outside RFC 9106, 'out-of-memory' when m cannot be allocated.
 */
export function argon2id(password: Uint8Array, salt: Uint8Array, options: Argon2idOptions): Uint8Array {
  return runArgon2id(false, password, salt, options);
}

/** Computes Argon2id with the scalar compression function: the reference the tests compare the SIMD path with. Throws as argon2id. */
export function argon2idScalar(password: Uint8Array, salt: Uint8Array, options: Argon2idOptions): Uint8Array {
  return runArgon2id(true, password, salt, options);
}

const SHA2_IDS: Record<Sha2Algorithm, { id: number; length: number }> = {
  'SHA-256': { id: 256, length: 32 },
  'SHA-384': { id: 384, length: 48 },
  'SHA-512': { id: 512, length: 64 },
};

function sha2Info(algorithm: Sha2Algorithm): { id: number; length: number } {
  const info = SHA2_IDS[algorithm];
  if (info === undefined) throw new ProvkitError('invalid-argument', `unknown SHA-2 algorithm ${String(algorithm)}; use SHA-256, SHA-384 or SHA-512`);
  return info;
}

/** Computes a SHA-2 digest of `data` in one call. Throws ProvkitError('wasm-unavailable') before loading. */
export function sha2(algorithm: Sha2Algorithm, data: Uint8Array): Uint8Array {
  const wasm = requireModule();
  const { id, length } = sha2Info(algorithm);
  const regions: Region[] = [];
  try {
    const input = copyIn(wasm, data, algorithm);
    regions.push(input);
    const out = allocate(wasm, length, algorithm);
    regions.push(out);
    check(wasm.provkit_sha2_digest(id, input.pointer, input.length, out.pointer, out.length), algorithm);
    return copyOut(wasm, out);
  } finally {
    release(wasm, regions);
  }
}

/** Computes SHA-256 of `data`. Throws ProvkitError('wasm-unavailable') before loading. */
export function sha256(data: Uint8Array): Uint8Array {
  return sha2('SHA-256', data);
}

/** Computes SHA-384 of `data`. Throws ProvkitError('wasm-unavailable') before loading. */
export function sha384(data: Uint8Array): Uint8Array {
  return sha2('SHA-384', data);
}

/** Computes SHA-512 of `data`. Throws ProvkitError('wasm-unavailable') before loading. */
export function sha512(data: Uint8Array): Uint8Array {
  return sha2('SHA-512', data);
}

/**
 * Computes H^iterations(data): the SHA-2 hash applied `iterations` times (1 to 2^32 - 1), as the
 * PKCS#12 key derivation (RFC 7292, appendix B.2) needs. Throws ProvkitError('wasm-unavailable') before loading.
 */
export function sha2Iterate(algorithm: Sha2Algorithm, data: Uint8Array, iterations: number): Uint8Array {
  const wasm = requireModule();
  const { id, length } = sha2Info(algorithm);
  requireUint32(iterations, 'iterations', algorithm, 1);
  const regions: Region[] = [];
  try {
    const input = copyIn(wasm, data, algorithm);
    regions.push(input);
    const out = allocate(wasm, length, algorithm);
    regions.push(out);
    check(wasm.provkit_sha2_iterate(id, input.pointer, input.length, iterations, out.pointer, out.length), algorithm);
    return copyOut(wasm, out);
  } finally {
    release(wasm, regions);
  }
}

/**
 * A streaming SHA-2 hash for inputs too large to hold at once. Call digest() or discard() when
 * done: the state lives in module memory, which garbage collection does not reclaim.
 */
export class Sha2 {
  readonly algorithm: Sha2Algorithm;
  private handle: number | undefined;

  /** Starts a hash. Throws ProvkitError('wasm-unavailable') before loading, 'invalid-state' when too many are open. */
  constructor(algorithm: Sha2Algorithm) {
    const wasm = requireModule();
    this.algorithm = algorithm;
    const handle = wasm.provkit_sha2_init(sha2Info(algorithm).id);
    check(handle, algorithm);
    this.handle = handle;
  }

  private requireHandle(): number {
    if (this.handle === undefined) check(-9, this.algorithm);
    return this.handle!;
  }

  /** Absorbs `data`. Throws ProvkitError('invalid-state') after digest() or discard(). */
  update(data: Uint8Array): this {
    const handle = this.requireHandle();
    const wasm = requireModule();
    const regions: Region[] = [];
    try {
      const input = copyIn(wasm, data, this.algorithm);
      regions.push(input);
      check(wasm.provkit_sha2_update(handle, input.pointer, input.length), this.algorithm);
    } finally {
      release(wasm, regions);
    }
    return this;
  }

  /** Finishes the hash and returns the digest; the object cannot be used afterwards. */
  digest(): Uint8Array {
    const handle = this.requireHandle();
    const wasm = requireModule();
    const regions: Region[] = [];
    try {
      const out = allocate(wasm, sha2Info(this.algorithm).length, this.algorithm);
      regions.push(out);
      check(wasm.provkit_sha2_finish(handle, out.pointer, out.length), this.algorithm);
      this.handle = undefined;
      return copyOut(wasm, out);
    } finally {
      release(wasm, regions);
    }
  }

  /** Releases the state without a digest; calling it again does nothing. */
  discard(): void {
    if (this.handle === undefined) return;
    requireModule().provkit_sha2_discard(this.handle);
    this.handle = undefined;
  }
}

/**
 * Derives `length` bytes (1 to 8160) with HKDF-SHA-256 (RFC 5869); an empty salt means 32 zero
 * bytes. Throws ProvkitError('wasm-unavailable') before loading, 'invalid-argument' for a bad length.
 */
export function hkdfSha256(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  const operation = 'HKDF-SHA-256';
  const wasm = requireModule();
  requireUint32(length, 'length', operation, 1);
  const regions: Region[] = [];
  try {
    for (const input of [ikm, salt, info]) regions.push(copyIn(wasm, input, operation));
    const out = allocate(wasm, length, operation);
    regions.push(out);
    const [ikmRegion, saltRegion, infoRegion] = regions as [Region, Region, Region];
    check(
      wasm.provkit_hkdf_sha256(ikmRegion.pointer, ikmRegion.length, saltRegion.pointer, saltRegion.length, infoRegion.pointer, infoRegion.length, out.pointer, out.length),
      operation,
    );
    return copyOut(wasm, out);
  } finally {
    release(wasm, regions);
  }
}

/**
 * Derives a 32-byte Argon2id key on the calling thread: the default KeyDerivation. It waits for
 * a load in progress. The signal is checked before and after the call, because a running
 * WebAssembly call cannot be interrupted (CryptoWorkerClient.kdf can be).
 * Throws ProvkitError('cancelled') when aborted and the errors of argon2id.
 */
export const argon2idKdf: KeyDerivation = async (passphrase, salt, params, signal) => {
  throwIfCancelled(signal);
  if (exportsOfModule === undefined && loading !== undefined) await loading;
  const key = argon2id(passphrase, salt, { ...params, outputLength: 32 });
  if (signal?.aborted) {
    key.fill(0);
    throwIfCancelled(signal);
  }
  return key;
};

function throwIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new ProvkitError('cancelled', 'the key derivation was cancelled', {}, { cause: signal.reason });
}
