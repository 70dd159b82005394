import { describe, expect, it } from 'vitest';
import {
  KEY_ALGORITHMS,
  exportPkcs8,
  exportSpki,
  generateKeyPair,
  importPrivateKey,
  isKeyAlgorithmName,
  keyAlgorithmOfSpki,
  spkiFingerprint,
  type KeyAlgorithmName,
} from '../../src/crypto/algorithms.js';
import {
  ecdsaDerToP1363,
  ecdsaP1363ToDer,
  parseSignatureAlgorithm,
  sign,
  signatureAlgorithmIdentifier,
  verifySignature,
} from '../../src/crypto/signature.js';
import { TAG, encodeOid, encodeTlv } from '../../src/crypto/tlv.js';
import { ProvkitError } from '../../src/errors.js';

const hex = (text: string): Uint8Array => new Uint8Array(Buffer.from(text.replace(/\s+/g, ''), 'hex'));
const toHex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const message = new TextEncoder().encode('provkit signature test');

function codeOf(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    return error instanceof ProvkitError ? error.code : `non-provkit: ${String(error)}`;
  }
  return 'no error';
}

describe('algorithm registry', () => {
  it('lists nine algorithms', () => {
    expect(KEY_ALGORITHMS).toHaveLength(9);
    expect(isKeyAlgorithmName('ecdsa-p256')).toBe(true);
    expect(isKeyAlgorithmName('ecdsa-p521')).toBe(false);
  });
});

