import { eq, sql } from 'drizzle-orm';
import { insertRows } from '../../kernel/bulk.ts';
import type { Db } from '../../kernel/db.ts';
import type { NewEvent } from '../../kernel/events.ts';
import { today } from '../../kernel/scalars.ts';
import { noticeRow } from './enroll.ts';
import { transferNoticeIssued } from './events.ts';
import { transfersFor } from './rules.ts';
import { delivery, enrollment, learner, learnerPgn, mergedLearner, signal, transferNotice, type EnrollmentRow, type TransferNoticeRow } from './tables.ts';

/*
 * One child, one learner. When a BSN replaces an onderwijsnummer (WPO art 40b.5) and another
 * learner already holds that BSN, the two learners are one child: refusing would tell the school
 * that the BSN is known elsewhere (docs/domain.md §2.2, "Personal data"), and keeping both would
 * count the child twice (Besluit bekostiging WPO 2022 art 7). The learner whose onderwijsnummer is
 * replaced is kept, so the replacing school's answer is the same whether or not a merge happens; the
 * one that held the BSN is folded into it, and its id stays on record (`merged_learner`).
 */

/**
 * Holds back every other writer of enrollments until the caller's transaction ends, and waits for
 * those under way. A table lock takes no transaction id: taken before the caller's first write, it
 * makes every enrollment event about the learners concerned come after the caller's own in the
 * stream (kernel/events.ts reads by transaction id), so no copy applies an event naming a
 * folded learner after the event that folds it. Replacements are rare; enrollments wait for one.
 */
export async function lockEnrollments(tx: Db): Promise<void> {
  await tx.execute(sql`LOCK TABLE learners.enrollment IN SHARE ROW EXCLUSIVE MODE`);
}

/**
 * Folds learner `absorbed` into `kept`, which takes the BSN `pgn`: enrollments (with their results
 * and notices), deliveries, signals and PGNs move to `kept`. Each delivery remembers the learner it
 * was made about (`absorbed_from`), by which its school keeps knowing the learner. Each enrollment
 * of one gives the schools of the other's earlier enrollments the notices it would give had the
 * learner enrolled there anew (`transfersFor`, Besluit bekostiging WPO 2022 art 10.2), received
 * today: the old school learns of the new enrollment now. Returns the absorbed learner's enrollments,
 * which copies remember as absorbed (contracts/learners.ts, PgnChange), and the events of those notices.
 */
export async function mergeLearners(
  tx: Db,
  change: { absorbed: string; kept: string; pgn: string },
  now: Date,
): Promise<{ enrollmentIds: string[]; events: NewEvent[] }> {
  const { absorbed, kept } = change;
  const keptRows = await tx.select().from(enrollment).where(eq(enrollment.learnerId, kept));
  const absorbedRows = await tx.select().from(enrollment).where(eq(enrollment.learnerId, absorbed));
  await tx.update(learnerPgn).set({ learnerId: kept }).where(eq(learnerPgn.learnerId, absorbed));
  await tx.update(enrollment).set({ learnerId: kept }).where(eq(enrollment.learnerId, absorbed));
  // A school's identification is one per learner: where it identified both, its identification of the kept one stands.
  await tx.execute(sql`DELETE FROM learners.delivery d WHERE d.learner_id = ${absorbed} AND d.enrollment_id IS NULL
    AND EXISTS (SELECT 1 FROM learners.delivery k WHERE k.learner_id = ${kept} AND k.brin6 = d.brin6 AND k.enrollment_id IS NULL)`);
  await tx
    .update(delivery)
    .set({ learnerId: kept, absorbedFrom: sql`coalesce(${delivery.absorbedFrom}, ${delivery.learnerId})` })
    .where(eq(delivery.learnerId, absorbed));
  await tx.update(signal).set({ learnerId: kept }).where(eq(signal.learnerId, absorbed));
  // Learners folded into the absorbed one before now lead to the kept one, in one step.
  await tx.update(mergedLearner).set({ intoLearnerId: kept }).where(eq(mergedLearner.intoLearnerId, absorbed));
  await tx.insert(mergedLearner).values({ id: absorbed, intoLearnerId: kept, mergedAt: now });
  await tx.delete(learner).where(eq(learner.id, absorbed));
  // The notices go out now: the old schools receive them today (art 10.2 from receipt).
  const notices = [...overlapNotices(absorbedRows, keptRows, now), ...overlapNotices(keptRows, absorbedRows, now)];
  await insertRows(tx, transferNotice, notices);
  return { enrollmentIds: absorbedRows.map((row) => row.id), events: notices.map((notice) => transferNoticeIssued(notice, kept, change.pgn)) };
}

/** The notices each of `later` gives the schools of `earlier`, as enrolling it anew would. */
function overlapNotices(later: readonly EnrollmentRow[], earlier: readonly EnrollmentRow[], now: Date): TransferNoticeRow[] {
  return later.flatMap((row) => transfersFor(row, earlier, today(now)).map((transfer) => noticeRow(transfer, row, earlier, now)));
}
