import { readConfig } from '../kernel/config.ts';
import { openDatabase } from '../kernel/db.ts';
import { kernelMigrations, migrate } from '../kernel/migrations.ts';
import { subgraphs } from '../subgraphs/index.ts';
import { runCommand } from './command.ts';

/** Applies every subgraph's pending migrations, for deployments that migrate before they start. */
runCommand(async () => {
  const config = readConfig();
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, timeouts: config.timeouts });
  try {
    for (const name of [...kernelMigrations, ...subgraphs.map((subgraph) => subgraph.name)]) {
      const { applied } = await migrate(database, name);
      console.log(`${name}: ${applied.length ? `applied ${applied.join(', ')}` : 'up to date'}`);
    }
  } finally {
    await database.close();
  }
});
