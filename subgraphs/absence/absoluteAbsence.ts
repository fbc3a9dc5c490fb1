import { randomUUID } from 'node:crypto';
import { and, eq, inArray, ne, or, sql } from 'drizzle-orm';
import { allowLongWork, rowsOf, type Db } from '../../kernel/db.ts';
import { appendEvents, type NewEvent } from '../../kernel/events.ts';
import { once } from '../../kernel/documents.ts';
import { RegisterError } from '../../kernel/errors.ts';
import { parseUuid } from '../../kernel/ids/index.ts';
import { notFound } from '../../kernel/reach.ts';
import { today } from '../../kernel/scalars.ts';
import { parseOptionalText, textKinds } from '../../kernel/text.ts';
import type { Viewer } from '../../kernel/viewer.ts';
import { actorOf } from './access.ts';
import { absoluteAbsenceSignalChanged } from './events.ts';
import { dutyOn, resolutionOf, signalDue } from './leerplicht.ts';
import {
  absoluteAbsenceSignal,
  document,
  enrollment,
  exemption,
  learner,
  resident,
  type AbsoluteAbsenceSignalRow,
  type EnrollmentRow,
  type ExemptionRow,
} from './tables.ts';

/*
 * Absolute absence (absoluut verzuim, docs/domain.md §6): the register finds, without a request, each
 * resident of compulsory school age whom no school enrolls and no exemption frees for more than the
 * configured number of school days, and signals the municipality where the child lives. A change that
 * concerns a resident (an enrollment, a move, an exemption) notes its BSN in `leerplicht_pending` and
 * wakes the settling; a sweep notes every resident that may be due, for what time alone brings. Each
 * settling decides by `dutyOn` (leerplicht.ts), issues one signal per resident, municipality and
 * episode, and resolves the signals that no longer stand.
 */

/** The channel that wakes the settling: notified at the commit of a change that noted residents. */
export const leerplichtChannel = 'absence_leerplicht';

export interface SignalSettings {
  /** More than this many school days without school or exemption makes a signal (LEERPLICHT_SIGNAL_SCHOOL_DAYS). */
  schoolDays: number;
  /** The day to judge; the register's today. */
  day?: string;
}

/** Notes residents, by BSN, to be looked at again once the caller's transaction commits; PGNs that are no resident's are passed over. */
export async function noteResidents(tx: Db, bsns: readonly string[]): Promise<void> {
  if (bsns.length === 0) return;
  await tx.execute(sql`INSERT INTO absence.leerplicht_pending (bsn)
    SELECT bsn FROM absence.resident WHERE bsn = ANY(${sql.param([...new Set(bsns)])}::text[]) ON CONFLICT DO NOTHING`);
  await tx.execute(sql`SELECT pg_notify(${leerplichtChannel}, '')`);
}

/**
 * Notes every resident that may be without school on `day`, and every one with a signal not yet
 * resolved. A preselection in one statement (`dutyOn` decides): of an age that may be compulsory,
 * alive, here, with a municipality, neither enrolled nor exempt on the day, and not last gone from a
 * school to another school, abroad or by death (unless an exemption ended after that). Set-based, so
 * that it joins each table once: correlated per resident, it took seconds per 100,000 residents.
 */
