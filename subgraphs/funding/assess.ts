import { sql } from 'drizzle-orm';
import { changedRowsOf, rowsOf, type Db } from '../../kernel/db.ts';
import { appendEvents } from '../../kernel/events.ts';
import { fundingStatusChanged } from './events.ts';
import { extensionsInForce } from './extensions.ts';
import {
  assessLearner,
  countDateFacts,
  type CountDateFacts,
  type EnrollmentFacts,
  type EnrollmentVersion,
  type NotFundableReason,
  type Period,
} from './rules.ts';

/*
 * Applying the rules to the copy, set-based: a set of learners is read in one query with all
 * their enrollments and the RIO periods these refer to, assessed in memory, and only what changed is
 * written back, in one statement per kind of write.
 */

/** An enrollment's facts and where it is: what a status and its event need. */
export interface Placed extends EnrollmentFacts {
  learnerId: string;
  providerCode: string;
}

export interface LearnerFacts {
  id: string;
  /** The registered birth date; null when the register has none (rules.ts, birthDateFor). */
  registeredBirthDate: string | null;
  enrollments: Placed[];
}

interface FactsRow {
  learner_id: string;
  registered_birth_date: string | null;
  birth_date: string;
  id: string;
  brin6: string;
  provider_code: string;
  start_date: string;
  end_date: string | null;
  registered_on: string;
  registered_at: string;
  updated_on: string;
  location_known: boolean;
  location_start: string | null;
  location_end: string | null;
  programme_known: boolean;
  programme_start: string | null;
  programme_end: string | null;
}

/** The RIO periods of a location and an offered programme, joined as `loc` and `prog`, as columns. */
const periods = sql.raw(`loc.code IS NOT NULL AS location_known, loc.start_date::text AS location_start, loc.end_date::text AS location_end,
  prog.code IS NOT NULL AS programme_known, prog.start_date::text AS programme_start, prog.end_date::text AS programme_end`);
const joinPeriods = (alias: string) =>
  sql.raw(`LEFT JOIN funding.rio_object loc ON loc.kind = 'LOCATION' AND loc.code = ${alias}.location_code
  LEFT JOIN funding.rio_object prog ON prog.kind = 'OFFERED_PROGRAMME' AND prog.code = ${alias}.offered_programme_id::text`);

type PeriodsRow = Pick<FactsRow, 'location_known' | 'location_start' | 'location_end' | 'programme_known' | 'programme_start' | 'programme_end'>;

function periodsOf(row: PeriodsRow): { location: Period | null; offeredProgramme: Period | null } {
  return {
    location: row.location_known ? { startDate: row.location_start, endDate: row.location_end } : null,
    offeredProgramme: row.programme_known ? { startDate: row.programme_start, endDate: row.programme_end } : null,
  };
}

/**
 * The learners chosen by `which` (an SQL condition on `e.learner_id`), each with every enrollment and
 * the RIO periods of its location and offered programme, and the states each enrollment's current
 * one replaced (rules.ts, `asRegisteredBy`). Dates come as text and moments in one fixed format, so
 * that comparing them as strings is comparing them in time.
 */
async function loadFacts(db: Db, which: ReturnType<typeof sql>): Promise<LearnerFacts[]> {
  const rows = rowsOf<FactsRow>(
    await db.execute(sql`
      SELECT e.learner_id, l.registered_birth_date::text AS registered_birth_date, e.birth_date::text AS birth_date, e.id, e.brin6, e.provider_code,
        e.start_date::text AS start_date, e.end_date::text AS end_date, e.registered_on::text AS registered_on, e.updated_on::text AS updated_on,
        to_char(e.registered_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') AS registered_at, ${periods}
      FROM funding.enrollment e
      JOIN funding.learner l ON l.id = e.learner_id
      ${joinPeriods('e')}
      WHERE ${which}
      ORDER BY e.learner_id`),
  );
  const earlier = await versionsOf(
    db,
    rows.filter((row) => row.updated_on !== row.registered_on).map((row) => row.id),
  );
  const learners: LearnerFacts[] = [];
  for (const row of rows) {
    let last = learners.at(-1);
    if (last?.id !== row.learner_id) learners.push((last = { id: row.learner_id, registeredBirthDate: row.registered_birth_date, enrollments: [] }));
    last.enrollments.push({
      id: row.id,
      birthDate: row.birth_date,
      learnerId: row.learner_id,
      brin6: row.brin6,
      providerCode: row.provider_code,
      startDate: row.start_date,
      endDate: row.end_date,
      registeredOn: row.registered_on,
      registeredAt: row.registered_at,
      updatedOn: row.updated_on,
      earlier: earlier.get(row.id) ?? [],
      ...periodsOf(row),
    });
  }
  return learners;
}

