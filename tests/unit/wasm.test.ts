import { createHash, hkdfSync, randomBytes } from 'node:crypto';
import { argon2id as nobleArgon2id } from '@noble/hashes/argon2.js';
import { argon2id as hashWasmArgon2id } from 'hash-wasm';
import { describe, expect, it } from 'vitest';
import { ProvkitError, type ErrorCode } from '../../src/errors.js';
import {
  Sha2,
  argon2id,
  argon2idKdf,
  argon2idScalar,
  hkdfSha256,
  isCryptoWasmLoaded,
  loadCryptoWasm,
  sha2,
  sha2Iterate,
  sha256,
  sha384,
  sha512,
  type Argon2idOptions,
  type Sha2Algorithm,
} from '../../src/crypto/wasm.js';
import { loadCryptoWasmFromFile } from '../../src/node/wasm-loader.js';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const unhex = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'hex'));
const ascii = (text: string): Uint8Array => new TextEncoder().encode(text);

function expectCode(action: () => unknown, code: ErrorCode): void {
  let caught: unknown;
  try {
    action();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(ProvkitError);
  expect((caught as ProvkitError).code).toBe(code);
}

/** SplitMix32-style deterministic generator so a failing case can be replayed from its seed. */
function generator(seed: number): (bound: number) => number {
  let state = seed >>> 0;
  return (bound) => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    z = (z ^ (z >>> 16)) >>> 0;
    return z % bound;
  };
}

describe('crypto module loading', () => {
  it('throws wasm-unavailable before loading', () => {
    expect(isCryptoWasmLoaded()).toBe(false);
    expectCode(() => sha256(ascii('abc')), 'wasm-unavailable');
    expectCode(() => argon2id(ascii('p'), new Uint8Array(16), { memoryKiB: 8, passes: 1, lanes: 1 }), 'wasm-unavailable');
    expectCode(() => new Sha2('SHA-256'), 'wasm-unavailable');
  });

  it('rejects bytes that are not the module, then loads the real file', async () => {
    await expect(loadCryptoWasm(new Uint8Array([0, 0x61, 0x73, 0x6d, 9, 9]))).rejects.toMatchObject({ code: 'wasm-unavailable' });
    expect(isCryptoWasmLoaded()).toBe(false);
    await loadCryptoWasmFromFile();
    expect(isCryptoWasmLoaded()).toBe(true);
  });
});