export async function noteCandidates(tx: Db, day: string): Promise<void> {
  const on = sql`${day}::date`;
  await tx.execute(sql`WITH
    enrolled AS (SELECT DISTINCT l.pgn FROM absence.learner l JOIN absence.enrollment e ON e.learner_id = l.id
      WHERE e.start_date <= ${on} AND (e.end_date IS NULL OR e.end_date >= ${on})),
    exempt AS (SELECT pgn, start_date, end_date FROM absence.exemption
      UNION ALL SELECT l.pgn, x.start_date, x.end_date FROM absence.exemption x JOIN absence.learner l ON l.id = x.learner_id),
    last_ended AS (SELECT DISTINCT ON (l.pgn) l.pgn, e.end_date, e.end_reason, e.destination
      FROM absence.learner l JOIN absence.enrollment e ON e.learner_id = l.id WHERE e.end_date < ${on} ORDER BY l.pgn, e.end_date DESC)
    INSERT INTO absence.leerplicht_pending (bsn)
    SELECT r.bsn FROM absence.resident r LEFT JOIN last_ended last ON last.pgn = r.bsn
    WHERE r.municipality_code IS NOT NULL
      AND (r.deceased_on IS NULL OR r.deceased_on > ${on}) AND (r.emigrated_on IS NULL OR r.emigrated_on > ${on})
      AND r.birth_date >= ${on} - interval '17 years' AND r.birth_date <= ${on} - interval '5 years'
      AND NOT EXISTS (SELECT 1 FROM enrolled WHERE enrolled.pgn = r.bsn)
      AND NOT EXISTS (SELECT 1 FROM exempt x WHERE x.pgn = r.bsn AND x.start_date <= ${on} AND (x.end_date IS NULL OR x.end_date >= ${on}))
      AND NOT (coalesce(last.end_reason IN ('DECEASED', 'MOVED_ABROAD') OR last.destination IN ('ABROAD', 'OTHER_SCHOOL', 'SPECIAL_EDUCATION')
          OR (last.destination IS NULL AND last.end_reason IN ('TRANSFER', 'END_OF_PRIMARY_EDUCATION')), false)
        AND NOT EXISTS (SELECT 1 FROM exempt x WHERE x.pgn = r.bsn AND x.end_date > last.end_date AND x.end_date < ${on}))
    UNION
    SELECT bsn FROM absence.absolute_absence_signal WHERE status <> 'RESOLVED'
    ON CONFLICT DO NOTHING`);
}

/** Residents settled per transaction. */
const chunk = 500;

/**
 * Takes the noted residents in the order noted, a chunk per transaction, and settles each; returns
 * how many it took. Replicas share the work (SKIP LOCKED); a resident noted again while it is being
 * settled is settled again after.
 */
export async function settlePending(db: Db, settings: SignalSettings): Promise<number> {
  const day = settings.day ?? today();
  let total = 0;
  for (;;) {
    const taken = await db.transaction(async (tx) => {
      const bsns = rowsOf<{ bsn: string }>(
        await tx.execute(sql`DELETE FROM absence.leerplicht_pending WHERE bsn IN (
          SELECT bsn FROM absence.leerplicht_pending ORDER BY noted LIMIT ${chunk} FOR UPDATE SKIP LOCKED) RETURNING bsn`),
      ).map((row) => row.bsn);
      if (bsns.length) await settle(tx, bsns, day, settings.schoolDays);
      return bsns.length;
    });
    if (taken === 0) return total;
    total += taken;
  }
}

/** The sweep: notes every resident that may be due on the day, then settles them. */
export async function sweep(db: Db, settings: SignalSettings): Promise<number> {
  const day = settings.day ?? today();
  await db.transaction(async (tx) => {
    // One statement over every resident: seconds at the national size, background work and no request's.
    await allowLongWork(tx);
    await noteCandidates(tx, day);
  });
  return settlePending(db, { ...settings, day });
}

/** The facts `dutyOn` reads, for each of `bsns`, in a few batched queries. */
async function factsOf(tx: Db, bsns: string[]) {
  const residents = await tx.select().from(resident).where(inArray(resident.bsn, bsns));
  const learners = await tx.select().from(learner).where(inArray(learner.pgn, bsns));
  const learnerIds = learners.map((row) => row.id);
  const enrollments = learnerIds.length ? await tx.select().from(enrollment).where(inArray(enrollment.learnerId, learnerIds)) : [];
  const exemptions = await tx
    .select()
    .from(exemption)
    .where(learnerIds.length ? or(inArray(exemption.pgn, bsns), inArray(exemption.learnerId, learnerIds)) : inArray(exemption.pgn, bsns));
  const bsnOfLearner = new Map(learners.map((row) => [row.id, row.pgn]));
  // Each row handed to its resident in one pass: filtering all rows per resident made a chunk's work quadratic.
  const facts = new Map(residents.map((row) => [row.bsn, { resident: row, enrollments: [] as EnrollmentRow[], exemptions: [] as ExemptionRow[] }]));
  for (const row of enrollments) facts.get(bsnOfLearner.get(row.learnerId)!)?.enrollments.push(row);
  for (const row of exemptions) facts.get((row.learnerId && bsnOfLearner.get(row.learnerId)) || row.pgn)?.exemptions.push(row);
  return facts;
}