/**
 * The replaced states of the enrollments, oldest first. Only an enrollment whose current state was
 * stored on a later day than the enrollment itself can have one that a deadline picks
 * (`asRegisteredBy`): the others are not asked for.
 */
async function versionsOf(db: Db, ids: readonly string[]): Promise<Map<string, EnrollmentVersion[]>> {
  const versions = new Map<string, EnrollmentVersion[]>();
  if (ids.length === 0) return versions;
  const rows = rowsOf<PeriodsRow & { enrollment_id: string; updated_on: string; birth_date: string; start_date: string; end_date: string | null }>(
    await db.execute(sql`
      SELECT v.enrollment_id, v.updated_on::text AS updated_on, v.birth_date::text AS birth_date, v.start_date::text AS start_date, v.end_date::text AS end_date, ${periods}
      FROM funding.enrollment_version v
      ${joinPeriods('v')}
      WHERE v.enrollment_id = ANY(${sql.param([...ids])}::uuid[])
      ORDER BY v.enrollment_id, v.updated_at`),
  );
  for (const row of rows) {
    let list = versions.get(row.enrollment_id);
    if (!list) versions.set(row.enrollment_id, (list = []));
    list.push({ updatedOn: row.updated_on, birthDate: row.birth_date, startDate: row.start_date, endDate: row.end_date, ...periodsOf(row) });
  }
  return versions;
}

export const factsOfLearners = (db: Db, learnerIds: readonly string[]) =>
  learnerIds.length === 0 ? Promise.resolve([]) : loadFacts(db, sql`e.learner_id = ANY(${sql.param([...learnerIds])}::uuid[])`);

/** An assessment with the enrollment it is about. */
export interface PlacedAssessment {
  countDate: string;
  enrollment: Placed;
  reasons: NotFundableReason[];
}

/** The learners' enrollments assessed for a count date: `facts` as `countDateFactsIn` reads them. */
export function assessAll(learners: readonly LearnerFacts[], facts: CountDateFacts): PlacedAssessment[] {
  const { countDate } = facts;
  const outcomes: PlacedAssessment[] = [];
  for (const learner of learners) {
    for (const { enrollmentId, reasons } of assessLearner(learner.registeredBirthDate, learner.enrollments, facts)) {
      outcomes.push({ countDate, enrollment: learner.enrollments.find((enrollment) => enrollment.id === enrollmentId)!, reasons });
    }
  }
  return outcomes;
}

/**
 * Re-assesses the learners' enrollments for the PROVISIONAL count dates and stores what changed:
 * new statuses, changed reasons, and statuses of enrollments no longer assessed (removed). Each
 * change is a FundingStatusChanged event in the funding outbox, in the same transaction. Returns the
 * number of changes.
 */
export async function reassess(tx: Db, learnerIds: readonly string[], countDates: readonly string[]): Promise<number> {
  let changes = 0;
  if (countDates.length === 0 || learnerIds.length === 0) return changes;
  const facts = await Promise.all(countDates.map((day) => countDateFactsIn(tx, day)));
  for (let start = 0; start < learnerIds.length; start += chunk) {
    const learners = await factsOfLearners(tx, learnerIds.slice(start, start + chunk));
    changes += await storeOutcomes(tx, learners, facts);
  }
  return changes;
}

/** What the rules need of a count date, with the schools' extensions in force for it (extensions.ts). */
export async function countDateFactsIn(db: Db, countDate: string): Promise<CountDateFacts> {
  return countDateFacts(countDate, await extensionsInForce(db, countDate));
}

/** Learners per query and write: large enough to pay for the round trips, small enough for memory. */
const chunk = 20_000;

/**
 * Assesses every enrollment for a count date that has no statuses yet, in one statement: the rules of
 * rules.ts written as SQL, so that 1.4 million enrollments never leave the database (bench/countDate.ts:
 * 37 s applying rules.ts to them chunk by chunk, 6 s here). `assess.test.ts` runs both on one
 * population, every rule's boundaries included, and requires the same outcome for every enrollment:
 * rules.ts stays the definition, this its set-based form. Returns the number of statuses written.
 */