describe('sign and verifySignature', () => {
  for (const algorithm of KEY_ALGORITHMS) {
    it(`${algorithm} round trip`, async () => {
      const keys = await generateKeyPair(algorithm);
      const spki = await exportSpki(keys.publicKey);
      expect(keyAlgorithmOfSpki(spki)).toBe(algorithm);

      const signatureAlgorithm = signatureAlgorithmIdentifier(algorithm);
      const signature = await sign(keys.privateKey, algorithm, message);
      expect(await verifySignature(spki, signatureAlgorithm, message, signature)).toBe('valid');

      const tamperedMessage = message.slice();
      tamperedMessage[0]! ^= 1;
      expect(await verifySignature(spki, signatureAlgorithm, tamperedMessage, signature)).toBe('invalid');

      const tamperedSignature = signature.slice();
      tamperedSignature[tamperedSignature.length - 1]! ^= 1;
      expect(await verifySignature(spki, signatureAlgorithm, message, tamperedSignature)).toBe('invalid');

      // PKCS#8 export and import keep the algorithm (RSA-PSS keys carry id-RSASSA-PSS).
      const imported = await importPrivateKey(await exportPkcs8(keys.privateKey), { file: 'key.p8' });
      expect(imported.algorithm).toBe(algorithm);
      const again = await sign(imported.privateKey, algorithm, message);
      expect(await verifySignature(spki, signatureAlgorithm, message, again)).toBe('valid');
    });
  }

  it('spkiFingerprint is the SHA-256 of the DER', async () => {
    const keys = await generateKeyPair('ecdsa-p256');
    const spki = await exportSpki(keys.publicKey);
    const expected = Buffer.from(await crypto.subtle.digest('SHA-256', new Uint8Array(spki))).toString('hex');
    expect(await spkiFingerprint(spki)).toBe(expected);
    expect(expected).toMatch(/^[0-9a-f]{64}$/);
  });

  it('rsaEncryption PKCS#8 follows the hint', async () => {
    const keys = await crypto.subtle.generateKey(
      { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
      true,
      ['sign', 'verify'],
    );
    const pkcs8 = new Uint8Array(await crypto.subtle.exportKey('pkcs8', keys.privateKey));
    expect((await importPrivateKey(pkcs8)).algorithm).toBe('rsa-pkcs1-2048');
    expect((await importPrivateKey(pkcs8, {}, 'rsa-pss-2048')).algorithm).toBe('rsa-pss-2048');
  });

  it('importPrivateKey rejects garbage and other curves', async () => {
    await expect(importPrivateKey(hex('3003020100'), { file: 'k' })).rejects.toMatchObject({ code: 'malformed' });
    const p521 = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-521' }, true, ['sign']);
    const pkcs8 = new Uint8Array(await crypto.subtle.exportKey('pkcs8', p521.privateKey));
    await expect(importPrivateKey(pkcs8, { file: 'k' })).rejects.toMatchObject({ code: 'unsupported' });
  });
});

describe('verifySignature outcomes', () => {
  it('P-521 keys are unsupported', async () => {
    const keys = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-521' }, true, ['sign', 'verify']);
    const spki = new Uint8Array(await crypto.subtle.exportKey('spki', keys.publicKey));
    const p1363 = new Uint8Array(await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-512' }, keys.privateKey, message));
    const algorithm = encodeTlv(TAG.SEQUENCE, encodeOid('1.2.840.10045.4.3.4'));
    expect(keyAlgorithmOfSpki(spki)).toBeUndefined();
    expect(await verifySignature(spki, algorithm, message, ecdsaP1363ToDer(p1363))).toBe('unsupported');
  });

  it('RSA-1024 keys are unsupported', async () => {
    const keys = await crypto.subtle.generateKey(
      { name: 'RSASSA-PKCS1-v1_5', modulusLength: 1024, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
      true,
      ['sign', 'verify'],
    );
    const spki = new Uint8Array(await crypto.subtle.exportKey('spki', keys.publicKey));
    const signature = new Uint8Array(await crypto.subtle.sign('RSASSA-PKCS1-v1_5', keys.privateKey, message));
    expect(await verifySignature(spki, signatureAlgorithmIdentifier('rsa-pkcs1-2048'), message, signature)).toBe('unsupported');
  });

  it('SHA-1 with RSA is unsupported', async () => {
    const keys = await generateKeyPair('rsa-pkcs1-2048');
    const spki = await exportSpki(keys.publicKey);
    const sha1WithRsa = encodeTlv(TAG.SEQUENCE, encodeOid('1.2.840.113549.1.1.5'), new Uint8Array([5, 0]));
    expect(await verifySignature(spki, sha1WithRsa, message, new Uint8Array(256))).toBe('unsupported');
    expect(parseSignatureAlgorithm(sha1WithRsa).family).toBe('unsupported');
  });

  it('mismatched key and algorithm are invalid', async () => {
    const ec = await generateKeyPair('ecdsa-p256');
    const ecSpki = await exportSpki(ec.publicKey);
    const signature = await sign(ec.privateKey, 'ecdsa-p256', message);
    expect(await verifySignature(ecSpki, signatureAlgorithmIdentifier('ed25519'), message, signature)).toBe('invalid');
    expect(await verifySignature(ecSpki, signatureAlgorithmIdentifier('rsa-pss-2048'), message, signature)).toBe('invalid');

    // An id-RSASSA-PSS key must not verify PKCS#1 v1.5 signatures (RFC 4055 section 1.2).
    const pss = await generateKeyPair('rsa-pss-2048');
    const pssSpki = await exportSpki(pss.publicKey);
    expect(await verifySignature(pssSpki, signatureAlgorithmIdentifier('rsa-pkcs1-2048'), message, new Uint8Array(256))).toBe('invalid');
  });

  it('garbage inputs are invalid, never a throw', async () => {
    const keys = await generateKeyPair('ecdsa-p256');
    const spki = await exportSpki(keys.publicKey);
    const algorithm = signatureAlgorithmIdentifier('ecdsa-p256');
    expect(await verifySignature(new Uint8Array([0x30, 0x00]), algorithm, message, new Uint8Array(8))).toBe('invalid');
    expect(await verifySignature(spki, new Uint8Array([0x30]), message, new Uint8Array(8))).toBe('invalid');
    expect(await verifySignature(spki, algorithm, message, new Uint8Array(0))).toBe('invalid');
    // ECDSA parameters must be absent (RFC 5758 section 3.2).
    const withNull = encodeTlv(TAG.SEQUENCE, encodeOid('1.2.840.10045.4.3.2'), new Uint8Array([5, 0]));
    expect(await verifySignature(spki, withNull, message, await sign(keys.privateKey, 'ecdsa-p256', message))).toBe('invalid');
  });

  it('a point off the curve is invalid', async () => {
    const keys = await generateKeyPair('ecdsa-p256');
    const spki = await exportSpki(keys.publicKey);
    const broken = spki.slice();
    broken[broken.length - 1]! ^= 1;
    const signature = await sign(keys.privateKey, 'ecdsa-p256', message);
    expect(await verifySignature(broken, signatureAlgorithmIdentifier('ecdsa-p256'), message, signature)).toBe('invalid');
  });
});

describe('ECDSA DER and P1363 conversion', () => {
  const pad = (byte: string, count: number): string => byte.repeat(count);

  it('left-pads short r and s', () => {
    // r = 0x01, s = 0x7f: one byte each, padded to 32.
    const p1363 = ecdsaDerToP1363(hex('3006 020101 02017f'), 32);
    expect(toHex(p1363)).toBe(pad('00', 31) + '01' + pad('00', 31) + '7f');
  });

  it('strips the sign byte of high-bit values', () => {
    const r = 'ff' + pad('11', 31);
    const der = hex(`3046 022100${r} 022100${r}`);
    expect(toHex(ecdsaDerToP1363(der, 32))).toBe(r + r);
  });

  it('writes minimal INTEGERs', () => {
    // r has leading zero bytes (dropped), s has its high bit set (0x00 prefixed).
    const r = '0000' + pad('22', 30);
    const s = '80' + pad('33', 31);
    expect(toHex(ecdsaP1363ToDer(hex(r + s)))).toBe(`3043021e${pad('22', 30)}022100${s}`);
    // r = 0 encodes as a single zero byte.
    expect(toHex(ecdsaP1363ToDer(hex(pad('00', 32) + pad('00', 31) + '05')))).toBe('3006020100020105');
  });

  it('round-trips random P-384 signatures', async () => {
    const keys = await generateKeyPair('ecdsa-p384');
    for (let i = 0; i < 20; i++) {
      const p1363 = new Uint8Array(await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-384' }, keys.privateKey, message));
      expect(toHex(ecdsaDerToP1363(ecdsaP1363ToDer(p1363), 48))).toBe(toHex(p1363));
    }
  });

  const cases: { name: string; der: string; code: string }[] = [
    { name: 'non-minimal leading zero', der: '3007 02020001 020101', code: 'malformed' },
    { name: 'non-minimal 0xff prefix', der: '3007 0202ff81 020101', code: 'malformed' },
    { name: 'negative r', der: '3006 020181 020101', code: 'signature-invalid' },
    { name: 'r longer than the field', der: `3026 0221${pad('11', 33)} 020101`, code: 'signature-invalid' },
    { name: 'empty INTEGER', der: '3005 0200 020101', code: 'malformed' },
    { name: 'trailing bytes', der: '3006 020101 020101 00', code: 'malformed' },
    { name: 'indefinite length', der: '3080 020101 020101 0000', code: 'malformed' },
    { name: 'long-form short length', der: '308106 020101 020101', code: 'malformed' },
    { name: 'three INTEGERs', der: '3009 020101 020101 020101', code: 'malformed' },
    { name: 'SET instead of SEQUENCE', der: '3106 020101 020101', code: 'malformed' },
    { name: 'truncated', der: '3006 020101 0201', code: 'malformed' },
  ];
  for (const { name, der, code } of cases) {
    it(`rejects ${name}`, () => {
      expect(codeOf(() => ecdsaDerToP1363(hex(der), 32))).toBe(code);
    });
  }

  it('rejects P1363 of the wrong length', () => {
    expect(codeOf(() => ecdsaP1363ToDer(new Uint8Array(63), 32))).toBe('signature-invalid');
    expect(codeOf(() => ecdsaP1363ToDer(new Uint8Array(0)))).toBe('signature-invalid');
  });
});

describe('signatureAlgorithmIdentifier', () => {
  const expected: Record<KeyAlgorithmName, string> = {
    'ecdsa-p256': '300a06082a8648ce3d040302',
    'ecdsa-p384': '300a06082a8648ce3d040303',
    ed25519: '300506032b6570',
    // RFC 4055: id-RSASSA-PSS, SHA-256 with NULL, MGF1-SHA-256, saltLength 32.
    'rsa-pss-2048':
      '304106092a864886f70d01010a3034a00f300d06096086480165030402010500a11c301a06092a864886f70d010108300d06096086480165030402010500a203020120',
    'rsa-pss-3072':
      '304106092a864886f70d01010a3034a00f300d06096086480165030402010500a11c301a06092a864886f70d010108300d06096086480165030402010500a203020120',
    'rsa-pss-4096':
      '304106092a864886f70d01010a3034a00f300d06096086480165030402010500a11c301a06092a864886f70d010108300d06096086480165030402010500a203020120',
    'rsa-pkcs1-2048': '300d06092a864886f70d01010b0500',
    'rsa-pkcs1-3072': '300d06092a864886f70d01010b0500',
    'rsa-pkcs1-4096': '300d06092a864886f70d01010b0500',
  };
  for (const algorithm of KEY_ALGORITHMS) {
    it(`encodes ${algorithm}`, () => {
      expect(toHex(signatureAlgorithmIdentifier(algorithm))).toBe(expected[algorithm]);
    });
  }
});

describe('verifySignature robustness', () => {
  it('returns an outcome for mutated inputs', async () => {
    const outcomes = new Set<string>();
    for (const algorithm of ['ecdsa-p256', 'ed25519', 'rsa-pss-2048'] as const) {
      const keys = await generateKeyPair(algorithm);
      const inputs = [await exportSpki(keys.publicKey), signatureAlgorithmIdentifier(algorithm), message, await sign(keys.privateKey, algorithm, message)];
      for (let round = 0; round < 150; round++) {
        const mutated = inputs.map((input) => input.slice());
        const target = mutated[round % 4]!;
        // Flip, drop or append bytes at random positions.
        const position = Math.floor(Math.random() * Math.max(target.length, 1));
        const choice = round % 3;
        let changed = target;
        if (choice === 0 && target.length > 0) target[position]! ^= 1 << (round % 8);
        if (choice === 1) changed = target.slice(0, position);
        if (choice === 2) changed = Uint8Array.from([...target, round & 0xff]);
        mutated[round % 4] = changed;
        const outcome = await verifySignature(mutated[0]!, mutated[1]!, mutated[2]!, mutated[3]!);
        expect(['valid', 'invalid', 'unsupported']).toContain(outcome);
        outcomes.add(outcome);
      }
    }
    expect(outcomes.has('invalid')).toBe(true);
  });
});
