import { parseArgs } from 'node:util';
import { sql } from 'drizzle-orm';
import { migrateAndSeed } from '../system/start.ts';
import { readConfig } from '../kernel/config.ts';
import { openDatabase, rowsOf, type Database, type Db } from '../kernel/db.ts';
import { RegisterError } from '../kernel/errors.ts';
import { catchUpWithCommitted, consumeInBulk, type ConsumerOptions, type StoredEvent } from '../kernel/events.ts';
import { today } from '../kernel/scalars.ts';
import { subgraphs } from '../subgraphs/index.ts';
import { seedDemoMandates } from '../subgraphs/institutions/osr.ts';
import { readLearnerCounts, registerPopulation } from '../subgraphs/learners/population.ts';
import { runCommand, UsageError } from './command.ts';

const usage = `usage: npm run seed [-- --national [--scale F]]
Migrates every register and seeds the demo (the DUO school file and the demo vendor), as the first
npm start does.
  --national  also registers the national population: every learner DUO counted at each branch, the
              persons of the person source (the learners with a BSN, and children of compulsory
              school age enrolled nowhere), the demo vendor mandated at every school, and every
              register taken up to date, the funding statuses of the current count date included. Needs PostgreSQL (DATABASE_URL) at full
              scale. Run it again after an interruption: it goes on where it stopped.
  --scale F   that share of each branch's learners (0 < F <= 1; default 1)`;

/** On PGlite, a national population at most this share of the country: WASM holds it in memory. */
const pgliteScale = 0.05;

runCommand(async () => {
  const options = parseOptions();
  const config = readConfig();
  if (options.national && !config.databaseUrl && options.scale > pgliteScale) {
    throw new UsageError(
      `The national population (1.4 million learners) needs PostgreSQL: set DATABASE_URL, or pass --scale ${pgliteScale} or less for the embedded database.`,
    );
  }
  const begun = performance.now();
  const say = (message: string) => console.log(`[${((performance.now() - begun) / 1000).toFixed(1).padStart(6)} s] ${message}`);
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, timeouts: config.timeouts });
  try {
    say(`seeding ${config.databaseUrl ? 'PostgreSQL' : `PGlite in ${config.dataDir}`}`);
    await migrateAndSeed(database, subgraphs, true, (message, about) => say(`${'migrations' in about ? about.migrations : about.subgraph}: ${message}`));
    if (options.national) await seedNational(database, options.scale, say);
    await catchUpEveryConsumer(database, say);
    say('done');
  } finally {
    await database.close();
  }
});

function parseOptions(): { national: boolean; scale: number } {
  let values;
  try {
    ({ values } = parseArgs({ options: { national: { type: 'boolean' }, scale: { type: 'string' }, help: { type: 'boolean' } } }));
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n${usage}`);
  }
  if (values.help) throw new UsageError(usage);
  const scale = values.scale === undefined ? 1 : Number(values.scale);
  if (!(scale > 0 && scale <= 1)) throw new UsageError(`--scale must be a number above 0 and at most 1, not ${values.scale}\n${usage}`);
  if (values.scale !== undefined && !values.national) throw new UsageError(`--scale goes with --national\n${usage}`);
  return { national: values.national ?? false, scale };
}

/**
 * Each step commits on its own and is skipped when a previous run did it, so an interrupted seed
 * loses at most the step it was in. The learners step first takes the RIO copy up to date: it
 * enrolls at the branches that copy holds.
 */
async function seedNational(database: Database, scale: number, say: (message: string) => void): Promise<void> {
  const { db } = database;
  const mandates = await db.transaction((tx) => seedDemoMandates(tx, 'everywhere'));
  say(mandates ? `demo vendor mandated at every school: ${mandates} new mandates` : 'demo vendor mandated at every school already');
  await catchUpEveryConsumer(database, say);
  const [loaded] = rowsOf<{ any: boolean }>(await db.execute(sql`SELECT EXISTS (SELECT 1 FROM learners.learner) AS any`));
  if (loaded!.any) return say('learners: the register holds learners already; the population is not registered again');
  const { year, counts } = await readLearnerCounts();
  const total = [...counts.values()].reduce((sum, count) => sum + count, 0);
  say(
    `learners: DUO counted ${total} learners at ${counts.size} branches (bo, sbo, so) on 1 October ${year}; registering ${scale === 1 ? 'those' : `${scale} of those`} at the branches the register holds`,
  );
  const result = await db.transaction((tx) => registerPopulation(tx, counts, { day: today(), scale, progress: (message) => say(`  ${message}`) }));
  say(
    `learners: ${result.learners} learners, ${result.enrollments} enrollments, ${result.transferNotices} transfer notices, ${result.persons} persons in the person source` +
      (result.branchesSkipped ? `; ${result.branchesSkipped} branches skipped (not in the register, closed, or offering no programme)` : ''),
  );
}

/** How long the seed waits for events held back by another transaction open on the same database. */
const heldBackWaitMs = 120_000;

/**
 * Takes every consumer up to date with what its stream held when it began, stream by stream in the
 * order the subgraphs run: one with a bulk form takes a large backlog in one transaction
 * (kernel/events.ts, consumeInBulk), the rest of the way in batches.
 */
async function catchUpEveryConsumer(database: Database, say: (message: string) => void): Promise<void> {
  for (const subgraph of subgraphs) {
    for (const consumer of subgraph.consumers ?? []) {
      const options: ConsumerOptions = { ...consumer, cursorSchema: subgraph.name };
      const begun = performance.now();
      const inBulk = options.bulk ? await consumeInBulk(database.db, { ...options, bulk: options.bulk }) : 0;
      const handled = { count: 0 };
      const counting = { ...options, handle: async (tx: Db, events: StoredEvent[]) => ((handled.count += events.length), options.handle(tx, events)) };
      if (!(await catchUpWithCommitted(database.db, counting, heldBackWaitMs))) {
        throw new RegisterError(
          'CONFLICT',
          `${options.consumer} is held back by another transaction open on the database for over ${heldBackWaitMs / 1000} s (see pg_stat_activity); run the seed again once it has ended`,
        );
      }
      const taken = inBulk + handled.count;
      if (taken) say(`${options.consumer}: took in ${taken} events of ${options.stream} (${((performance.now() - begun) / 1000).toFixed(1)} s)`);
    }
  }
}