export async function assessEveryone(tx: Db, countDate: string): Promise<number> {
  const { deadline, schoolYear, latestBirthDate } = countDateFacts(countDate);
  // Enough memory for hash joins and the sort by learner over all enrollments: with the default
  // (4 MB) the planner walks the indexes instead and the pass takes half as long again (measured).
  // That sort holds 279 MB for 1.4 million enrollments (bench/countDate.ts): at 256 MB it went to
  // disk and took 6.0 s, in memory 3.8 s (EXPLAIN ANALYZE, docs/performance.md).
  await tx.execute(sql`SET LOCAL work_mem = '512MB'`);
  // Statistics of the two small tables it joins, which the consumers fill by batches and nothing
  // analyzes in time: without them the planner guessed 200 replaced states (32,555 on the national
  // seed) and 36 RIO objects of a kind (6,000), joined them by nested loop, and the pass took 99 s
  // instead of 34 s (EXPLAIN ANALYZE, docs/performance.md). Sampling them takes milliseconds.
  await tx.execute(sql`ANALYZE funding.rio_object, funding.enrollment_version`);
  const active = (alias: string) =>
    `(${alias}.code IS NOT NULL AND (${alias}.start_date IS NULL OR ${alias}.start_date <= d.day) AND (${alias}.end_date IS NULL OR ${alias}.end_date >= d.day))`;
  // rules.ts, reasonsOfState: a reason stands when the current state (e) or the one registered by the deadline (t, where it is another) gives it.
  const either = (condition: (alias: string) => string) => sql.raw(`(${condition('e')} OR (t.enrollment_id IS NOT NULL AND ${condition('t')}))`);
  const notEnrolled = (s: string) => `NOT (${s}.start_date <= d.day AND (${s}.end_date IS NULL OR ${s}.end_date >= d.day))`;
  // rules.ts, birthDateFor: the registered birth date, else the one delivered with the enrollment
  const underFour = (s: string) => `coalesce(l.registered_birth_date, ${s}.birth_date) > '${latestBirthDate}'::date`;
  const overlaps = (s: string) => `(${s}.start_date <= '${schoolYear.end}'::date AND (${s}.end_date IS NULL OR ${s}.end_date >= '${schoolYear.start}'::date))`;
  const until = sql.raw(`coalesce(x.until, '${deadline}'::date)`);
  const result = await tx.execute(sql`
    WITH d AS (SELECT ${countDate}::date AS day),
    -- extensions.ts: the extension in force for each school (art 7.3)
    x AS (
      SELECT DISTINCT ON (brin4) brin4, until FROM funding.registration_extension WHERE count_date = ${countDate}::date ORDER BY brin4, granted_at DESC
    ),
    -- rules.ts, asRegisteredBy: for an enrollment stored by its deadline and changed after it, the last state stored by then
    t AS (
      SELECT DISTINCT ON (v.enrollment_id) v.*
      FROM funding.enrollment e
      LEFT JOIN x ON x.brin4 = left(e.brin6, 4)
      JOIN funding.enrollment_version v ON v.enrollment_id = e.id AND v.updated_on <= ${until}
      WHERE e.registered_on <= ${until} AND e.updated_on > ${until}
      ORDER BY v.enrollment_id, v.updated_at DESC
    ),
    own AS (
      SELECT e.id, e.learner_id, e.start_date, e.registered_at, array_remove(ARRAY[
          CASE WHEN ${either(notEnrolled)} THEN 'NOT_ENROLLED_ON_COUNT_DATE' END,
          CASE WHEN ${either(underFour)} THEN 'UNDER_FOUR' END,
          CASE WHEN e.registered_on > ${until} OR (e.updated_on > ${until} AND t.enrollment_id IS NULL) THEN 'LATE_REGISTRATION' END,
          CASE WHEN NOT ${sql.raw(active('loc'))} OR (t.enrollment_id IS NOT NULL AND NOT ${sql.raw(active('tloc'))}) THEN 'LOCATION_NOT_ACTIVE' END,
          CASE WHEN NOT ${sql.raw(active('prog'))} OR (t.enrollment_id IS NOT NULL AND NOT ${sql.raw(active('tprog'))}) THEN 'OFFERED_PROGRAMME_NOT_ACTIVE' END
        ], NULL) AS reasons
      FROM d, funding.enrollment e
      JOIN funding.learner l ON l.id = e.learner_id
      LEFT JOIN x ON x.brin4 = left(e.brin6, 4)
      LEFT JOIN t ON t.enrollment_id = e.id
      LEFT JOIN funding.rio_object loc ON loc.kind = 'LOCATION' AND loc.code = e.location_code
      LEFT JOIN funding.rio_object prog ON prog.kind = 'OFFERED_PROGRAMME' AND prog.code = e.offered_programme_id::text
      LEFT JOIN funding.rio_object tloc ON tloc.kind = 'LOCATION' AND tloc.code = t.location_code
      LEFT JOIN funding.rio_object tprog ON tprog.kind = 'OFFERED_PROGRAMME' AND tprog.code = t.offered_programme_id::text
      -- rules.ts, isAssessed: as it stands, or as registered by the deadline
      WHERE ${sql.raw(overlaps('e'))} OR (t.enrollment_id IS NOT NULL AND ${sql.raw(overlaps('t'))})
    ),
    ranked AS (
      SELECT id, reasons, cardinality(reasons) = 0 AND row_number() OVER (
        PARTITION BY learner_id, cardinality(reasons) = 0 ORDER BY start_date DESC, registered_at, id) > 1 AS doubled
      FROM own
    )
    INSERT INTO funding.status (count_date, enrollment_id, reasons, evaluated_at)
    SELECT ${countDate}::date, id, CASE WHEN doubled THEN ARRAY['DOUBLE_ENROLLMENT'] ELSE reasons END, now()
    FROM ranked
    ORDER BY id`);
  return changedRowsOf(result);
}

