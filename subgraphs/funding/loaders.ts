import DataLoader from 'dataloader';
import { sql } from 'drizzle-orm';
import { rowsOf, type Db } from '../../kernel/db.ts';
import { readYourWrites } from '../../kernel/events.ts';
import type { Whereabouts } from './access.ts';
import { assessAll, countDateFactsIn, factsOfLearners } from './assess.ts';
import { countDateRow } from './countDates.ts';
import { learnersConsumer } from './copy.ts';
import { deadlineOf, type BirthDateSource, type Deadline, type NotFundableReason } from './rules.ts';

/** A status as the API shows it. */
export interface FundingStatusValue {
  countDate: string;
  phase: 'PROVISIONAL' | 'FINAL';
  reasons: NotFundableReason[];
  evaluatedAt: Date;
  /** Where the birth date the rules read comes from, as the register holds it now. */
  birthDateSource: BirthDateSource;
  /** The deadline the enrollment's school had (art 7.2, or its extension under 7.3). */
  deadline: Deadline;
}

export function fundingLoaders(db: Db) {
  return {
    /** Where each enrollment is, for access; null when funding does not know it. */
    whereabouts: new DataLoader(async (ids: readonly string[]) => {
      // Where an enrollment is, as learners committed it a moment ago (kernel/events.ts).
      await readYourWrites(db, learnersConsumer);
      const rows = rowsOf<Whereabouts & { id: string }>(
        await db.execute(sql`SELECT e.id, e.learner_id AS "learnerId", e.brin6, p.board_code AS "boardCode" FROM funding.enrollment e
          LEFT JOIN funding.rio_object p ON p.kind = 'PROVIDER' AND p.code = e.provider_code
          WHERE e.id = ANY(${sql.param([...ids])}::uuid[])`),
      );
      const byId = new Map(rows.map((row) => [row.id, row]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
    /** Keyed `<countDate>/<enrollmentId>`; null when the enrollment is not assessed for that count date. */
    status: new DataLoader(async (keys: readonly string[]) => {
      const found = new Map<string, FundingStatusValue>();
      for (const [day, ids] of groupByDay(keys)) {
        for (const value of await statusesOn(db, day, ids)) found.set(`${day}/${value.enrollmentId}`, value);
      }
      return keys.map((key) => found.get(key) ?? null);
    }),
  };
}

export type FundingLoaders = ReturnType<typeof fundingLoaders>;

function groupByDay(keys: readonly string[]): Map<string, string[]> {
  const days = new Map<string, string[]>();
  for (const key of keys) {
    const [day, id] = key.split('/') as [string, string];
    const ids = days.get(day);
    if (ids) ids.push(id);
    else days.set(day, [id]);
  }
  return days;
}

/** Kept statuses for a kept count date; for any other, the rules applied now, PROVISIONAL. */
async function statusesOn(db: Db, day: string, ids: string[]): Promise<(FundingStatusValue & { enrollmentId: string })[]> {
  const kept = await countDateRow(db, day);
  const facts = await countDateFactsIn(db, day);
  if (kept) {
    const rows = rowsOf<{ enrollment_id: string; brin6: string; reasons: NotFundableReason[]; evaluated_at: string | Date; registered: boolean }>(
      await db.execute(sql`SELECT s.enrollment_id, e.brin6, s.reasons, s.evaluated_at, l.registered_birth_date IS NOT NULL AS registered FROM funding.status s
        JOIN funding.enrollment e ON e.id = s.enrollment_id JOIN funding.learner l ON l.id = e.learner_id
        WHERE s.count_date = ${day} AND s.enrollment_id = ANY(${sql.param(ids)}::uuid[])`),
    );
    return rows.map((row) => ({
      enrollmentId: row.enrollment_id,
      countDate: day,
      phase: kept.phase,
      reasons: row.reasons,
      evaluatedAt: new Date(row.evaluated_at),
      birthDateSource: row.registered ? 'REGISTERED' : 'DELIVERED',
      deadline: deadlineOf(facts, row.brin6),
    }));
  }
  const learners = rowsOf<{ learner_id: string }>(
    await db.execute(sql`SELECT DISTINCT learner_id FROM funding.enrollment WHERE id = ANY(${sql.param(ids)}::uuid[])`),
  );
  const wanted = new Set(ids);
  const now = new Date();
  const learnersFacts = await factsOfLearners(
    db,
    learners.map((row) => row.learner_id),
  );
  const registered = new Set(learnersFacts.filter((learner) => learner.registeredBirthDate !== null).map((learner) => learner.id));
  return assessAll(learnersFacts, facts)
    .filter((outcome) => wanted.has(outcome.enrollment.id))
    .map((outcome) => ({
      enrollmentId: outcome.enrollment.id,
      countDate: day,
      phase: 'PROVISIONAL',
      reasons: outcome.reasons,
      evaluatedAt: now,
      birthDateSource: registered.has(outcome.enrollment.learnerId) ? 'REGISTERED' : 'DELIVERED',
      deadline: deadlineOf(facts, outcome.enrollment.brin6),
    }));
}
