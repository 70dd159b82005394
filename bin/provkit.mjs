#!/usr/bin/env node
// Entry point of `npx provkit`: registers tsx's ESM loader so that Node runs the TypeScript
// sources directly (no build step), then hands over to the CLI.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
