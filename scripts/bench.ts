// Runs every benchmark section under scripts/bench/ in one process and writes
// docs/benchmarks.md, so all ratios in that page come from the same run on the same machine.
import { readdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

interface BenchSection {
  title: string;
  markdown: string;
}

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const benchDirectory = path.join(root, 'scripts', 'bench');

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const files = (await readdir(benchDirectory))
    .filter((name) => name.endsWith('.ts'))
    .filter((name) => only.length === 0 || only.includes(path.basename(name, '.ts')))
    .sort();

  const sections: BenchSection[] = [];
  for (const file of files) {
    console.error(`bench: running ${file}`);
    const module = (await import(pathToFileURL(path.join(benchDirectory, file)).href)) as {
      run?: () => Promise<BenchSection>;
    };
    if (typeof module.run !== 'function') {
      throw new Error(`scripts/bench/${file} does not export run(); export run(): Promise<{ title, markdown }>`);
    }
    sections.push(await module.run());
  }

  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const header = [
    '# Benchmarks',
    '',
    `Measured by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}: ${cpu}, ` +
      `${os.cpus().length} cores, Node ${process.version}, ${os.platform()} ${os.release()}.`,
    'Every ratio in a section compares alternatives measured in the same run. Figures are medians.',
    '',
  ];
  const body = sections.flatMap((section) => [`## ${section.title}`, '', section.markdown.trim(), '']);
  const output = [...header, ...body].join('\n');

  if (only.length === 0) {
    await writeFile(path.join(root, 'docs', 'benchmarks.md'), output);
    console.error('bench: wrote docs/benchmarks.md');
  } else {
    // A partial run prints its sections instead of replacing the page with an incomplete one.
    process.stdout.write(output);
  }
}

await main();
