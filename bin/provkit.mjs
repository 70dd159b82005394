#!/usr/bin/env node
// Entry point of `npx provkit`: registers tsx's ESM loader so that Node runs the TypeScript
// sources directly (no build step), then hands over to the CLI.
import { register } from 'tsx/esm/api';

register();
const { main, interrupted } = await import('../src/cli/main.ts');
// Without these handlers Node would end at once on Ctrl-C and leave temporary files and the
// lab lock behind.
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => process.exit(interrupted(signal)));
}
process.exitCode = await main(process.argv.slice(2));
