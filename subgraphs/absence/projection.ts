import { inArray, sql } from 'drizzle-orm';
import { insertRows } from '../../kernel/bulk.ts';
import type { Db } from '../../kernel/db.ts';
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
};
