import { randomUUID } from 'node:crypto';
import { and, eq, inArray, isNull, ne, not, or, gte, sql } from 'drizzle-orm';
import { insertRows } from '../../kernel/bulk.ts';
import { anyOf, type Db } from '../../kernel/db.ts';
import { once } from '../../kernel/documents.ts';
import { RegisterError } from '../../kernel/errors.ts';
import { appendEvents } from '../../kernel/events.ts';
import { parseUuid } from '../../kernel/ids/index.ts';
import { today } from '../../kernel/scalars.ts';
import { coveredBy } from '../../kernel/reach.ts';
import { lockOwn, type School } from './access.ts';
import { deliveredOf, type Delivered } from './deliveries.ts';
import { signalIssued } from './events.ts';
import { discrepancies, sameDiscrepancy } from './reconciliation.ts';
import { delivery, document, enrollment, learner, person, signal, type EnrollmentRow, type LearnerRow, type PersonRow, type SignalRow } from './tables.ts';

/*
 * Signals to schools (terugmelding, Wro art 14.1): reconciliation.ts says what differs, this keeps
 * the signals in line with it, each new one with its SignalIssued event in the caller's transaction.
 */

/** An enrollment's delivery with what reconciling it reads. */
export interface Reconcilable {
  enrollment: Pick<EnrollmentRow, 'id' | 'learnerId' | 'brin6' | 'endDate'>;
  learner: Pick<LearnerRow, 'pgn' | 'pgnKind'>;
  delivered: Delivered;
  person: PersonRow | null;
}

/**
 * Brings the signals of these enrollments in line with their deliveries and the person source: a
 * difference not yet told is issued; an open signal whose difference is gone (a corrected delivery,
 * a corrected person, an enrollment ended) closes itself as RESOLVED. A difference the school
 * acknowledged is not told again while it stands as it was. PGN_REPLACED is no difference between a
 * delivery and a person, and is left alone.
 */
export async function reconcile(tx: Db, items: readonly Reconcilable[], now = new Date()): Promise<SignalRow[]> {
  if (items.length === 0) return [];
  const ids = items.map((item) => item.enrollment.id);
  const standing = await tx
    .select()
    .from(signal)
    .where(and(anyOf(signal.enrollmentId, ids), ne(signal.status, 'RESOLVED'), ne(signal.code, 'PGN_REPLACED')));
  const issued: SignalRow[] = [];
  const resolved: string[] = [];
  for (const item of items) {
    const found = discrepancies({ value: item.learner.pgn, kind: item.learner.pgnKind }, item.delivered, item.enrollment.endDate, item.person);
    const theirs = standing.filter((row) => row.enrollmentId === item.enrollment.id);
    for (const row of theirs) if (row.status === 'OPEN' && !found.some((each) => sameDiscrepancy(each, row))) resolved.push(row.id);
    for (const each of found) {
      if (theirs.some((row) => sameDiscrepancy(each, row))) continue;
      issued.push({
        id: randomUUID(),
        enrollmentId: item.enrollment.id,
        learnerId: item.enrollment.learnerId,
        brin6: item.enrollment.brin6,
        ...each,
        status: 'OPEN',
        issuedAt: now,
        closedAt: null,
      });
    }
  }
  if (resolved.length) await tx.update(signal).set({ status: 'RESOLVED', closedAt: now }).where(inArray(signal.id, resolved));
  await insertRows(tx, signal, issued);
  await appendEvents(tx, 'learners', issued.map(signalIssued));
  return issued;
}

/**
 * Reconciles the learners' enrollments that a change of the person source or of the PGN may
 * concern: those not ended before today, and those with a signal still open.
 */
export async function reconcileLearners(tx: Db, learnerIds: readonly string[], now = new Date()): Promise<SignalRow[]> {
  if (learnerIds.length === 0) return [];
  const rows = await tx
    .select({ enrollment, learner, delivery, person })
    .from(enrollment)
    .innerJoin(learner, eq(learner.id, enrollment.learnerId))
    .innerJoin(delivery, eq(delivery.enrollmentId, enrollment.id))
    .leftJoin(person, eq(person.bsn, learner.pgn))
    .where(
      and(
        inArray(enrollment.learnerId, [...learnerIds]),
        or(
          isNull(enrollment.endDate),
          gte(enrollment.endDate, today(now)),
          sql`EXISTS (SELECT 1 FROM learners.signal s WHERE s.enrollment_id = ${enrollment.id} AND s.status = 'OPEN')`,
        ),
      ),
    );
  return reconcile(
    tx,
    rows.map((row) => ({ enrollment: row.enrollment, learner: row.learner, delivered: deliveredOf(row.delivery), person: row.person })),
    now,
  );
}

/**
 * When a BSN replaces an onderwijsnummer (WPO art 40b.5), every other school with an enrollment
 * delivered under the onderwijsnummer is told, on its latest such enrollment: its administration
 * still knows the learner by the old number. The school that replaced it (`by`: the vestiging or whole
 * school its vendor acts for) knows.
 */
export async function signalPgnReplaced(tx: Db, change: { learnerId: string; from: string; to: string; by: string }, now = new Date()): Promise<SignalRow[]> {
  const rows = await tx
    .select({ enrollmentId: delivery.enrollmentId, brin6: delivery.brin6, startDate: enrollment.startDate })
    .from(delivery)
    .innerJoin(enrollment, eq(enrollment.id, delivery.enrollmentId))
    .where(and(eq(delivery.learnerId, change.learnerId), eq(delivery.pgn, change.from), not(coveredBy(delivery.brin6, change.by))));
  const latest = new Map<string, (typeof rows)[number]>();
  for (const row of rows) if ((latest.get(row.brin6)?.startDate ?? '') < row.startDate) latest.set(row.brin6, row);
  const issued: SignalRow[] = [...latest.values()].map((row) => ({
    id: randomUUID(),
    enrollmentId: row.enrollmentId!,
    learnerId: change.learnerId,
    brin6: row.brin6,
    code: 'PGN_REPLACED',
    field: 'pgn',
    deliveredValue: change.from,
    registeredValue: change.to,
    status: 'OPEN',
    issuedAt: now,
    closedAt: null,
  }));
  await insertRows(tx, signal, issued);
  await appendEvents(tx, 'learners', issued.map(signalIssued));
  return issued;
}

/** The school acknowledges a signal: it has seen it, and what it delivered stands (or is being dealt with). */
export function acknowledgeSignal(db: Db, school: School, input: { documentId: string; signalId: string }) {
  return once(db, document, school.sender, 'acknowledgeSignal', input, async (tx) => {
    const id = parseUuid(input.signalId, 'signalId', 'a signal id');
    const row = await lockOwn(tx, signal, school, id, 'signal');
    if (row.status !== 'OPEN') throw new RegisterError('CONFLICT', `Signal ${id} is ${row.status.toLowerCase()} already`, 'signalId');
    await tx.update(signal).set({ status: 'ACKNOWLEDGED', closedAt: new Date() }).where(eq(signal.id, id));
    return { signalId: id };
  });
}
