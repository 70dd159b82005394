import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { build } from 'vite';
import type { TestProject } from 'vitest/node';

/** Builds the app once for every end-to-end file into a temporary folder, and removes it afterwards. */
export default async function setup(project: TestProject): Promise<() => void> {
  const repoRoot = path.resolve(import.meta.dirname, '../..');
  const outDir = mkdtempSync(path.join(tmpdir(), 'provkit-e2e-dist-'));
  // Vitest sets NODE_ENV=test, which would make Vite build a development bundle.
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    await build({ root: repoRoot, configFile: path.join(repoRoot, 'vite.config.ts'), mode: 'production', logLevel: 'warn', build: { outDir, emptyOutDir: true } });
  } finally {
    process.env.NODE_ENV = nodeEnv;
  }
  project.provide('distDir', outDir);
  return () => rmSync(outDir, { recursive: true, force: true });
}

declare module 'vitest' {
  export interface ProvidedContext {
    distDir: string;
  }
}