/** Resolves the signals of `bsns` that no longer stand, and issues those now due. */
async function settle(tx: Db, bsns: string[], day: string, schoolDays: number): Promise<void> {
  const facts = await factsOf(tx, bsns);
  const standing = await tx
    .select()
    .from(absoluteAbsenceSignal)
    .where(and(inArray(absoluteAbsenceSignal.bsn, bsns), ne(absoluteAbsenceSignal.status, 'RESOLVED')))
    .for('update');
  const standingOf = new Map<string, AbsoluteAbsenceSignalRow[]>();
  for (const row of standing) standingOf.set(row.bsn, [...(standingOf.get(row.bsn) ?? []), row]);
  const events: NewEvent[] = [];
  const now = new Date();
  for (const bsn of bsns) {
    const known = facts.get(bsn);
    if (!known) continue;
    const duty = dutyOn(day, known.resident, known.enrollments, known.exemptions);
    for (const signal of standingOf.get(bsn) ?? []) {
      const resolution = resolutionOf(signal, duty, known.resident.municipalityCode);
      if (!resolution) continue;
      const [resolved] = await tx
        .update(absoluteAbsenceSignal)
        .set({ status: 'RESOLVED', resolution, resolvedAt: now })
        .where(eq(absoluteAbsenceSignal.id, signal.id))
        .returning();
      events.push(absoluteAbsenceSignalChanged('AbsoluteAbsenceSignalResolved', resolved!));
    }
    if (typeof duty === 'string') continue;
    const dueOn = signalDue(duty.since, schoolDays);
    if (dueOn > day) continue;
    const issued = await tx
      .insert(absoluteAbsenceSignal)
      .values({
        id: randomUUID(),
        bsn,
        municipalityCode: known.resident.municipalityCode!,
        birthDate: known.resident.birthDate,
        reason: duty.reason,
        since: duty.since,
        dueOn,
        lastEnrollmentId: duty.lastEnrollmentId,
        status: 'OPEN',
        issuedAt: now,
      })
      .onConflictDoNothing()
      .returning();
    events.push(...issued.map((row: AbsoluteAbsenceSignalRow) => absoluteAbsenceSignalChanged('AbsoluteAbsenceSignalIssued', row)));
  }
  await appendEvents(tx, 'absence', events);
}

/**
 * The municipality takes note of an OPEN signal (ACKNOWLEDGED), once per business document. Only the
 * municipality it was issued to: any other viewer's signal is NOT_FOUND, a school is FORBIDDEN.
 */
export async function acknowledgeSignal(db: Db, viewer: Viewer, input: { documentId: string; signalId: string; note?: string | null }) {
  if (viewer.role !== 'MUNICIPALITY') throw new RegisterError('FORBIDDEN', 'Only the municipality it was issued to acknowledges an absolute-absence signal');
  const actor = actorOf(viewer);
  return once(db, document, actor.actor, 'acknowledgeAbsoluteAbsenceSignal', input, async (tx) => {
    const id = parseUuid(input.signalId, 'signalId', 'a signal id');
    const [row] = await tx.select().from(absoluteAbsenceSignal).where(eq(absoluteAbsenceSignal.id, id)).for('update');
    if (!row || row.municipalityCode !== viewer.municipality) throw notFound(`absolute-absence signal ${input.signalId}`);
    if (row.status !== 'OPEN') throw new RegisterError('CONFLICT', `A signal that is ${row.status} cannot be acknowledged; only an OPEN one can`, 'signalId');
    const note = parseOptionalText(input.note, 'note', textKinds.remark);
    const [acknowledged] = await tx
      .update(absoluteAbsenceSignal)
      .set({ status: 'ACKNOWLEDGED', acknowledgedAt: new Date(), acknowledgedNote: note })
      .where(eq(absoluteAbsenceSignal.id, id))
      .returning();
    await appendEvents(tx, 'absence', [absoluteAbsenceSignalChanged('AbsoluteAbsenceSignalAcknowledged', acknowledged!)]);
    return { signalId: id };
  });
}
