/**
 * Locations of the shared third-party test corpus and loaders for its files. The corpus is a
 * sibling folder of the repository (`../shared/corpus`), so paths are resolved from the
 * repository root and work in a fresh clone as well as in the lead's work tree.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Absolute path of the repository root (two levels above this file). */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Absolute path of the shared corpus folder. */
export const corpusRoot = path.resolve(repoRoot, '..', 'shared', 'corpus');

/** Absolute path of a file or folder inside the corpus. */
export function corpusPath(...parts: string[]): string {
  return path.join(corpusRoot, ...parts);
}

/** True when the corpus folder exists; tests that need it fail loudly otherwise. */
export function corpusAvailable(): boolean {
  return existsSync(corpusRoot);
}

/** Reads a corpus file as bytes. */
export function readCorpusBytes(...parts: string[]): Uint8Array {
  return new Uint8Array(readFileSync(corpusPath(...parts)));
}

/** Reads a corpus file as UTF-8 text. */
export function readCorpusText(...parts: string[]): string {
  return readFileSync(corpusPath(...parts), 'utf8');
}

/** Parses a corpus JSON file. */
export function readCorpusJson<T = unknown>(...parts: string[]): T {
  return JSON.parse(readCorpusText(...parts)) as T;
}

/** Lists the file names in a corpus folder that end with `suffix`, sorted. */
export function listCorpusFiles(folder: string, suffix = ''): string[] {
  return readdirSync(corpusPath(folder))
    .filter((name) => name.endsWith(suffix))
    .sort();
}

/** Decodes a hex string from a corpus file. */
export function hexBytes(hex: string): Uint8Array {
  return new Uint8Array(Buffer.from(hex, 'hex'));
}

/** One Wycheproof signature test (schemas ecdsa/eddsa/rsassa_*_verify_schema). */
export interface WycheproofSignatureTest {
  tcId: number;
  comment: string;
  flags: string[];
  msg: string;
  sig: string;
  result: 'valid' | 'invalid' | 'acceptable';
}

/** One Wycheproof signature test group; fields beyond these vary by schema. */
export interface WycheproofSignatureGroup {
  type: string;
  publicKeyDer: string;
  sha?: string;
  mgf?: string;
  mgfSha?: string;
  sLen?: number;
  keySize?: number;
  tests: WycheproofSignatureTest[];
}

/** A Wycheproof test vector file. */
export interface WycheproofFile {
  algorithm: string;
  schema: string;
  numberOfTests: number;
  testGroups: WycheproofSignatureGroup[];
}

/** Loads a file from wycheproof/testvectors_v1. */
export function loadWycheproof(name: string): WycheproofFile {
  return readCorpusJson<WycheproofFile>('wycheproof', 'testvectors_v1', name);
}
