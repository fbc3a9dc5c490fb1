import { parseArgs } from 'node:util';
import { commandActor } from '../kernel/audit.ts';
import { readConfig } from '../kernel/config.ts';
import { openDatabase } from '../kernel/db.ts';
import { kernelMigrations, migrate } from '../kernel/migrations.ts';
import { importPersons } from '../subgraphs/learners/persons.ts';
import { runCommand, UsageError } from './command.ts';

const usage = `usage: npm run persons:import -- <file>
Applies a persons file (JSON lines, one person a line; README, "The person source") to the person
source of the learners register, which stands in for the BRP: new persons are registered, changed
ones changed (a move, a death, a correction), each with its event, and the schools that enroll them
get the signals the change gives. The whole file applies in one transaction, or none of it.`;

runCommand(async () => {
  let parsed;
  try {
    parsed = parseArgs({ allowPositionals: true, options: { help: { type: 'boolean' } } });
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n${usage}`);
  }
  const { values, positionals } = parsed;
  if (values.help || positionals.length !== 1) throw new UsageError(usage);
  const config = readConfig();
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  try {
    // The audit log first: the run is logged in it (subgraphs/learners/persons.ts, importPersons).
    for (const name of [...kernelMigrations, 'learners']) await migrate(database, name);
    const result = await importPersons(database.db, positionals[0]!, commandActor('persons:import'));
    const changed = result.persons - result.unchanged;
    console.log(changed === 0 ? `No changes: the person source already holds these ${result.persons} persons.` : `Applied ${result.persons} persons:`);
    const kinds = {
      registered: result.PersonRegistered,
      moved: result.PersonMoved,
      died: result.PersonDied,
      emigrated: result.PersonEmigrated,
      corrected: result.PersonCorrected,
    };
    const parts = Object.entries(kinds)
      .filter(([, n]) => n > 0)
      .map(([kind, n]) => `${kind} ${n}`);
    if (parts.length) console.log(`  persons: ${parts.join(', ')}, unchanged ${result.unchanged}`);
    if (changed) console.log(`  signals to schools: ${result.signals}`);
  } finally {
    await database.close();
  }
});
