// ECDSA P-256 verification throughput: provkit's verifySignature (AlgorithmIdentifier and SPKI
// decoding, DER to P1363 conversion, cached key import) against calling crypto.subtle.verify
// directly with an already imported key and a P1363 signature.
import { exportSpki, generateKeyPair } from '../../src/crypto/algorithms.js';
import { ecdsaDerToP1363, sign, signatureAlgorithmIdentifier, verifySignature } from '../../src/crypto/signature.js';

const VERIFICATIONS = Number(process.env['BENCH_SIGNATURE_COUNT'] ?? 2000);
const ROUNDS = 5;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

async function perSecond(action: () => Promise<boolean>): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < VERIFICATIONS; i++) {
    if (!(await action())) throw new Error('a bench signature failed to verify');
  }
  return VERIFICATIONS / ((performance.now() - start) / 1000);
}

/** Runs the benchmark and returns its section of docs/benchmarks.md. */
export async function run(): Promise<{ title: string; markdown: string }> {
  const keys = await generateKeyPair('ecdsa-p256');
  const spki = await exportSpki(keys.publicKey);
  const data = new TextEncoder().encode('x'.repeat(1024));
  const der = await sign(keys.privateKey, 'ecdsa-p256', data);
  const p1363 = new Uint8Array(ecdsaDerToP1363(der, 32));
  const algorithm = signatureAlgorithmIdentifier('ecdsa-p256');
  const publicKey = await crypto.subtle.importKey('spki', new Uint8Array(spki), { name: 'ECDSA', namedCurve: 'P-256' }, false, ['verify']);

  const provkit: number[] = [];
  const direct: number[] = [];
  await perSecond(async () => (await verifySignature(spki, algorithm, data, der)) === 'valid');
  for (let round = 0; round < ROUNDS; round++) {
    provkit.push(await perSecond(async () => (await verifySignature(spki, algorithm, data, der)) === 'valid'));
    direct.push(await perSecond(() => crypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, publicKey, p1363, data)));
  }

  const provkitRate = median(provkit);
  const directRate = median(direct);
  const markdown = [
    `${VERIFICATIONS} verifications of one DER ECDSA P-256 / SHA-256 signature over 1 KiB per round, ${ROUNDS} rounds, one at a time.`,
    '',
    '| path | verifications/s (median) | relative to WebCrypto |',
    '|---|---:|---:|',
    `| \`crypto.subtle.verify\`, key imported once, P1363 signature | ${directRate.toFixed(0)} | 1.00 |`,
    `| \`verifySignature\` (SPKI + AlgorithmIdentifier + DER signature) | ${provkitRate.toFixed(0)} | ${(provkitRate / directRate).toFixed(2)} |`,
  ].join('\n');
  return { title: 'Signature verification (ECDSA P-256)', markdown };
}