describe('Argon2id', () => {
  // RFC 9106, section 5.3.
  const rfcOptions: Argon2idOptions = {
    memoryKiB: 32,
    passes: 3,
    lanes: 4,
    outputLength: 32,
    secret: new Uint8Array(8).fill(3),
    associatedData: new Uint8Array(12).fill(4),
  };
  const rfcPassword = new Uint8Array(32).fill(1);
  const rfcSalt = new Uint8Array(16).fill(2);
  const rfcTag = '0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659';

  it('matches the RFC 9106 section 5.3 vector (SIMD path)', async () => {
    await loadCryptoWasmFromFile();
    expect(hex(argon2id(rfcPassword, rfcSalt, rfcOptions))).toBe(rfcTag);
  });

  it('matches the RFC 9106 section 5.3 vector (scalar path)', () => {
    expect(hex(argon2idScalar(rfcPassword, rfcSalt, rfcOptions))).toBe(rfcTag);
  });

  it('SIMD and scalar paths agree on 1500 random parameter sets', () => {
    const next = generator(20260);
    for (let round = 0; round < 1500; round++) {
      const lanes = 1 + next(4);
      const options: Argon2idOptions = {
        lanes,
        memoryKiB: 8 * lanes + next(200),
        passes: 1 + next(3),
        outputLength: 4 + next(150),
        secret: randomBytes(next(3) * 8),
        associatedData: randomBytes(next(20)),
      };
      const password = randomBytes(next(64));
      const salt = randomBytes(8 + next(32));
      const simd = argon2id(password, salt, options);
      const scalar = argon2idScalar(password, salt, options);
      expect(hex(simd), `round ${round}: ${JSON.stringify({ ...options, secret: undefined, associatedData: undefined })}`).toBe(hex(scalar));
    }
  });

  it('SIMD and scalar paths agree at larger sizes and up to 8 lanes', () => {
    const next = generator(8128);
    for (let round = 0; round < 24; round++) {
      const options: Argon2idOptions = { lanes: 1 + next(8), memoryKiB: 1024 + next(7168), passes: 1 + next(3), outputLength: 16 + next(100) };
      const password = randomBytes(1 + next(32));
      const salt = randomBytes(16);
      expect(hex(argon2id(password, salt, options)), `round ${round}: ${JSON.stringify(options)}`).toBe(hex(argon2idScalar(password, salt, options)));
    }
  });

  it('agrees with hash-wasm and @noble/hashes on 40 random parameter sets', async () => {
    const next = generator(77);
    for (let round = 0; round < 40; round++) {
      const lanes = 1 + next(3);
      const memoryKiB = 8 * lanes + next(300);
      const passes = 1 + next(3);
      const outputLength = 4 + next(100);
      // hash-wasm rejects an empty password.
      const password = randomBytes(1 + next(40));
      const salt = randomBytes(8 + next(24));
      const secret = randomBytes(next(2) * 16);
      const ours = hex(argon2id(password, salt, { memoryKiB, passes, lanes, outputLength, secret }));
      const viaHashWasm = await hashWasmArgon2id({
        password,
        salt,
        secret,
        iterations: passes,
        parallelism: lanes,
        memorySize: memoryKiB,
        hashLength: outputLength,
        outputType: 'hex',
      });
      const viaNoble = hex(nobleArgon2id(password, salt, { t: passes, m: memoryKiB, p: lanes, dkLen: outputLength, key: secret }));
      expect(ours, `round ${round} vs hash-wasm`).toBe(viaHashWasm);
      expect(ours, `round ${round} vs noble`).toBe(viaNoble);
    }
  });

  it('agrees with hash-wasm at the default cost m=64 MiB, t=3, p=1', async () => {
    const password = ascii('correct horse battery staple');
    const salt = unhex('000102030405060708090a0b0c0d0e0f');
    const ours = argon2id(password, salt, { memoryKiB: 65536, passes: 3, lanes: 1 });
    const reference = await hashWasmArgon2id({ password, salt, iterations: 3, parallelism: 1, memorySize: 65536, hashLength: 32, outputType: 'hex' });
    expect(hex(ours)).toBe(reference);
  });

  it('reports each parameter outside RFC 9106 with its code and keeps working', () => {
    const salt = new Uint8Array(16);
    const base = { memoryKiB: 64, passes: 1, lanes: 1 };
    const cases: [Argon2idOptions, Uint8Array, ErrorCode][] = [
      [{ ...base, outputLength: 3 }, salt, 'invalid-argument'],
      [base, new Uint8Array(7), 'invalid-argument'],
      [{ ...base, lanes: 0 }, salt, 'invalid-argument'],
      [{ ...base, lanes: 2 ** 24, memoryKiB: 2 ** 32 - 1 }, salt, 'invalid-argument'],
      [{ ...base, passes: 0 }, salt, 'invalid-argument'],
      [{ ...base, memoryKiB: 7 }, salt, 'invalid-argument'],
      [{ ...base, memoryKiB: 2 ** 32 }, salt, 'invalid-argument'],
      [{ ...base, passes: 1.5 }, salt, 'invalid-argument'],
      // 4 TiB cannot exist in a 32-bit memory: an error code, not a trap.
      [{ ...base, memoryKiB: 2 ** 32 - 1 }, salt, 'out-of-memory'],
    ];
    for (const [options, caseSalt, code] of cases) {
      expectCode(() => argon2id(ascii('pw'), caseSalt, options), code);
    }
    expect(argon2id(ascii('pw'), salt, base)).toHaveLength(32);
  });

  it('argon2idKdf rejects an aborted signal with cancelled', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(argon2idKdf(ascii('pw'), new Uint8Array(16), { memoryKiB: 64, passes: 1, lanes: 1 }, controller.signal)).rejects.toMatchObject({
      code: 'cancelled',
    });
    const key = await argon2idKdf(ascii('pw'), new Uint8Array(16), { memoryKiB: 64, passes: 1, lanes: 1 });
    expect(key).toHaveLength(32);
  });
});

