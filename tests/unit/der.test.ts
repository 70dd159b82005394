import { describe, expect, it } from 'vitest';
import { sha256 } from '../../src/crypto/sha256.js';
import { readSingleTlv } from '../../src/crypto/tlv.js';
import { ProvkitError } from '../../src/errors.js';
import { decodePem, fromBase64, fromHex, parseDer, pemOrDer, toBase64, toHex, toPem, validateDer } from '../../src/formats/der.js';
import { decodeTime, encodeTime } from '../../src/formats/time.js';

const hex = (text: string): Uint8Array => new Uint8Array(Buffer.from(text.replace(/\s+/g, ''), 'hex'));

function codeOf(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    return error instanceof ProvkitError ? error.code : `non-provkit: ${String(error)}`;
  }
  return 'accepted';
}

describe('validateDer', () => {
  const cases: { name: string; der: string; code: string }[] = [
    { name: 'a minimal SEQUENCE', der: '3003 020105', code: 'accepted' },
    { name: 'indefinite length', der: '3080 020105 0000', code: 'malformed' },
    { name: 'long form for a short length', der: '308103 020105', code: 'malformed' },
    { name: 'length with a leading zero octet', der: '30820003 020105', code: 'malformed' },
    { name: 'trailing bytes', der: '3003 020105 00', code: 'malformed' },
    { name: 'truncated content', der: '3005 020105', code: 'malformed' },
    { name: 'constructed OCTET STRING', der: '2403 040100', code: 'malformed' },
    { name: 'primitive SEQUENCE', der: '1000', code: 'malformed' },
    { name: 'BOOLEAN 0x01', der: '3003 010101', code: 'malformed' },
    { name: 'BOOLEAN 0xff', der: '3003 0101ff', code: 'accepted' },
    { name: 'non-minimal INTEGER', der: '3004 02020005', code: 'malformed' },
    { name: 'non-minimal negative INTEGER', der: '3004 0202ff80', code: 'malformed' },
    { name: 'empty INTEGER', der: '3002 0200', code: 'malformed' },
    { name: 'BIT STRING with non-zero padding', der: '3004 030201ff', code: 'malformed' },
    { name: 'BIT STRING with 8 unused bits', der: '3004 03020800', code: 'malformed' },
    { name: 'BIT STRING with zero padding', der: '3004 030201fe', code: 'accepted' },
    { name: 'NULL with content', der: '3003 050100', code: 'malformed' },
    { name: 'OID with a padded arc', der: '3005 0603 2a8001', code: 'malformed' },
    { name: 'high tag form for tag 5', der: '3003 1f0500', code: 'malformed' },
    { name: 'end-of-contents element', der: '3002 0000', code: 'malformed' },
    { name: 'empty input', der: '', code: 'malformed' },
  ];
  for (const { name, der, code } of cases) {
    it(`${code === 'accepted' ? 'accepts' : 'rejects'} ${name}`, () => {
      expect(codeOf(() => validateDer(hex(der), { file: 'test.der' }))).toBe(code);
    });
  }

  it('rejects input above the size limit', () => {
    const big = new Uint8Array(2000);
    big.set([0x04, 0x82, 0x07, 0xcc]);
    expect(codeOf(() => validateDer(big, { maxBytes: 1024 }))).toBe('oversized');
    expect(codeOf(() => validateDer(big, { maxBytes: 4096 }))).toBe('accepted');
  });

  it('names the file in messages', () => {
    try {
      validateDer(hex('3003 020105 00'), { file: 'device.csr', field: 'CertificationRequest' });
      expect.unreachable();
    } catch (error) {
      expect((error as ProvkitError).message).toBe('device.csr: CertificationRequest: 1 bytes of trailing data follow the DER structure');
    }
  });
});

describe('parseDer', () => {
  it('returns the asn1js structure', () => {
    const parsed = parseDer(hex('3006 020105 0101ff'), { file: 'x' });
    expect(parsed.constructor.name).toBe('Sequence');
    expect(parsed.toBER().byteLength).toBe(8);
  });

  it('rejects BER that asn1js alone accepts', () => {
    expect(codeOf(() => parseDer(hex('3080 020105 0000'), {}))).toBe('malformed');
  });
});

describe('PEM', () => {
  const der = new Uint8Array(100).map((_, index) => index);

  it('round-trips with 64-character lines', () => {
    const pem = toPem('CERTIFICATE', der);
    const lines = pem.trimEnd().split('\n');
    expect(lines[0]).toBe('-----BEGIN CERTIFICATE-----');
    expect(lines[1]).toHaveLength(64);
    expect(lines[lines.length - 1]).toBe('-----END CERTIFICATE-----');
    expect(decodePem(pem)).toEqual([{ label: 'CERTIFICATE', der }]);
  });

  it('pemOrDer returns DER unchanged and filters labels', () => {
    const sequence = hex('3003020105');
    expect(pemOrDer(sequence, 'CERTIFICATE')).toEqual([sequence]);
    const text = `explanation\n${toPem('CERTIFICATE', sequence)}${toPem('PRIVATE KEY', der)}${toPem('CERTIFICATE', sequence)}`;
    expect(pemOrDer(new TextEncoder().encode(text), 'CERTIFICATE')).toHaveLength(2);
    expect(codeOf(() => pemOrDer(new TextEncoder().encode('no pem here'), 'CERTIFICATE'))).toBe('malformed');
  });

  it('rejects mismatched labels and encrypted PEM', () => {
    expect(codeOf(() => decodePem('-----BEGIN A-----\nAAAA\n-----END B-----\n'))).toBe('malformed');
    expect(codeOf(() => decodePem('-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n\nAAAA\n-----END RSA PRIVATE KEY-----\n'))).toBe('unsupported');
  });
});

