import { parseArgs } from 'node:util';
import { readConfig } from '../kernel/config.ts';
import { openDatabase } from '../kernel/db.ts';
import { migrate } from '../kernel/migrations.ts';
import { parseDay, today } from '../kernel/scalars.ts';
import { importSchoolFile } from '../subgraphs/institutions/import.ts';
import { runCommand, UsageError } from './command.ts';

const usage = `usage: npm run rio:import -- <file> [--date YYYY-MM-DD] [--allow-mass-closure]
Applies DUO's "Alle schoolvestigingen basisonderwijs" file to the institutions register as changes.
  --date                the day the file describes (default: today); branches it no longer lists
                        were last active the day before
  --allow-mass-closure  apply even when the file closes more than 10% of the active branches`;

runCommand(async () => {
  let parsed;
  try {
    parsed = parseArgs({ allowPositionals: true, options: { date: { type: 'string' }, 'allow-mass-closure': { type: 'boolean' }, help: { type: 'boolean' } } });
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n${usage}`);
  }
  const { values, positionals } = parsed;
  if (values.help || positionals.length !== 1) throw new UsageError(usage);
  const referenceDate = values.date ? parseDay(values.date, '--date') : today();
  const config = readConfig();
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, timeouts: config.timeouts });
  try {
    await migrate(database, 'institutions');
    const result = await importSchoolFile(database.db, positionals[0]!, {
      referenceDate,
      allowMassClosure: values['allow-mass-closure'] ?? false,
      progress: (message) => console.log(message),
    });
    console.log(
      result.runId === null
        ? `No changes: the register already matches this file (${result.rows} branches).`
        : `Import run ${result.runId} for ${referenceDate}:`,
    );
    for (const [entity, counts] of Object.entries(result.counts)) {
      if (typeof counts === 'number') {
        if (counts) console.log(`  branches moved to another board: ${counts}`);
        continue;
      }
      const parts = Object.entries(counts).map(([change, n]) => `${change} ${n}`);
      if (parts.length) console.log(`  ${entity}: ${parts.join(', ')}`);
    }
    const differing = Object.values(result.counts).reduce<number>((sum, counts) => sum + (typeof counts === 'number' ? 0 : (counts.differs ?? 0)), 0);
    if (differing > 0) {
      console.log(
        `${differing} objects that boards maintain differ from the file and were left as the boards keep them (README, "RIO changes by boards"): ` +
          `each object's history shows them as DIFFERS, and institutions.change holds them with run_id ${result.runId}. The operator corrects an object, or hands it back to the file (correctRio, returnToFile).`,
      );
    }
  } finally {
    await database.close();
  }
});
