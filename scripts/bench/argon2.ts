// Argon2id at provkit's default cost (m = 64 MiB, t = 3, p = 1, 32-byte tag): provkit's
// WebAssembly module (SIMD and scalar compression) against hash-wasm, @noble/hashes and the
// reference C implementation's command (/usr/bin/argon2, Debian package argon2) when installed.
// Every implementation hashes the same password and salt, and the tags must agree.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { argon2id as nobleArgon2id } from '@noble/hashes/argon2.js';
import { argon2id as hashWasmArgon2id } from 'hash-wasm';
import { argon2id, argon2idScalar } from '../../src/crypto/wasm.js';
import { loadCryptoWasmFromFile } from '../../src/node/wasm-loader.js';

const MEMORY_KIB = 65_536;
const PASSES = 3;
const LANES = 1;
const TAG_BYTES = 32;
const PASSWORD = 'provkit benchmark passphrase';
// The argon2 command takes the salt as a command-line string, so it is ASCII here.
const SALT = 'provkit-bench-salt';
const ARGON2_COMMAND = '/usr/bin/argon2';

interface Measurement {
  name: string;
  runs: number[];
  tag: string;
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

interface Candidate {
  name: string;
  runs: number;
  compute: () => Promise<string> | string;
}

/**
 * Measures the candidates round-robin (one run of each per round), so that load from other
 * processes on the machine affects all of them alike and the ratios stay comparable.
 */
async function measureInterleaved(candidates: Candidate[]): Promise<Measurement[]> {
  const results: Measurement[] = [];
  for (const candidate of candidates) {
    // Warm-up: compilation and the first memory growth are not measured.
    results.push({ name: candidate.name, runs: [], tag: await candidate.compute() });
  }
  const rounds = Math.max(...candidates.map((candidate) => candidate.runs));
  for (let round = 0; round < rounds; round++) {
    for (const [index, candidate] of candidates.entries()) {
      if (round >= candidate.runs) continue;
      const start = performance.now();
      const tag = await candidate.compute();
      results[index]!.runs.push(performance.now() - start);
      results[index]!.tag = tag;
    }
  }
  for (const result of results) console.error(`bench argon2: ${result.name}: median ${median(result.runs).toFixed(1)} ms over ${result.runs.length} runs`);
  return results;
}

/** Runs the Argon2id benchmark and returns its section of docs/benchmarks.md. */
export async function run(): Promise<{ title: string; markdown: string }> {
  await loadCryptoWasmFromFile();
  const password = new TextEncoder().encode(PASSWORD);
  const salt = new TextEncoder().encode(SALT);
  const options = { memoryKiB: MEMORY_KIB, passes: PASSES, lanes: LANES, outputLength: TAG_BYTES };

  const candidates: Candidate[] = [
    { name: 'provkit (WebAssembly SIMD)', runs: 9, compute: () => hex(argon2id(password, salt, options)) },
    { name: 'provkit (WebAssembly scalar)', runs: 5, compute: () => hex(argon2idScalar(password, salt, options)) },
    {
      name: 'hash-wasm 4.x',
      runs: 9,
      compute: () => hashWasmArgon2id({ password, salt, iterations: PASSES, parallelism: LANES, memorySize: MEMORY_KIB, hashLength: TAG_BYTES, outputType: 'hex' }),
    },
    { name: '@noble/hashes 2.x (JavaScript)', runs: 3, compute: () => hex(nobleArgon2id(password, salt, { t: PASSES, m: MEMORY_KIB, p: LANES, dkLen: TAG_BYTES })) },
  ];
  const hasReference = existsSync(ARGON2_COMMAND);
  if (hasReference) {
    // The time includes starting the process, a few milliseconds.
    candidates.push({
      name: 'argon2 command (C reference, native)',
      runs: 9,
      compute: () => {
        const result = spawnSync(ARGON2_COMMAND, [SALT, '-id', '-m', String(Math.log2(MEMORY_KIB)), '-t', String(PASSES), '-p', String(LANES), '-l', String(TAG_BYTES), '-r'], {
          input: PASSWORD,
          encoding: 'utf8',
        });
        if (result.status !== 0) throw new Error(`${ARGON2_COMMAND} failed: ${result.stderr}`);
        return result.stdout.trim();
      },
    });
  }
  const results = await measureInterleaved(candidates);
  const reference = hasReference ? results[results.length - 1] : undefined;

  const expected = results[0]!.tag;
  for (const result of results) {
    if (result.tag !== expected) throw new Error(`${result.name} computed tag ${result.tag}, provkit ${expected}: the implementations disagree`);
  }

  const hashWasm = median(results.find((result) => result.name.startsWith('hash-wasm'))!.runs);
  const native = reference === undefined ? undefined : median(reference.runs);
  const rows = results.map((result) => {
    const value = median(result.runs);
    const versusNative = native === undefined ? 'n/a' : `${(value / native).toFixed(2)}x`;
    return `| ${result.name} | ${value.toFixed(1)} | ${result.runs.length} | ${(value / hashWasm).toFixed(2)}x | ${versusNative} |`;
  });
  const markdown = [
    `Argon2id, m = ${MEMORY_KIB / 1024} MiB, t = ${PASSES}, p = ${LANES}, ${TAG_BYTES}-byte tag; all tags identical. Lower is faster. The implementations run round-robin, one run each per round.`,
    '',
    '| implementation | median ms | runs | time vs hash-wasm | time vs native C |',
    '|---|---:|---:|---:|---:|',
    ...rows,
    '',
    reference === undefined ? `${ARGON2_COMMAND} is not installed, so the native column is empty (Debian package argon2).` : `The native figure includes starting ${ARGON2_COMMAND}.`,
  ].join('\n');
  return { title: 'Argon2id (crypto-wasm)', markdown };
}
