// Device-side request generation and issuer-side batch verification, against the OpenSSL CLI.
// Generation: two P-256 keys and CSRs and a signed .mcpr per device, by provkit and by
// scripts/bench/provisioning-openssl.sh. Verification: the lab issuer's RequestVerifier with
// warm caches (CMS signature, path, CSR self-signatures, roles, allow-list), LabIssuer.submitBatch
// (the same checks plus recording the state), and one `openssl cms -verify` process per file.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { exportPkcs8 } from '../../src/crypto/algorithms.js';
import { argon2idKdf } from '../../src/crypto/wasm.js';
import { toPem } from '../../src/formats/der.js';
import { ARGON2ID_FLOOR } from '../../src/formats/identity.js';
import { LabIssuer } from '../../src/issuer/issuer.js';
import { MemoryIssuerStore } from '../../src/issuer/store.js';
import { loadCryptoWasmFromFile } from '../../src/node/wasm-loader.js';
import { generateProvisionRequestBatch, initialiseDevice } from '../../src/provisioning/device.js';

const DEVICES = Number(process.env['BENCH_PROVISIONING_DEVICES'] ?? 200);
const OPENSSL_DEVICES = Math.min(DEVICES, Number(process.env['BENCH_PROVISIONING_OPENSSL_DEVICES'] ?? 20));
const ROUNDS = 5;
const SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'provisioning-openssl.sh');

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function format(ms: number): string {
  return ms >= 10 ? ms.toFixed(1) : ms.toFixed(3);
}

/** Runs the benchmark and returns its section of docs/benchmarks.md. */
export async function run(): Promise<{ title: string; markdown: string }> {
  await loadCryptoWasmFromFile();
  // The package passphrase protects files only the setup reads; the floor cost keeps setup short
  // and does not enter any measured figure.
  const store = new MemoryIssuerStore();
  const issuer = new LabIssuer({ store, kdf: argon2idKdf, kdfParameters: { ...ARGON2ID_FLOOR } });
  const system = await issuer.createSystem({ name: 'Bench', approvalMode: 'manual', components: [{ handle: 'pump' }] }, 'bench lab passphrase');
  const ca = await issuer.unlock(system.id, 'bench lab passphrase');
  const pkg = await issuer.exportPackage(system.id, 'pump', { ca, packagePassphrase: 'bench package passphrase' });
  const device = await initialiseDevice(pkg, { kdf: argon2idKdf, passphrase: 'bench package passphrase', hardwareId: 'SN-0' });

  const hardwareIds = Array.from({ length: DEVICES }, (_, i) => `SN-${i}`);
  const generation: number[] = [];
  let requests: Uint8Array[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const start = performance.now();
    const batch = await generateProvisionRequestBatch(device, hardwareIds, { kdf: argon2idKdf });
    generation.push((performance.now() - start) / DEVICES);
    requests = batch.map((entry) => entry.request);
  }

  const work = mkdtempSync(path.join(tmpdir(), 'provkit-bench-provisioning-'));
  let opensslGeneration: number;
  let opensslVerify: number;
  try {
    writeFileSync(path.join(work, 'signer.pem'), toPem('CERTIFICATE', device.signer.certificate.der));
    writeFileSync(path.join(work, 'signer.key'), toPem('PRIVATE KEY', await exportPkcs8(device.signer.privateKey)), { mode: 0o600 });
    writeFileSync(path.join(work, 'chain.pem'), device.signer.chain.map((certificate) => toPem('CERTIFICATE', certificate.der)).join(''));
    writeFileSync(path.join(work, 'root.pem'), toPem('CERTIFICATE', ca.root.certificate.der));
    let start = performance.now();
    execFileSync('bash', [SCRIPT, work, String(OPENSSL_DEVICES)], { stdio: 'ignore' });
    opensslGeneration = (performance.now() - start) / OPENSSL_DEVICES;
    // The OpenSSL-made requests are valid CMS: check one with provkit's reader before trusting the timing.
    issuer.verifier.read(new Uint8Array(readFileSync(path.join(work, 'SN-0.mcpr'))), 'SN-0.mcpr');

    requests.slice(0, OPENSSL_DEVICES).forEach((bytes, i) => writeFileSync(path.join(work, `provkit-${i}.mcpr`), bytes));
    start = performance.now();
    for (let i = 0; i < OPENSSL_DEVICES; i++) {
      execFileSync('openssl', ['cms', '-verify', '-inform', 'DER', '-in', `provkit-${i}.mcpr`, '-binary', '-CAfile', 'root.pem', '-purpose', 'any', '-out', '/dev/null'], { cwd: work, stdio: 'ignore' });
    }
    opensslVerify = (performance.now() - start) / OPENSSL_DEVICES;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }

  const context = await store.transaction(async (tx) => ({ system: (await tx.getSystem(system.id))!, packages: await tx.listPackages(system.id), certificates: await tx.listCertificates(system.id) }));
  const files = requests.map((bytes, index) => ({ bytes, file: `SN-${index}.mcpr` }));
  const verifyAll = async (): Promise<number> => {
    const start = performance.now();
    const results = await issuer.verifier.verifyBatch(files, context, new Date());
    const elapsed = (performance.now() - start) / files.length;
    for (const result of results) {
      if ('error' in result) throw result.error;
      if (result.failures.length > 0) throw new Error(`bench request failed verification: ${result.failures.map((failure) => failure.message).join('; ')}`);
    }
    return elapsed;
  };
  await verifyAll();
  const verification: number[] = [];
  for (let round = 0; round < ROUNDS; round++) verification.push(await verifyAll());

  const start = performance.now();
  const submitted = await issuer.submitBatch(files);
  const submit = (performance.now() - start) / requests.length;
  if (submitted.some((result) => result.state !== 'needs-approval')) throw new Error('a bench request was not accepted by submitRequest');

  const generated = median(generation);
  const verified = median(verification);
  const rows = [
    '| operation | provkit (ms per request) | OpenSSL CLI (ms per request) | ratio | target |',
    '|---|---:|---:|---:|---:|',
    `| generate: two P-256 keys and CSRs, signed .mcpr | ${format(generated)} | ${format(opensslGeneration)} (provisioning-openssl.sh) | ${(opensslGeneration / generated).toFixed(1)}x | < 2 ms |`,
    `| verify in a batch: every issuer check, caches warm | ${format(verified)} | ${format(opensslVerify)} (\`openssl cms -verify\` per file) | ${(opensslVerify / verified).toFixed(1)}x | < 1 ms |`,
    `| submit in a batch: verify and record the state (memory store) | ${format(submit)} | | | |`,
  ];
  const markdown = [
    `provkit: median of ${ROUNDS} rounds over ${DEVICES} devices (\`generateProvisionRequestBatch\` without a pending .mcpi, whose Argon2id cost is deliberate; \`RequestVerifier.verify\`), in one Node process.`,
    `OpenSSL: ${OPENSSL_DEVICES} devices, one process per command, as a shell script would run it. \`openssl cms -verify\` checks the CMS signature and path only, not the CSRs or issuer rules.`,
    `The submit row is one pass of \`LabIssuer.submitBatch\` over the same ${DEVICES} requests.`,
    '',
    ...rows,
  ].join('\n');
  return { title: 'Provisioning requests: generation and batch verification', markdown };
}
