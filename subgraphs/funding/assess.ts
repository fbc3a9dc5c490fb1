import { sql } from 'drizzle-orm';
import { changedRowsOf, rowsOf, type Db } from '../../kernel/db.ts';
import { appendEvents } from '../../kernel/events.ts';
import { fundingStatusChanged } from './events.ts';
import { assessLearner, countDateFacts, type EnrollmentFacts, type NotFundableReason } from './rules.ts';

/*
 * Applying the rules to the copy, set-based: a set of learners is read in one query with all
 * their enrollments and the RIO periods these refer to, assessed in memory, and only what changed is
 * written back, in one statement per kind of write.
 */

/** An enrollment's facts and where it is: what a status and its event need. */
export interface Placed extends EnrollmentFacts {
  learnerId: string;
  brin6: string;
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
  location_known: boolean;
  location_start: string | null;
  location_end: string | null;
  programme_known: boolean;
  programme_start: string | null;
  programme_end: string | null;
}

/**
 * The learners chosen by `which` (an SQL condition on `e.learner_id`), each with every enrollment and
 * the RIO periods of its location and offered programme. Dates come as text and moments in one fixed
 * format, so that comparing them as strings is comparing them in time.
 */
async function loadFacts(db: Db, which: ReturnType<typeof sql>): Promise<LearnerFacts[]> {
  const rows = rowsOf<FactsRow>(
    await db.execute(sql`
      SELECT e.learner_id, l.registered_birth_date::text AS registered_birth_date, e.birth_date::text AS birth_date, e.id, e.brin6, e.provider_code,
        e.start_date::text AS start_date, e.end_date::text AS end_date, e.registered_on::text AS registered_on,
        to_char(e.registered_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') AS registered_at,
        loc.code IS NOT NULL AS location_known, loc.start_date::text AS location_start, loc.end_date::text AS location_end,
        prog.code IS NOT NULL AS programme_known, prog.start_date::text AS programme_start, prog.end_date::text AS programme_end
      FROM funding.enrollment e
      JOIN funding.learner l ON l.id = e.learner_id
      LEFT JOIN funding.rio_object loc ON loc.kind = 'LOCATION' AND loc.code = e.location_code
      LEFT JOIN funding.rio_object prog ON prog.kind = 'OFFERED_PROGRAMME' AND prog.code = e.offered_programme_id::text
      WHERE ${which}
      ORDER BY e.learner_id`),
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
      location: row.location_known ? { startDate: row.location_start, endDate: row.location_end } : null,
      offeredProgramme: row.programme_known ? { startDate: row.programme_start, endDate: row.programme_end } : null,
    });
  }
  return learners;
}

export const factsOfLearners = (db: Db, learnerIds: readonly string[]) =>
  learnerIds.length === 0 ? Promise.resolve([]) : loadFacts(db, sql`e.learner_id = ANY(${sql.param([...learnerIds])}::uuid[])`);

/** An assessment with the enrollment it is about. */
export interface PlacedAssessment {
  countDate: string;
  enrollment: Placed;
  reasons: NotFundableReason[];
}

export function assessAll(learners: readonly LearnerFacts[], countDate: string): PlacedAssessment[] {
  const facts = countDateFacts(countDate);
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
  if (countDates.length === 0) return changes;
  for (let start = 0; start < learnerIds.length; start += chunk) {
    const learners = await factsOfLearners(tx, learnerIds.slice(start, start + chunk));
    changes += await storeOutcomes(tx, learners, countDates);
  }
  return changes;
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
  await tx.execute(sql`SET LOCAL work_mem = '256MB'`);
  const active = (alias: string) =>
    sql.raw(
      `(${alias}.code IS NOT NULL AND (${alias}.start_date IS NULL OR ${alias}.start_date <= d.day) AND (${alias}.end_date IS NULL OR ${alias}.end_date >= d.day))`,
    );
  const result = await tx.execute(sql`
    WITH d AS (SELECT ${countDate}::date AS day),
    own AS (
      SELECT e.id, e.learner_id, e.start_date, e.registered_at, array_remove(ARRAY[
          CASE WHEN NOT (e.start_date <= d.day AND (e.end_date IS NULL OR e.end_date >= d.day)) THEN 'NOT_ENROLLED_ON_COUNT_DATE' END,
          -- rules.ts, birthDateFor: the registered birth date, else the one delivered with the enrollment
          CASE WHEN coalesce(l.registered_birth_date, e.birth_date) > ${latestBirthDate}::date THEN 'UNDER_FOUR' END,
          CASE WHEN e.registered_on > ${deadline}::date THEN 'LATE_REGISTRATION' END,
          CASE WHEN NOT ${active('loc')} THEN 'LOCATION_NOT_ACTIVE' END,
          CASE WHEN NOT ${active('prog')} THEN 'OFFERED_PROGRAMME_NOT_ACTIVE' END
        ], NULL) AS reasons
      FROM d, funding.enrollment e
      JOIN funding.learner l ON l.id = e.learner_id
      LEFT JOIN funding.rio_object loc ON loc.kind = 'LOCATION' AND loc.code = e.location_code
      LEFT JOIN funding.rio_object prog ON prog.kind = 'OFFERED_PROGRAMME' AND prog.code = e.offered_programme_id::text
      WHERE e.start_date <= ${schoolYear.end}::date AND (e.end_date IS NULL OR e.end_date >= ${schoolYear.start}::date)
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

async function storeOutcomes(tx: Db, learners: readonly LearnerFacts[], countDates: readonly string[]): Promise<number> {
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
  for (const countDate of countDates) {
    const outcomes = new Map(assessAll(learners, countDate).map((outcome) => [outcome.enrollment.id, outcome]));
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