interface StoredReasons {
  count_date: string;
  enrollment_id: string;
  reasons: string[];
}

async function storeOutcomes(tx: Db, learners: readonly LearnerFacts[], given: readonly CountDateFacts[]): Promise<number> {
  const countDates = given.map((facts) => facts.countDate);
  const enrollments = learners.flatMap((learner) => learner.enrollments);
  const before = new Map(
    enrollments.length === 0
      ? []
      : rowsOf<StoredReasons>(
          await tx.execute(sql`SELECT count_date::text AS count_date, enrollment_id, reasons FROM funding.status
            WHERE count_date = ANY(${sql.param([...countDates])}::date[]) AND enrollment_id = ANY(${sql.param(enrollments.map((e) => e.id))}::uuid[])`),
        ).map((row) => [`${row.count_date}/${row.enrollment_id}`, row.reasons as NotFundableReason[]]),
  );
  // reasons null: the enrollment is no longer assessed for the count date, and its status goes.
  const changed: { countDate: string; enrollment: Placed; reasons: NotFundableReason[] | null }[] = [];
  const events = [];
  for (const facts of given) {
    const { countDate } = facts;
    const outcomes = new Map(assessAll(learners, facts).map((outcome) => [outcome.enrollment.id, outcome]));
    for (const enrollment of enrollments) {
      const previous = before.get(`${countDate}/${enrollment.id}`) ?? null;
      const current = outcomes.get(enrollment.id)?.reasons ?? null;
      if (sameReasons(previous, current)) continue;
      changed.push({ countDate, enrollment, reasons: current });
      events.push(fundingStatusChanged(enrollment, countDate, previous, current));
    }
  }
  // Sorted, so that two transactions writing statuses of the same enrollments take their row locks in
  // the same order and cannot deadlock (the learners and the institutions consumer both write here).
  changed.sort((a, b) => (a.enrollment.id < b.enrollment.id ? -1 : a.enrollment.id > b.enrollment.id ? 1 : a.countDate < b.countDate ? -1 : 1));
  const kept = changed.filter((outcome): outcome is PlacedAssessment => outcome.reasons !== null);
  const gone = changed.filter((outcome) => outcome.reasons === null);
  if (kept.length) {
    // A status's reasons travel as one comma-joined text: unnest cannot take an array of arrays.
    await tx.execute(sql`INSERT INTO funding.status (count_date, enrollment_id, reasons, evaluated_at)
      SELECT count_date, enrollment_id, string_to_array(reasons, ','), now()
      FROM unnest(${sql.param(kept.map((o) => o.countDate))}::date[], ${sql.param(kept.map((o) => o.enrollment.id))}::uuid[], ${sql.param(kept.map((o) => o.reasons.join(',')))}::text[])
        WITH ORDINALITY AS given (count_date, enrollment_id, reasons, n)
      ORDER BY n
      ON CONFLICT (count_date, enrollment_id) DO UPDATE SET reasons = excluded.reasons, evaluated_at = excluded.evaluated_at`);
  }
  if (gone.length) {
    await tx.execute(sql`DELETE FROM funding.status WHERE (count_date, enrollment_id) IN (
      SELECT * FROM unnest(${sql.param(gone.map((o) => o.countDate))}::date[], ${sql.param(gone.map((o) => o.enrollment.id))}::uuid[]))`);
  }
  await appendEvents(tx, 'funding', events);
  return changed.length;
}

function sameReasons(a: readonly string[] | null, b: readonly string[] | null): boolean {
  if (a === null || b === null) return a === b;
  return a.length === b.length && a.every((reason, i) => reason === b[i]);
}
