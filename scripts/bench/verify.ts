// Batch verification of Provision Requests: provkit with a warm VerificationCache, provkit
// without a cache, and one `openssl cms -verify` process per file, as ms per file.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { toPem } from '../../src/formats/der.js';
import { createProvisionRequest } from '../../src/formats/request.js';
import { VerificationCache, verifyProvisionRequest, verifyProvisionRequests } from '../../src/formats/verify.js';
import { createTestCsrs, createTestPki, testIds } from '../../tests/helpers/pki.js';

const FILES = Number(process.env['BENCH_VERIFY_FILES'] ?? 200);
const OPENSSL_FILES = Math.min(FILES, Number(process.env['BENCH_VERIFY_OPENSSL_FILES'] ?? 40));
const ROUNDS = 5;
const CONCURRENCY = 4;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Runs the benchmark and returns its section of docs/benchmarks.md. */
export async function run(): Promise<{ title: string; markdown: string }> {
  const pki = await createTestPki();
  const files: Uint8Array[] = [];
  for (let i = 0; i < FILES; i++) {
    // Two CSRs per request, as a device with a TLS key and a signing key sends.
    const { entries } = await createTestCsrs([
      { role: 'tls-client', algorithm: 'ecdsa-p256' },
      { role: 'signing', algorithm: 'ecdsa-p256' },
    ]);
    const ids = testIds();
    files.push((await createProvisionRequest({ ...ids, componentHandle: 'bench', hardwareId: `SN-${i}`, csrs: entries, signer: pki.provisioning })).bytes);
  }

  const verifyAll = async (cache: VerificationCache | undefined): Promise<number> => {
    const start = performance.now();
    for (const bytes of files) {
      const result = await verifyProvisionRequest(bytes, { anchors: pki.anchors, ...(cache === undefined ? {} : { cache }) });
      if (!result.ok) throw new Error(`bench request failed verification: ${result.failures.map((failure) => failure.message).join('; ')}`);
    }
    return (performance.now() - start) / files.length;
  };

  const verifyBatch = async (cache: VerificationCache): Promise<number> => {
    const start = performance.now();
    const results = await verifyProvisionRequests(
      files.map((bytes) => ({ bytes })),
      { anchors: pki.anchors, cache },
      CONCURRENCY,
    );
    const elapsed = (performance.now() - start) / files.length;
    if (results.some((result) => !result.ok)) throw new Error('a bench request failed verification in the batch');
    return elapsed;
  };

  const warmCache = new VerificationCache();
  await verifyAll(warmCache);
  const warm: number[] = [];
  const batch: number[] = [];
  const uncached: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    warm.push(await verifyAll(warmCache));
    batch.push(await verifyBatch(warmCache));
    uncached.push(await verifyAll(undefined));
  }

  const work = mkdtempSync(path.join(tmpdir(), 'provkit-bench-verify-'));
  let opensslPerFile: number;
  try {
    writeFileSync(path.join(work, 'root.pem'), toPem('CERTIFICATE', pki.root.certificate.der));
    files.slice(0, OPENSSL_FILES).forEach((bytes, i) => writeFileSync(path.join(work, `${i}.mcpr`), bytes));
    const start = performance.now();
    for (let i = 0; i < OPENSSL_FILES; i++) {
      execFileSync('openssl', ['cms', '-verify', '-inform', 'DER', '-in', `${i}.mcpr`, '-binary', '-CAfile', 'root.pem', '-purpose', 'any', '-out', '/dev/null'], {
        cwd: work,
        stdio: 'ignore',
      });
    }
    opensslPerFile = (performance.now() - start) / OPENSSL_FILES;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }

  const batchMedian = median(batch);
  const warmMedian = median(warm);
  const uncachedMedian = median(uncached);
  const format = (ms: number): string => ms.toFixed(3);
  const markdown = [
    `${FILES} Provision Requests (ECDSA P-256 signer under a two-level CA chain, two P-256 CSRs each).`,
    `provkit checks the CMS signature, the path at the signing time and now, and each CSR's signature;`,
    `\`openssl cms -verify -purpose any\` checks the CMS signature and the path now, one process per file`,
    `(${OPENSSL_FILES} files). provkit figures are medians of ${ROUNDS} rounds.`,
    '',
    '| verifier | ms per file | openssl / this |',
    '|---|---:|---:|',
    `| provkit verifyProvisionRequests, ${CONCURRENCY} at a time, warm cache | ${format(batchMedian)} | ${(opensslPerFile / batchMedian).toFixed(1)} |`,
    `| provkit, one file at a time, warm cache | ${format(warmMedian)} | ${(opensslPerFile / warmMedian).toFixed(1)} |`,
    `| provkit, one file at a time, no cache | ${format(uncachedMedian)} | ${(opensslPerFile / uncachedMedian).toFixed(1)} |`,
    `| openssl cms -verify, process per file | ${format(opensslPerFile)} | 1.0 |`,
    '',
  ].join('\n');
  return { title: 'Provision Request verification', markdown };
}
