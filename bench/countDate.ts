/**
 * The count-date run (journey 3) on a national population. Creates a fresh PostgreSQL database on the
 * server DATABASE_URL names (dropped again at the end, also on failure), migrates institutions,
 * learners and funding, seeds the real DUO school file and takes it into funding's copy of RIO, then
 * writes `--enrollments` enrollments (default 1,400,000: a national population) straight into
 * funding's projection, spread over every real branch and offered programme. It measures, in
 * wall-clock seconds:
 *   (a) the run of count date 2026-02-01 that was never opened: every enrollment assessed, then final
 *       (the worst case);
 *   (b) opening count date 2025-02-01, and then its run once open (the usual case: events have kept
 *       its statuses up to date, so the run only fixes them);
 * and prints the reasons for 2026-02-01, so that a reader can see the mix is realistic. Writes the
 * figures to bench/results/count-date.json too. Not a test: it asserts nothing.
 *
 *   DATABASE_URL=postgres://… npm run bench:count-date [-- --enrollments N]
 */
import { parseArgs } from 'node:util';
import { sql } from 'drizzle-orm';
import { readConfig } from '../kernel/config.ts';
import { longWorkStatement, openDatabase, rowsOf, type Database } from '../kernel/db.ts';
import { catchUp } from '../kernel/events.ts';
import { migrate } from '../kernel/migrations.ts';
import { openCountDate } from '../subgraphs/funding/countDates.ts';
import { rioConsumer } from '../subgraphs/funding/projection.ts';
import { runCountDate } from '../subgraphs/funding/run.ts';
import { institutions } from '../subgraphs/institutions/index.ts';
import { freshDatabaseUrl } from '../test/harness.ts';
import { writeResults } from './results.ts';

const { values } = parseArgs({ options: { enrollments: { type: 'string', default: '1400000' } } });
const enrollments = Number(values.enrollments);
if (!Number.isSafeInteger(enrollments) || enrollments < 1000) {
  console.error(`--enrollments must be a whole number of at least 1000, not ${values.enrollments}`);
  process.exit(1);
}
// The figure that counts is PostgreSQL's, the database the register runs on in production; the
// benchmark also needs a server to create and drop a database of its own on.
if (!readConfig().databaseUrl) {
  console.error('Set DATABASE_URL to a PostgreSQL server (postgres://user@host:port/db): the benchmark creates and drops a database of its own there.');
  process.exit(1);
}

// About 2% of learners also have a second enrollment (double enrollment), so learners + seconds = enrollments.
const learners = Math.round(enrollments / 1.02);
const doubles = enrollments - learners;
const countDate = '2026-02-01';
const earlierCountDate = '2025-02-01';
// After both registration windows have closed, so that runCountDate accepts both count dates.
const runAt = new Date('2026-06-01T12:00:00Z');

const benchStarted = performance.now();
const seconds = (from: number) => ((performance.now() - from) / 1000).toFixed(2);
const say = (message: string) => console.log(`[${seconds(benchStarted).padStart(7)} s] ${message}`);

async function step<T>(name: string, work: () => Promise<T>): Promise<T> {
  const begun = performance.now();
  const result = await work();
  say(`${name}: ${seconds(begun)} s`);
  return result;
}

/**
 * A deterministic draw in [0, 1) per learner and purpose (`salt`): the same population on every run,
 * without md5 per draw (hashint8extended is built in and far cheaper).
 */
const draw = (salt: number, of = 'l.i') => `((hashint8extended(${of}, ${salt}) & 2147483647)::float8 / 2147483648)`;
const pick = (salt: number, size: string, of = 'l.i') => `((hashint8extended(${of}, ${salt}) & 2147483647) % ${size})`;

/**
 * The population, for count date 2026-02-01 (school year 2025-08-01..2026-07-31), in one transaction,
 * so that the helper tables are temporary and a failure leaves nothing half written. Each enrollment
 * falls in one case:
 *   - learners 1..doubles: enrolled, and a second, later enrollment elsewhere, also running on the
 *     count date (DOUBLE_ENROLLMENT on the first);
 *   - of the rest, 2% start after the count date within the school year (NOT_ENROLLED_ON_COUNT_DATE),
 *     1% ended between 1 August and the count date (idem), 1% reached the register after the 4-week
 *     window (LATE_REGISTRATION), the others count;
 *   - independently, 1% of the learners without a second enrollment turn 4 after the count date
 *     (UNDER_FOUR); the others are 4 to 12 on it.
 */
