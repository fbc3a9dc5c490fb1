import { inArray, sql } from 'drizzle-orm';
import { insertRows, isEmpty, loadWithoutIndexes } from '../../kernel/bulk.ts';
import { rowsOf, type Db } from '../../kernel/db.ts';
import { appendEvents, type StoredEvent } from '../../kernel/events.ts';
import { enrollmentEventTypes, type enrollmentState, type LearnerState, type PgnChange } from '../learners/events.ts';
import { exemptEnrollmentNoticed } from './events.ts';
import { overlaps } from './rules.ts';
import { enrollment, exemption, exemptionNotice, learner, type ExemptionNoticeRow } from './tables.ts';

/*
 * Absence's own projection of the learners stream (architecture.md, "Ownership"): where each learner
 * is enrolled and lives, and their PGN, by which a municipality names a learner. Runs in the
 * consumer's transaction with its cursor (kernel/events.ts).
 */

type EnrollmentState = ReturnType<typeof enrollmentState>;

const enrollmentEvents = new Set<string>(enrollmentEventTypes);

export async function applyLearnerEvents(tx: Db, events: StoredEvent[]): Promise<void> {
  const learners = new Map<string, typeof learner.$inferInsert>();
  const enrollments = new Map<string, typeof enrollment.$inferInsert>();
  for (const event of events) {
    if (enrollmentEvents.has(event.type)) {
      const state = event.payload as EnrollmentState;
      learners.set(state.learnerId, { id: state.learnerId, pgn: state.pgn, municipalityCode: state.municipalityCode ?? null });
      enrollments.set(state.enrollmentId, { id: state.enrollmentId, learnerId: state.learnerId, brin6: state.brin6, startDate: state.startDate, endDate: state.endDate });
    } else if (event.type === 'LearnerIdentified') {
      const state = event.payload as unknown as LearnerState;
      learners.set(state.learnerId, { id: state.learnerId, pgn: state.pgn, municipalityCode: state.municipalityCode ?? null });
    } else if (event.type === 'PgnReplaced') {
      const state = event.payload as unknown as PgnChange;
      const known = learners.get(state.learnerId);
      if (known) known.pgn = state.pgn;
      else await tx.update(learner).set({ pgn: state.pgn }).where(sql`${learner.id} = ${state.learnerId}`);
    }
  }
  await insertRows(tx, learner, [...learners.values()], sql`ON CONFLICT (id) DO UPDATE SET pgn = excluded.pgn, municipality_code = excluded.municipality_code`);
  if (enrollments.size) {
    await insertRows(tx, enrollment, [...enrollments.values()], sql`ON CONFLICT (id) DO UPDATE SET brin6 = excluded.brin6, start_date = excluded.start_date, end_date = excluded.end_date`);
    await noticeExemptEnrollments(tx, [...new Set([...enrollments.values()].map((row) => row.learnerId))]);
  }
}

/**
 * `applyLearnerEvents` for every unread event at once (kernel/events.ts, `consumeInBulk`): each
 * learner's last full state, then a PgnReplaced that came after it; each enrollment's last state;
 * then the exemption notices for the learners enrolled. Into an empty copy (a population loaded at
 * once), the indexes are built after (kernel/bulk.ts).
 */
export async function applyLearnerEventsInBulk(tx: Db): Promise<void> {
  if ((await isEmpty(tx, 'absence.learner')) && (await isEmpty(tx, 'absence.enrollment'))) {
    await loadWithoutIndexes(tx, ['absence.learner', 'absence.enrollment'], () => writeLastStates(tx, false));
  } else await writeLastStates(tx, true);
  const exempt = rowsOf<{ id: string }>(
    await tx.execute(sql`SELECT DISTINCT learner_id::text AS id FROM absence.exemption
      WHERE learner_id IN (SELECT (payload->>'learnerId')::uuid FROM bulk_event WHERE type = ANY(${sql.param([...enrollmentEventTypes])}::text[]))`),
  );
  if (exempt.length) await noticeExemptEnrollments(tx, exempt.map((row) => row.id));
}

/** The last states in `bulk_event`; `upsert` over rows the copy holds, as `applyLearnerEvents` does. */
async function writeLastStates(tx: Db, upsert: boolean): Promise<void> {
  const onLearner = upsert ? sql`ON CONFLICT (id) DO UPDATE SET pgn = excluded.pgn, municipality_code = excluded.municipality_code` : sql``;
  const onEnrollment = upsert ? sql`ON CONFLICT (id) DO UPDATE SET brin6 = excluded.brin6, start_date = excluded.start_date, end_date = excluded.end_date` : sql``;
  await tx.execute(sql`INSERT INTO absence.learner (id, pgn, municipality_code)
    SELECT DISTINCT ON (payload->>'learnerId') (payload->>'learnerId')::uuid, payload->>'pgn', payload->>'municipalityCode'
    FROM bulk_event WHERE type <> 'PgnReplaced' ORDER BY payload->>'learnerId', txid DESC, position DESC ${onLearner}`);
  await tx.execute(sql`UPDATE absence.learner l SET pgn = last.pgn
    FROM (SELECT DISTINCT ON (payload->>'learnerId') (payload->>'learnerId')::uuid AS id, payload->>'pgn' AS pgn, type
      FROM bulk_event ORDER BY payload->>'learnerId', txid DESC, position DESC) last
    WHERE last.type = 'PgnReplaced' AND l.id = last.id`);
  await tx.execute(sql`INSERT INTO absence.enrollment (id, learner_id, brin6, start_date, end_date)
    SELECT DISTINCT ON (payload->>'enrollmentId') (payload->>'enrollmentId')::uuid, (payload->>'learnerId')::uuid, payload->>'brin6',
      (payload->>'startDate')::date, (payload->>'endDate')::date
    FROM bulk_event WHERE type = ANY(${sql.param([...enrollmentEventTypes])}::text[]) ORDER BY payload->>'enrollmentId', txid DESC, position DESC ${onEnrollment}`);
}

/**
 * LPW art 15a [S:7]: when the register sees a learner with an exemption enrolled in its period, the
 * school is told. Once per exemption and enrollment, whichever of the two arrives last.
 */
export async function noticeExemptEnrollments(tx: Db, learnerIds: string[]): Promise<ExemptionNoticeRow[]> {
  const exemptions = await tx.select().from(exemption).where(inArray(exemption.learnerId, learnerIds));
  if (exemptions.length === 0) return [];
  const enrollments = await tx.select().from(enrollment).where(inArray(enrollment.learnerId, learnerIds));
  const now = new Date();
  const candidates = exemptions.flatMap((exempt) =>
    enrollments
      .filter((row) => row.learnerId === exempt.learnerId && overlaps(row, exempt))
      .map((row) => ({ id: crypto.randomUUID(), exemptionId: exempt.id, enrollmentId: row.id, brin6: row.brin6, issuedAt: now })),
  );
  if (candidates.length === 0) return [];
  const issued = await tx.insert(exemptionNotice).values(candidates).onConflictDoNothing().returning();
  const learnerOf = new Map(exemptions.map((exempt) => [exempt.id, exempt.learnerId]));
  await appendEvents(tx, 'absence', issued.map((notice) => exemptEnrollmentNoticed(notice, learnerOf.get(notice.exemptionId)!)));
  return issued;
}

export const learnersConsumer = {
  stream: 'learners',
  consumer: 'absence.learners',
  cursorSchema: 'absence',
  types: [...enrollmentEventTypes, 'LearnerIdentified', 'PgnReplaced'],
  handle: applyLearnerEvents,
  bulk: applyLearnerEventsInBulk,
};
