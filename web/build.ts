import { createHash } from 'node:crypto';
import { readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { projectRoot } from '../kernel/config.ts';

const webFolder = path.join(projectRoot, 'web');

/** Where Vite writes the pages (gitignored); the gateway serves what it finds there. */
export const webDist = path.join(webFolder, 'dist');

/** Written into the build: the hash of the inputs it was built from. */
const stampFile = 'build-inputs.sha256';

/**
 * Builds the web pages when web/dist is missing or was built from other inputs (the web sources,
 * the registered operations the school page sends, the lockfile): after `npm ci` (prepare), and
 * before `npm start` and the browser tests, so that none of them needs a step of its own.
 * Without Vite (an install without dev dependencies) it builds nothing and says so.
 */
export async function ensureWebBuild(log: (message: string) => void = console.log): Promise<'fresh' | 'built' | 'skipped'> {
  const inputs = await inputsHash();
  const built = await readFile(path.join(webDist, stampFile), 'utf8').catch(() => undefined);
  if (built === inputs) return 'fresh';
  let vite: typeof import('vite');
  try {
    vite = await import('vite');
  } catch {
    log(
      `web: Vite is not installed, so the pages are not rebuilt${built === undefined ? ' and /school and the explorer answer 503' : ''}; run npm run build:web where it is`,
    );
    return 'skipped';
  }
  const startedAt = performance.now();
  // Built aside and moved in place: a gateway starting meanwhile never reads half a build.
  const building = `${webDist}.${process.pid}.tmp`;
  await vite.build({ configFile: path.join(webFolder, 'vite.config.ts'), build: { outDir: building } });
  await writeFile(path.join(building, stampFile), inputs);
  await rm(webDist, { recursive: true, force: true });
  await rename(building, webDist);
  log(`web: built the school page and the explorer in ${((performance.now() - startedAt) / 1000).toFixed(1)} s`);
  return 'built';
}

async function inputsHash(): Promise<string> {
  const hash = createHash('sha256');
  const files = [
    ...(await filesUnder(webFolder, (name) => name !== 'dist' && !name.startsWith('dist.'))),
    ...(await filesUnder(path.join(projectRoot, 'schema', 'operations'), () => true)),
    path.join(projectRoot, 'package-lock.json'),
  ];
  for (const file of files.sort())
    hash
      .update(path.relative(projectRoot, file))
      .update('\0')
      .update(await readFile(file))
      .update('\0');
  return hash.digest('hex');
}

async function filesUnder(folder: string, keep: (name: string) => boolean): Promise<string[]> {
  const entries = await readdir(folder, { withFileTypes: true });
  const nested = await Promise.all(
    entries
      .filter((entry) => keep(entry.name))
      .map((entry) => {
        const full = path.join(folder, entry.name);
        return entry.isDirectory() ? filesUnder(full, () => true) : [full];
      }),
  );
  return nested.flat();
}