describe('hex and Base64', () => {
  it('match Buffer for every length up to 70', () => {
    for (let length = 0; length <= 70; length++) {
      const bytes = crypto.getRandomValues(new Uint8Array(length));
      expect(toHex(bytes)).toBe(Buffer.from(bytes).toString('hex'));
      expect(toBase64(bytes)).toBe(Buffer.from(bytes).toString('base64'));
      expect(fromBase64(toBase64(bytes))).toEqual(bytes);
      expect(fromHex(toHex(bytes).toUpperCase())).toEqual(bytes);
    }
  });

  it('decodes base64url and skips whitespace', () => {
    expect(fromBase64('-_8\n')).toEqual(new Uint8Array([0xfb, 0xff]));
  });

  it('rejects invalid input', () => {
    expect(codeOf(() => fromHex('abc'))).toBe('malformed');
    expect(codeOf(() => fromHex('zz'))).toBe('malformed');
    expect(codeOf(() => fromBase64('A'))).toBe('malformed');
    expect(codeOf(() => fromBase64('AA=A'))).toBe('malformed');
    expect(codeOf(() => fromBase64('AA*A'))).toBe('malformed');
  });
});

describe('sha256', () => {
  it('matches WebCrypto', async () => {
    for (const length of [0, 1, 55, 56, 63, 64, 65, 1000]) {
      const data = crypto.getRandomValues(new Uint8Array(length));
      const expected = new Uint8Array(await crypto.subtle.digest('SHA-256', data));
      expect(toHex(sha256(data))).toBe(toHex(expected));
    }
  });
});

describe('time encoding', () => {
  const text = (bytes: Uint8Array): string => `${bytes[0]!.toString(16)}:${Buffer.from(bytes.subarray(2)).toString('latin1')}`;

  it('uses UTCTime through 2049 and GeneralizedTime from 2050', () => {
    expect(text(encodeTime(new Date('2049-12-31T23:59:59Z')))).toBe('17:491231235959Z');
    expect(text(encodeTime(new Date('2050-01-01T00:00:00Z')))).toBe('18:20500101000000Z');
    expect(text(encodeTime(new Date('1950-01-01T00:00:00Z')))).toBe('17:500101000000Z');
    expect(text(encodeTime(new Date('1949-12-31T23:59:59Z')))).toBe('18:19491231235959Z');
  });

  it('truncates milliseconds', () => {
    expect(text(encodeTime(new Date('2030-06-15T12:34:56.789Z')))).toBe('17:300615123456Z');
  });

  it('decodes both forms and the 1950 pivot', () => {
    const decode = (der: string): string => decodeTime(readSingleTlv(hex(der))).toISOString();
    expect(decode(`170d${Buffer.from('491231235959Z').toString('hex')}`)).toBe('2049-12-31T23:59:59.000Z');
    expect(decode(`170d${Buffer.from('500101000000Z').toString('hex')}`)).toBe('1950-01-01T00:00:00.000Z');
    expect(decode(`180f${Buffer.from('20500101000000Z').toString('hex')}`)).toBe('2050-01-01T00:00:00.000Z');
  });

  const invalid = [
    ['UTCTime without seconds', '17', '4912312359Z'],
    ['UTCTime with an offset', '17', '491231235959+0100'],
    ['GeneralizedTime with fractions', '18', '20500101000000.5Z'],
    ['GeneralizedTime without Z', '18', '20500101000000'],
    ['31 February', '17', '300231000000Z'],
    ['hour 24', '17', '300101240000Z'],
    ['OCTET STRING', '04', '300101000000Z'],
  ] as const;
  for (const [name, tag, value] of invalid) {
    it(`rejects ${name}`, () => {
      const bytes = Buffer.from(value, 'latin1');
      const der = hex(`${tag}${bytes.length.toString(16).padStart(2, '0')}${bytes.toString('hex')}`);
      expect(codeOf(() => decodeTime(readSingleTlv(der)))).toBe('malformed');
    });
  }

  it('round-trips random dates', () => {
    for (let i = 0; i < 50; i++) {
      const date = new Date(Math.floor(Math.random() * 200 * 365 * 86400) * 1000 + Date.UTC(1950, 0, 1));
      expect(decodeTime(readSingleTlv(encodeTime(date))).getTime()).toBe(date.getTime());
    }
  });
});
