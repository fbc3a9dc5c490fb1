import { mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

/** Where the benchmarks write their figures (gitignored: they hold for the machine they ran on). */
export const resultsFolder = fileURLToPath(new URL('results/', import.meta.url));

/** Writes one benchmark's figures to bench/results/<name>.json, with when and on what they ran. */
export async function writeResults(name: string, figures: Record<string, unknown>): Promise<string> {
  await mkdir(resultsFolder, { recursive: true });
  const file = `${resultsFolder}${name}.json`;
  await writeFile(file, `${JSON.stringify({ measuredAt: new Date().toISOString(), node: process.version, ...figures }, null, 2)}\n`);
  return `bench/results/${name}.json`;
}