describe('SHA-2', () => {
  const abc = ascii('abc');
  const msg448 = ascii('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq');
  const msg896 = ascii('abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu');

  // FIPS 180-4 examples from NIST's "Examples with Intermediate Values" (SHA256.pdf,
  // SHA384.pdf, SHA512.pdf) and the one-million-'a' message of FIPS 180-2, appendices B.3 and C.3.
  it('matches the NIST example digests', async () => {
    await loadCryptoWasmFromFile();
    const millionA = new Uint8Array(1_000_000).fill(0x61);
    expect(hex(sha256(abc))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(hex(sha256(msg448))).toBe('248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1');
    expect(hex(sha256(millionA))).toBe('cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0');
    expect(hex(sha256(new Uint8Array()))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(hex(sha384(abc))).toBe('cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7');
    expect(hex(sha384(msg896))).toBe('09330c33f71147e83d192fc782cd1b4753111b173b3b05d22fa08086e3b0f712fcc7c71a557e2db966c3e9fa91746039');
    expect(hex(sha512(abc))).toBe(
      'ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f',
    );
    expect(hex(sha512(msg896))).toBe(
      '8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018501d289e4900f7e4331b99dec4b5433ac7d329eeb6dd26545e96e55b874be909',
    );
    expect(hex(sha512(millionA))).toBe(
      'e718483d0ce769644e2e42c7bc15b4638e1f98b13b2044285632a803afa973ebde0ff244877ea60a4cb0432ce577c31beb009c5c2c49aa2e4eadb217ad8cc09b',
    );
  });

  it('streaming equals one-shot and node:crypto on random chunkings', () => {
    const next = generator(4242);
    const algorithms: Sha2Algorithm[] = ['SHA-256', 'SHA-384', 'SHA-512'];
    for (let round = 0; round < 60; round++) {
      const algorithm = algorithms[round % 3]!;
      const data = randomBytes(next(20_000));
      const expected = hex(sha2(algorithm, data));
      expect(expected).toBe(createHash(algorithm.replace('-', '').toLowerCase()).update(data).digest('hex'));
      const stream = new Sha2(algorithm);
      let offset = 0;
      while (offset < data.length) {
        const length = next(3) === 0 ? next(4) : next(3000);
        stream.update(data.subarray(offset, offset + length));
        offset += length;
      }
      expect(hex(stream.digest()), `round ${round}`).toBe(expected);
    }
  });

  it('sha2Iterate equals repeated one-shot digests', () => {
    for (const algorithm of ['SHA-256', 'SHA-384', 'SHA-512'] as Sha2Algorithm[]) {
      let expected = sha2(algorithm, abc);
      for (let i = 1; i < 500; i++) expected = sha2(algorithm, expected);
      expect(hex(sha2Iterate(algorithm, abc, 500)), algorithm).toBe(hex(expected));
    }
    expectCode(() => sha2Iterate('SHA-256', abc, 0), 'invalid-argument');
  });

  it('rejects use after digest with invalid-state', () => {
    const stream = new Sha2('SHA-384');
    stream.update(abc);
    expect(hex(stream.digest())).toBe(hex(sha384(abc)));
    expectCode(() => stream.update(abc), 'invalid-state');
    expectCode(() => stream.digest(), 'invalid-state');
    stream.discard();
  });

  it('limits open streaming states and frees discarded ones', () => {
    const open: Sha2[] = [];
    let caught: unknown;
    try {
      for (let i = 0; i < 2000; i++) open.push(new Sha2('SHA-256'));
    } catch (error) {
      caught = error;
    }
    expect((caught as ProvkitError).code).toBe('invalid-state');
    expect(open).toHaveLength(1024);
    for (const stream of open) stream.discard();
    expect(hex(new Sha2('SHA-256').update(abc).digest())).toBe(hex(sha256(abc)));
  });
});

describe('HKDF-SHA-256', () => {
  // RFC 5869, appendix A.1 and A.3.
  it('matches RFC 5869 test cases 1 and 3', async () => {
    await loadCryptoWasmFromFile();
    const ikm = new Uint8Array(22).fill(0x0b);
    expect(hex(hkdfSha256(ikm, unhex('000102030405060708090a0b0c'), unhex('f0f1f2f3f4f5f6f7f8f9'), 42))).toBe(
      '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865',
    );
    expect(hex(hkdfSha256(ikm, new Uint8Array(), new Uint8Array(), 42))).toBe(
      '8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8',
    );
  });

  it('equals node:crypto hkdfSync on random inputs', () => {
    const next = generator(9);
    for (let round = 0; round < 50; round++) {
      const ikm = randomBytes(1 + next(100));
      const salt = randomBytes(next(80));
      const info = randomBytes(next(60));
      const length = 1 + next(600);
      expect(hex(hkdfSha256(ikm, salt, info, length))).toBe(Buffer.from(hkdfSync('sha256', ikm, salt, info, length)).toString('hex'));
    }
  });

  it('rejects lengths outside 1 to 8160', () => {
    expectCode(() => hkdfSha256(abcBytes(), abcBytes(), abcBytes(), 0), 'invalid-argument');
    expectCode(() => hkdfSha256(abcBytes(), abcBytes(), abcBytes(), 8161), 'invalid-argument');
    expect(hkdfSha256(abcBytes(), abcBytes(), abcBytes(), 8160)).toHaveLength(8160);
  });
});

function abcBytes(): Uint8Array {
  return ascii('abc');
}
