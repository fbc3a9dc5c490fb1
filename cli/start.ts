import { startSystem } from '../system/start.ts';
import { readConfig } from '../kernel/config.ts';
import { ensureWebBuild } from '../web/build.ts';
import { runCommand } from './command.ts';

runCommand(async () => {
  const startedAt = performance.now();
  const config = readConfig();
  const storage = config.serve === 'gateway' ? 'subgraphs over HTTP' : config.databaseUrl ? 'PostgreSQL' : `PGlite in ${config.dataDir}`;
  console.log(`Register Graph starting: ${config.serve} on ${storage}`);
  const servesPages = config.serve === 'embedded' || config.serve === 'gateway';
  // The pages are built after npm ci (prepare); this rebuilds them when their sources changed since.
  if (servesPages) await ensureWebBuild();
  const system = await startSystem(config);
  console.log(`GraphQL: ${system.url}`);
  if (servesPages) {
    if (config.explorer) console.log(`Explorer (GraphiQL): ${system.url} in a browser`);
    console.log(`School page: ${new URL('/school', system.url).href}`);
  }
  console.log(`Ready in ${((performance.now() - startedAt) / 1000).toFixed(1)} s (${system.serve}). Stop with Ctrl-C.`);
  const stop = (signal: string) => {
    console.log(`${signal}: stopping`);
    system.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', stop).once('SIGTERM', stop);
});