async function buildPopulation(database: Database): Promise<{ places: number }> {
  return database.rawTransaction(async (tx) => {
    // The benchmark's own load of 1.4 million enrollments, in statements of a minute.
    await tx.query(longWorkStatement);
    const places = await step('places (branch × offered programme at its provider and location)', async () => {
      await tx.query(`CREATE TEMP TABLE bench_place ON COMMIT DROP AS
        SELECT (row_number() OVER (ORDER BY b.brin6, op.id) - 1)::int AS n, b.brin6, b.provider_code, b.location_code, op.id AS offered_programme_id
        FROM institutions.branch b
        JOIN institutions.offered_programme op ON op.provider_code = b.provider_code AND op.location_code = b.location_code`);
      await tx.query('ALTER TABLE bench_place ADD PRIMARY KEY (n)');
      await tx.query('ANALYZE bench_place');
      return Number((await tx.query<{ n: string }>('SELECT count(*) AS n FROM bench_place'))[0]!.n);
    });
    say(`${places} places to enroll at`);
    const size = String(places);

    await step(`${learners} learners`, async () => {
      await tx.query(
        `CREATE TEMP TABLE bench_learner ON COMMIT DROP AS
        SELECT l.i, md5('bench learner ' || l.i)::uuid AS id, f.under_four,
          CASE WHEN f.under_four THEN date '2022-02-02' + floor(${draw(2)} * 180)::int
            ELSE date '2013-02-02' + floor(${draw(2)} * (date '2022-02-01' - date '2013-02-02' + 1))::int END AS birth_date
        FROM generate_series(1, $1::int) AS l (i)
        CROSS JOIN LATERAL (SELECT l.i > $2::int AND ${draw(1)} < 0.01 AS under_four) f`,
        [learners, doubles],
      );
      await tx.query('ALTER TABLE bench_learner ADD PRIMARY KEY (i)');
      // Registered in the person source, and delivered alike with every enrollment.
      await tx.query('INSERT INTO funding.learner (id, registered_birth_date) SELECT id, birth_date FROM bench_learner ORDER BY i');
    });

    await step(`${learners} first enrollments`, () =>
      tx.query(
        `INSERT INTO funding.enrollment (id, learner_id, birth_date, brin6, provider_code, location_code, offered_programme_id, start_date, end_date, registered_at, registered_on,
          updated_at, updated_on)
        SELECT *, registered_at, registered_on FROM (SELECT md5('bench enrollment ' || l.i || '/1')::uuid, l.id, l.birth_date, p.brin6, p.provider_code, p.location_code, p.offered_programme_id,
          s.start_date, k.end_date, (d.registered_on + make_interval(secs => 28800 + floor(${draw(7)} * 36000)))::timestamp AT TIME ZONE 'Europe/Amsterdam' AS registered_at, d.registered_on
        FROM bench_learner l
        CROSS JOIN LATERAL (SELECT CASE WHEN l.i <= $1::int THEN 'COUNTS' WHEN ${draw(3)} < 0.02 THEN 'STARTS_LATER'
          WHEN ${draw(3)} < 0.03 THEN 'ENDED' WHEN ${draw(3)} < 0.04 THEN 'LATE' ELSE 'COUNTS' END AS kind) c
        CROSS JOIN LATERAL (SELECT CASE WHEN c.kind = 'ENDED' THEN date '2025-08-02' + floor(${draw(4)} * 183)::int END AS end_date) k
        -- Most start at 4, or later when they moved school; not before 1 August 2018.
        CROSS JOIN LATERAL (SELECT least(date '2026-01-15', k.end_date) AS hi) h
        CROSS JOIN LATERAL (SELECT least(greatest(date '2018-08-01', (l.birth_date + interval '4 years')::date), h.hi,
          CASE WHEN l.under_four THEN date '2025-08-01' END) AS lo) b
        CROSS JOIN LATERAL (SELECT CASE WHEN c.kind = 'STARTS_LATER' THEN date '2026-02-02' + floor(${draw(5)} * 179)::int
          ELSE b.lo + floor(${draw(5)} * (h.hi - b.lo + 1))::int END AS start_date) s
        CROSS JOIN LATERAL (SELECT CASE WHEN c.kind = 'LATE' THEN date '2026-03-02' + floor(${draw(6)} * 90)::int
          ELSE s.start_date + 1 + floor(${draw(6)} * 6)::int END AS registered_on) d
        JOIN bench_place p ON p.n = ${pick(8, size)}) AS first_enrollment`,
        [doubles],
      ),
    );

    await step(`${doubles} second enrollments (a later start at another branch)`, () =>
      tx.query(
        `INSERT INTO funding.enrollment (id, learner_id, birth_date, brin6, provider_code, location_code, offered_programme_id, start_date, end_date, registered_at, registered_on,
          updated_at, updated_on)
        SELECT *, registered_at, registered_on FROM (SELECT md5('bench enrollment ' || l.i || '/2')::uuid, l.id, l.birth_date, p.brin6, p.provider_code, p.location_code, p.offered_programme_id,
          s.start_date, NULL::date, (d.registered_on + make_interval(secs => 28800 + floor(${draw(12)} * 36000)))::timestamp AT TIME ZONE 'Europe/Amsterdam' AS registered_at, d.registered_on
        FROM bench_learner l
        JOIN funding.enrollment e1 ON e1.id = md5('bench enrollment ' || l.i || '/1')::uuid
        CROSS JOIN LATERAL (SELECT e1.start_date + 1 + floor(${draw(10)} * (date '2026-01-31' - e1.start_date))::int AS start_date) s
        CROSS JOIN LATERAL (SELECT s.start_date + 1 + floor(${draw(11)} * 6)::int AS registered_on) d
        -- A quarter to three quarters of the list away from the first place: another branch, since a
        -- branch's places (one per programme) are neighbours in the list.
        JOIN bench_place p ON p.n = (${pick(8, size)} + ${size} / 4 + ${pick(9, `greatest(${size} / 2, 1)`)}) % ${size}
        WHERE l.i <= $1::int) AS second_enrollment`,
        [doubles],
      ),
    );
    return { places };
  });
}

const fresh = await freshDatabaseUrl();
let database: Database | undefined;
try {
  // The register's own timeouts (README, configuration): the run must finish within them.
  database = await openDatabase({ databaseUrl: fresh.url, dataDir: 'memory://', timeouts: readConfig().timeouts });
  const { db } = database;
  say(`fresh PostgreSQL database; population: ${enrollments} enrollments of ${learners} learners`);
  await step('migrations', async () => {
    for (const subgraph of ['institutions', 'learners', 'funding']) await migrate(database!, subgraph);
  });
  await step('institutions seed (DUO school file)', () => institutions.seed!(database!, say));
  await step('funding copy of RIO (catch up the institutions stream)', async () => {
    const events = await catchUp(db, rioConsumer);
    const kinds = rowsOf<{ kind: string; n: string; boards: string }>(
      await db.execute(sql`SELECT kind, count(*) AS n, count(board_code) AS boards FROM funding.rio_object GROUP BY 1 ORDER BY 1`),
    );
    say(`${events} events: ${kinds.map((row) => `${row.n} ${row.kind}${row.kind === 'PROVIDER' ? ` (${row.boards} with a board)` : ''}`).join(', ')}`);
  });
  const { places } = await buildPopulation(database);
  await step('ANALYZE funding tables', () =>
    db.execute(sql`ANALYZE funding.learner, funding.enrollment, funding.rio_object, funding.status, funding.count_date`),
  );

  const log = (from: number) => (message: string) => say(`  ${message} (${seconds(from)} s)`);

  say(`(a) count-date run of ${countDate}, never opened: assesses every enrollment, then final`);
  const aStarted = performance.now();
  await runCountDate(db, countDate, log(aStarted), runAt);
  const aSeconds = (performance.now() - aStarted) / 1000;
  say(`(a) ${aSeconds.toFixed(2)} s`);

  say(`(b) opening count date ${earlierCountDate}, then its run`);
  const openStarted = performance.now();
  await db.transaction(async (tx) => openCountDate(tx, earlierCountDate));
  const openSeconds = (performance.now() - openStarted) / 1000;
  say(`(b) opening a count date: ${openSeconds.toFixed(2)} s`);
  const bStarted = performance.now();
  await runCountDate(db, earlierCountDate, log(bStarted), runAt);
  const bSeconds = (performance.now() - bStarted) / 1000;
  say(`(b) run of the open count date: ${bSeconds.toFixed(2)} s`);

  const distribution = rowsOf<{ reasons: string[]; n: string }>(
    await db.execute(sql`SELECT reasons, count(*) AS n FROM funding.status WHERE count_date = ${countDate} GROUP BY 1 ORDER BY 2 DESC`),
  );
  const assessed = distribution.reduce((sum, row) => sum + Number(row.n), 0);
  console.log(`\n(c) statuses for ${countDate} by reasons (${assessed} enrollments assessed)`);
  const labels = distribution.map((row) => (row.reasons.length ? row.reasons.join(' + ') : '(counts)'));
  const width = Math.max(...labels.map((label) => label.length));
  for (const [i, row] of distribution.entries()) {
    console.log(`  ${labels[i]!.padEnd(width)} ${row.n.padStart(9)}  ${((100 * Number(row.n)) / assessed).toFixed(2).padStart(6)} %`);
  }

  await writeResults('count-date', { enrollments, learners, places, neverOpenedSeconds: aSeconds, openingSeconds: openSeconds, openRunSeconds: bSeconds });
  console.log(`
summary
  enrollments                                 ${enrollments}
  learners                                    ${learners}
  places (branch × offered programme)         ${places}
  (a) run, count date never opened            ${aSeconds.toFixed(2)} s = ${Math.round(enrollments / aSeconds)} enrollments/s
  (b) opening a count date                    ${openSeconds.toFixed(2)} s
  (b) run, count date already open            ${bSeconds.toFixed(2)} s`);
} finally {
  await database?.close();
  await fresh.drop();
}
